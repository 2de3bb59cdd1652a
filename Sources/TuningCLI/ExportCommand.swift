import ArgumentParser
import ExperimentRunner
import Foundation

extension TunekitCommand {
    struct ExportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Export a tuning run to other tools.", subcommands: [MLflow.self])

        struct MLflow: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "mlflow",
                abstract: "Write a run into an MLflow file store (mlruns/): a parent run with the best parameters and test metrics, a nested run per trial, the published model as an artifact.")

            @OptionGroup var selection: RunSelection

            @Option(help: "The MLflow store to write into (created if absent; e.g. mlruns).")
            var to: String

            func run() throws {
                do {
                    let journal = try selection.journal()
                    let (experiment, run) = try MLflowExport.export(journal: journal, to: to)
                    note("exported \(journal) to \(to): experiment \(experiment), run \(run)")
                    note("browse with: MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri \(to)")
                } catch {
                    throw fail("\(error)")
                }
            }
        }
    }
}
