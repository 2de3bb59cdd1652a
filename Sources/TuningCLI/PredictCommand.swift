import ArgumentParser
import Foundation
import ModelArtifacts
import ModelRegistry
import TrafficData
import Trainers

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
                for column in predicted.unseen {
                    let problem = column.isDate ? "values that are not dates" : "values not seen in training"
                    note("column '\(column.column)': \(column.rows) row(s) with \(problem) (e.g. '\(column.example)'), predicted as missing values")
                }
                let unpredicted = predicted.predictions.values.filter(\.isNaN).count
                if unpredicted > 0 {
                    note("\(unpredicted) rows have no prediction: this model cannot use missing feature values (gbdt can)")
                }
                note("wrote \(predicted.table.rowCount) predictions to \(output)")
            } catch {
                throw fail("\(error)")
            }
        }
    }
}
