import ArgumentParser
import ExperimentRunner
import Foundation
import Logging
import TuningServer

extension TunekitCommand {
    struct ServeCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve Katib's Suggestion API over the Connect protocol (JSON or binary protobuf; no gRPC).",
            discussion: """
                POST /api.v1.beta1.Suggestion/GetSuggestions and /ValidateAlgorithmSettings take Katib's messages \
                in the protobuf JSON mapping, as `tunekit suggest` does. Also GET /healthz, /readyz, /metrics \
                (Prometheus) and /openapi.json. Logs go to stderr; SIGTERM or SIGINT stops the server after the \
                requests in flight are answered. Prints "listening on http://HOST:PORT" once it accepts connections.
                """)

        @Option(help: "Interface to bind (0.0.0.0 to accept connections from other hosts).")
        var host = "127.0.0.1"

        @Option(help: "TCP port (Katib's suggestion services use 6789; 0 picks a free port).")
        var port = 6789

        @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted, as sent and once inflated; larger ones get 429 resource_exhausted.")
        var maxBodyBytes = 8 << 20

        @Option(name: .customLong("request-timeout"), help: "Seconds a suggestion may compute before it is stopped (504 deadline_exceeded); small random/grid requests are exempt.")
        var requestTimeout = 30.0

        @Option(name: .customLong("idle-timeout"), help: "Seconds of silence after which a connection is closed.")
        var idleTimeout = 60.0

        @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
        var logLevel = "info"

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
            guard requestTimeout > 0, requestTimeout <= 86_400, idleTimeout > 0, idleTimeout <= 86_400 else {
                throw ValidationError("--request-timeout and --idle-timeout must be in (0, 86400] seconds")
            }
            guard maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive, got \(maxBodyBytes)") }
            guard Logger.Level(rawValue: logLevel) != nil else {
                throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
            }
        }

        func run() async throws {
            var logger = Logger(label: "tunekit.serve") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            let configuration = SuggestionServerConfiguration(
                host: host, port: port, maxBodyBytes: maxBodyBytes, serverName: "tunekit/\(Tunekit.version)",
                requestTimeout: .milliseconds(Int64(requestTimeout * 1000)), idleTimeout: .milliseconds(Int64(idleTimeout * 1000)))
            let host = self.host
            try await SuggestionServer.run(configuration, logger: logger) { port in
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
            }
        }
    }
}
