import ArgumentParser
import Foundation
import Logging
import ModelRegistry
import TuningServer

extension TunekitCommand {
    struct ServeCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve Katib's Suggestion API over gRPC (for Katib's controller) and the Connect protocol (for any HTTP client) on one port, and published models over KServe's V1 and V2 protocols.",
            discussion: """
                POST /api.v1.beta1.Suggestion/GetSuggestions and /ValidateAlgorithmSettings take Katib's messages \
                over the Connect protocol (HTTP/1.1 or HTTP/2; protobuf JSON, as `tunekit suggest` does, or binary \
                protobuf) and over gRPC (HTTP/2 cleartext), which is how Katib's controller calls a suggestion \
                service; so do Katib's EarlyStopping methods (Katib's early-stopping services listen on 6788). gRPC's \
                health service grpc.health.v1.Health answers SERVING for "" and manager.v1beta1.Suggestion (Katib's \
                gRPC probe). Also GET /healthz, /readyz, /metrics (Prometheus) and /openapi.json. Logs go to stderr. \
                SIGTERM drains for --drain-seconds (health NOT_SERVING, /readyz 503, calls still answered), then \
                stops accepting connections and exits once the requests in flight are answered; SIGINT or a second \
                signal skips the drain. Prints "listening on http://HOST:PORT" once it accepts connections.

                With --models, published models answer KServe's V1 protocol (GET /v1/models/NAME, \
                POST /v1/models/NAME:predict with "instances") and the Open Inference Protocol V2 \
                (/v2/health/live|ready, GET /v2/models/NAME[/versions/V], POST /v2/models/NAME[/versions/V]/infer, \
                JSON or binary tensors), predicting as `tunekit predict` does. Values the model cannot read (a category \
                not seen in training, an unreadable date, a column an instance leaves out) are predicted as missing \
                values, counted in /metrics (tunekit_inference_unknown_inputs_total), logged at most once a minute per \
                column, and flagged in the response (V1: "warnings"; V2: "parameters"."unknown_inputs"); \
                --strict-inputs refuses them instead.
                """)

        @Option(help: "Interface to bind (0.0.0.0 to accept connections from other hosts).")
        var host = "127.0.0.1"

        @Option(help: "TCP port (Katib's suggestion services use 6789; 0 picks a free port).")
        var port = 6789

        @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted, as sent and once inflated; larger ones get 429 resource_exhausted.")
        var maxBodyBytes = 8 << 20

        @Option(name: .customLong("request-timeout"), help: "Seconds a suggestion may compute before it is stopped (504 deadline_exceeded); small requests to the cheap algorithms (random, grid, sobol) are exempt.")
        var requestTimeout = 30.0

        @Option(name: .customLong("idle-timeout"), help: "Seconds of silence after which a connection is closed.")
        var idleTimeout = 60.0

        @Option(name: .customLong("header-timeout"), help: "Seconds an HTTP/1.1 request's header may take to arrive after its first byte (then the connection is closed); its body gets --request-timeout.")
        var headerTimeout = 10.0

        @Option(name: .customLong("max-connections"), help: "Connections open at once; more are answered 503 and closed (default: 64 below the open-file limit).")
        var maxConnections = SuggestionServerConfiguration.defaultMaxConnections

        @Option(name: .customLong("max-bytes-in-flight"), help: "Request body bytes held at once across all requests; a request that would go beyond gets 503 and its connection is closed.")
        var maxBytesInFlight = 256 << 20

        @Option(name: .customLong("drain-seconds"), help: "After SIGTERM, seconds during which health checks say NOT_SERVING and /readyz 503 while calls are still answered, so Kubernetes takes the pod out of its Service before it stops.")
        var drainSeconds = 0.0

        @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
        var logLevel = "info"

        @Option(help: "Serve published models: an output folder (its model/VERSION/ folders) or one model directory.")
        var models: String?

        @Option(name: .customLong("model-name"), help: "The name clients address (/v1/models/NAME, /v2/models/NAME).")
        var modelName = "tunekit"

        @Option(name: .customLong("model-version"), help: "The version answering requests that name none (default: $MODEL_VERSION, else the latest published).")
        var modelVersion: String?

        @Flag(name: .customLong("models-only"), help: "Serve the models without the Suggestion API.")
        var modelsOnly = false

        @Option(name: .customLong("max-batch-rows"), help: "Rows in one prediction request; more get 413.")
        var maxBatchRows = 100_000

        @Flag(name: .customLong("strict-inputs"), help: "Refuse (400) prediction requests with values the model cannot read: text values not seen in training, unreadable dates, columns an instance leaves out. Without it they are predicted as missing values, counted in /metrics, logged and flagged in the response.")
        var strictInputs = false

        @Option(name: .customLong("prediction-log"), help: "Folder for the prediction log: every request's rows, predictions, model version and id as CloudEvents JSON lines (KServe's logger's events), read by `tunekit drift --current`; '-' writes them to standard output (KServe's Serverless mode, where the cluster's log collector keeps them).")
        var predictionLog: String?

        @Option(name: .customLong("prediction-log-max-bytes"), help: "Start a new prediction log file past this size.")
        var predictionLogMaxBytes = 64 << 20

        @Option(name: .customLong("prediction-log-max-files"), help: "Prediction log files kept; the oldest are deleted.")
        var predictionLogMaxFiles = 20

        func validate() throws {
            guard !modelsOnly || models != nil else { throw ValidationError("--models-only needs --models") }
            guard models != nil || (predictionLog == nil && !strictInputs) else {
                throw ValidationError("--prediction-log and --strict-inputs need --models")
            }
            guard maxBatchRows > 0, predictionLogMaxBytes > 0, predictionLogMaxFiles > 0 else {
                throw ValidationError("--max-batch-rows, --prediction-log-max-bytes and --prediction-log-max-files must be positive")
            }
            guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
            guard requestTimeout > 0, requestTimeout <= 86_400, idleTimeout > 0, idleTimeout <= 86_400 else {
                throw ValidationError("--request-timeout and --idle-timeout must be in (0, 86400] seconds")
            }
            guard drainSeconds >= 0, drainSeconds <= 3600 else {
                throw ValidationError("--drain-seconds must be in [0, 3600], got \(drainSeconds)")
            }
            guard maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive, got \(maxBodyBytes)") }
            guard headerTimeout > 0, headerTimeout <= 3600 else {
                throw ValidationError("--header-timeout must be in (0, 3600] seconds, got \(headerTimeout)")
            }
            guard maxConnections > 0, maxBytesInFlight > 0 else {
                throw ValidationError("--max-connections and --max-bytes-in-flight must be positive")
            }
            guard Logger.Level(rawValue: logLevel) != nil else {
                throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
            }
        }

        func run() async throws {
            // A file-size limit (RLIMIT_FSIZE) reached by the prediction log is a failed write to report, not a reason
            // for the kernel to kill the server.
            signal(SIGXFSZ, SIG_IGN)
            var logger = Logger(label: "tunekit.serve") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            var configuration = SuggestionServerConfiguration(
                host: host, port: port, maxBodyBytes: maxBodyBytes, serverName: "tunekit/\(Tunekit.version)",
                requestTimeout: .milliseconds(Int64(requestTimeout * 1000)), idleTimeout: .milliseconds(Int64(idleTimeout * 1000)))
            configuration.drainPeriod = .milliseconds(Int64(drainSeconds * 1000))
            configuration.headerTimeout = .milliseconds(Int64(headerTimeout * 1000))
            (configuration.maxConnections, configuration.maxBytesInFlight) = (maxConnections, maxBytesInFlight)
            var log: PredictionLog?
            if let models {
                let version = modelVersion ?? ProcessInfo.processInfo.environment["MODEL_VERSION"].flatMap { $0.isEmpty ? nil : $0 }
                let repository: ModelRepository
                do {
                    repository = try ModelRepository.load(directory: models, name: modelName, defaultVersion: version)
                    log = try predictionLog.map {
                        try PredictionLog(directory: $0, maxFileBytes: predictionLogMaxBytes, maxFiles: predictionLogMaxFiles, logger: logger)
                    }
                } catch {
                    throw fail("\(error)")
                }
                configuration.models = ModelServing(
                    repository: repository, maxBatchRows: maxBatchRows, predictionLog: log, strictInputs: strictInputs)
                configuration.suggestions = !modelsOnly
                let kinds = repository.versionNames.map { "\($0) (\(repository.versions[$0]!.kind))" }
                note("serving model '\(modelName)': \(kinds.joined(separator: ", ")); default version \(repository.defaultVersion)")
                for reason in repository.skipped { note("not serving \(reason)") }
            }
            defer { log?.close() }
            let host = self.host
            try await SuggestionServer.run(configuration, logger: logger) { port in
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
            }
        }
    }
}
