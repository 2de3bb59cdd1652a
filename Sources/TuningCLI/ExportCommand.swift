import ArgumentParser
import Foundation
import RunAnalysis

extension TunekitCommand {
    struct ExportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Export a tuning run or its scores to other tools.", subcommands: [MLflow.self, KFPMetricsCommand.self])

        struct MLflow: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "mlflow",
                abstract: "Log a run to an MLflow tracking server (or write it into a file store): a parent run with every parameter and the test metrics, a nested run per trial, the published model as an MLflow model.",
                discussion: """
                    With --tracking-uri (or $MLFLOW_TRACKING_URI) the run goes through the server's REST API: the \
                    experiment is created when absent; the parent run gets the published model's parameters (fixed ones \
                    included), the best trial's metrics and the test metrics as test_<metric>; each trial is a nested \
                    run with its objective's history step by step (millisecond times); the model is logged through the \
                    server's artifact proxy as an MLflow model (python_function for every trainer, predicting raw rows \
                    as `tunekit predict`; lightgbm too for gbdt), with a signature and an input example; \
                    --register-model NAME adds it as a version of that registered model. Exporting a run again \
                    replaces its earlier export. Credentials: $MLFLOW_TRACKING_TOKEN, or $MLFLOW_TRACKING_USERNAME and \
                    $MLFLOW_TRACKING_PASSWORD.

                    With --to the same runs are written into an MLflow file store folder (no server needed; MLflow 3 \
                    reads it only with MLFLOW_ALLOW_FILE_STORE=true).
                    """)

            @OptionGroup var selection: RunSelection

            @Option(name: .customLong("tracking-uri"), help: "The MLflow tracking server, e.g. http://mlflow:5000 (default: $MLFLOW_TRACKING_URI).")
            var trackingURI: String?

            @Option(name: .customLong("register-model"), help: "Register the logged model as a new version of this registered model (with --tracking-uri).")
            var registerModel: String?

            @Option(help: "An MLflow file store folder to write into instead of a server (created if absent; e.g. mlruns).")
            var to: String?

            func validate() throws {
                let server = trackingURI ?? ProcessInfo.processInfo.environment["MLFLOW_TRACKING_URI"].flatMap { $0.isEmpty ? nil : $0 }
                guard trackingURI == nil || to == nil else { throw ValidationError("give --tracking-uri or --to, not both") }
                guard server != nil || to != nil else { throw ValidationError("give --tracking-uri URL (or $MLFLOW_TRACKING_URI) or --to FOLDER") }
                guard registerModel == nil || to == nil else { throw ValidationError("--register-model needs a tracking server (--tracking-uri)") }
            }

            func run() async throws {
                do {
                    let journal = try selection.journal()
                    if let to {
                        let (experiment, run) = try MLflowExport.export(journal: journal, to: to)
                        note("exported \(journal) to \(to): experiment \(experiment), run \(run)")
                        note("browse with: MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri \(to)")
                        return
                    }
                    let server = trackingURI ?? ProcessInfo.processInfo.environment["MLFLOW_TRACKING_URI"] ?? ""
                    let exported = try await MLflowTracking(trackingURI: server).export(journal: journal, registerModel: registerModel)
                    note("logged \(journal) to \(server): experiment \(exported.experimentID), run \(exported.runID), \(exported.trialRuns) trial runs")
                    if let model = exported.modelURI { note("model: \(model)") }
                    if let name = registerModel, let version = exported.registeredVersion { note("registered model '\(name)' version \(version)") }
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

            @Option(name: .customLong("model-artifact"), help: "Also the component's output artifact of type Model: its metadata gets the version, trainer and metrics.")
            var modelArtifact: String?

            func run() throws {
                do {
                    let path = try KFPMetrics.write(score: score, executorInput: executorInput, artifact: artifact, modelArtifact: modelArtifact)
                    note("wrote \(score) as output artifact '\(artifact)' to \(path)")
                } catch {
                    throw fail("\(error)")
                }
            }
        }
    }
}
