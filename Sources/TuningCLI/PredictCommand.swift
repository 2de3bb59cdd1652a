import ArgumentParser
import ExperimentRunner
import Foundation
import Trainers
import TrafficData
import ModelArtifacts

extension TunekitCommand {
    struct PredictCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "predict",
            abstract: "Predict a CSV with a published model; writes the input columns plus `prediction` (and class probabilities for classifiers).")

        @Option(help: "Model directory (OUTPUT/model/VERSION).")
        var model: String

        @Option(help: "CSV with the model's feature columns (e.g. test.csv from `tunekit datasets featurize`).")
        var input: String

        @Option(help: "Where to write the predictions CSV.")
        var output: String

        func validate() throws {
            let modelDirectory = URL(fileURLWithPath: model).standardizedFileURL.resolvingSymlinksInPath().path
            let outputFolder = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath().deletingLastPathComponent().path
            guard outputFolder != modelDirectory, !outputFolder.hasPrefix(modelDirectory + "/") else {
                throw ValidationError("--output \(output) is inside the model directory, whose files are checksummed; write it elsewhere")
            }
        }

        func run() throws {
            do {
                let predicted = try ModelBundle.predict(directory: model, input: input)
                try Durable.replace(output, with: Data(predicted.table.csvText(extraColumns: predicted.columns).utf8))
                note("wrote \(predicted.table.rowCount) predictions to \(output)")
            } catch {
                throw fail("\(error)")
            }
        }
    }
}
