import ArgumentParser
import ExperimentRunner
import Foundation

extension TunekitCommand {
    struct ExportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Export a tuning run or its scores to other tools.", subcommands: [MLflow.self, KFPMetricsCommand.self])

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

        struct KFPMetricsCommand: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "kfp-metrics",
                abstract: "Report a score.json as a Kubeflow Pipelines step's Metrics artifact (from a container component).",
                discussion: """
                    Pass KFP's executor input placeholder ('{{$}}') as --executor-input: the ExecutorOutput is written to its \
                    outputs.outputFile with the named output artifact's metadata set to score.json's metrics \
                    (validation_rmse, test_rmse, …) and model_version, which KFP's launcher records and its UI shows.
                    """)

            @Argument(help: "The score.json (OUTPUT/artifact/VERSION/score.json).")
            var score: String

            @Option(name: .customLong("executor-input"), help: "KFP's executor input JSON (the '{{$}}' placeholder).")
            var executorInput: String

            @Option(help: "The component's output artifact of type Metrics.")
            var artifact = "metrics"

            func run() throws {
                do {
                    let path = try KFPMetrics.write(score: score, executorInput: executorInput, artifact: artifact)
                    note("wrote \(score) as output artifact '\(artifact)' to \(path)")
                } catch {
                    throw fail("\(error)")
                }
            }
        }
    }
}
