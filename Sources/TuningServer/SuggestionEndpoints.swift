import ExperimentModel
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SuggestionAlgorithms

/// The two Suggestion API methods over HTTP: JSON body in, JSON body out, errors as `{"code", "message"}` with the
/// HTTP status grpc-gateway gives their gRPC code. Both call `SuggestionService`, exactly as `tunekit suggest` does.
struct SuggestionEndpoints: Sendable {
    enum Method: String, Sendable {
        case getSuggestions = "GetSuggestions"
        case validateAlgorithmSettings = "ValidateAlgorithmSettings"
        case getEarlyStoppingRules = "GetEarlyStoppingRules"
        case validateEarlyStoppingSettings = "ValidateEarlyStoppingSettings"
        case setTrialStatus = "SetTrialStatus"

        /// The HTTP path: `/api.v1.beta1.<Service>/<Method>`, as grpc-gateway names gRPC methods.
        var path: String {
            switch self {
            case .getSuggestions, .validateAlgorithmSettings: "api.v1.beta1.Suggestion/\(rawValue)"
            default: "api.v1.beta1.EarlyStopping/\(rawValue)"
            }
        }
    }

    /// What answers the decoded requests: `SuggestionService` in production.
    struct Handlers: Sendable {
        /// Answers a request; stops early once the flag is set; reports ignored history through the warning callback.
        var getSuggestions: @Sendable (GetSuggestionsRequest, CancellationFlag, (String) -> Void) throws -> GetSuggestionsReply
        var validate: @Sendable (ValidateAlgorithmSettingsRequest) throws -> Void

        /// Katib's semantics; requests without `random_state` get a fresh seed, as Katib's services do.
        static let katib = Handlers(
            getSuggestions: { request, cancellation, warn in
                try SuggestionService.getSuggestions(
                    request, fallbackSeed: UInt64.random(in: 0...UInt64.max), cancellation: cancellation, onWarning: warn)
            },
            validate: { try SuggestionService.validate($0) })
    }

    let maxBodyBytes: Int
    /// How long a gated suggestion may compute before it is stopped with DEADLINE_EXCEEDED (504).
    let requestTimeout: Duration
    let metrics: ServerMetrics
    let handlers: Handlers
    let gate: ComputeGate

    /// A failure with its HTTP status and gRPC status name.
    struct Failure: Error {
        let status: HTTPResponse.Status
        let body: KatibStatus

        static func badRequest(_ status: KatibStatus) -> Failure { Failure(status: .badRequest, body: status) }
    }

    func respond(to method: Method, request: Request, context: SuggestionRequestContext) async -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        var algorithm = "none"
        let response: Response
        var errorCode: String?
        do {
            let body = try await readBody(request)
            switch method {
            case .getSuggestions:
                let decoded = try answer { try KatibJSON.decode(GetSuggestionsRequest.self, from: body) }
                algorithm = Self.label(decoded.experiment)
                let reply = try await suggest(decoded, logger: context.logger)
                response = Self.json(.ok, KatibJSON.encode(reply))
            case .validateAlgorithmSettings:
                let decoded = try answer { try KatibJSON.decode(ValidateAlgorithmSettingsRequest.self, from: body) }
                algorithm = Self.label(decoded.experiment)
                try answer { try handlers.validate(decoded) }
                response = Self.json(.ok, Data("{}".utf8))
            case .getEarlyStoppingRules:
                let decoded = try answer { try KatibJSON.decode(GetEarlyStoppingRulesRequest.self, from: body) }
                algorithm = decoded.experiment.spec.earlyStopping.map { Self.earlyStoppingLabel($0.algorithmName) } ?? "none"
                let reply = try answer { try EarlyStoppingService.rules(decoded) }
                response = Self.json(.ok, KatibJSON.encode(reply))
            case .validateEarlyStoppingSettings:
                let decoded = try answer { try KatibJSON.decode(ValidateEarlyStoppingSettingsRequest.self, from: body) }
                algorithm = Self.earlyStoppingLabel(decoded.earlyStopping.algorithmName)
                try answer { try EarlyStoppingService.validate(decoded) }
                response = Self.json(.ok, Data("{}".utf8))
            case .setTrialStatus:
                // Katib's service marks the Trial resource EarlyStopped; a stateless service has nothing to record.
                _ = try answer { try KatibJSON.decode(SetTrialStatusRequest.self, from: body) }
                response = Self.json(.ok, Data("{}".utf8))
            }
        } catch let failure as Failure {
            errorCode = failure.body.code
            context.logger.info(
                "request refused", metadata: ["method": "\(method.rawValue)", "code": "\(failure.body.code)",
                                              "reason": "\(failure.body.message)"])
            response = Self.json(failure.status, KatibJSON.encode(failure.body))
        } catch {
            // Not a user error: log it with the request id, tell the client only that it happened.
            errorCode = "INTERNAL"
            context.logger.error("internal error", metadata: ["method": "\(method.rawValue)", "error": "\(error)"])
            let status = KatibStatus(code: "INTERNAL", message: "internal error; request id \(context.requestID)")
            response = Self.json(.internalServerError, KatibJSON.encode(status))
        }
        metrics.record(
            endpoint: method.rawValue, algorithm: algorithm, status: response.status.code, errorCode: errorCode,
            seconds: (clock.now - start).seconds)
        return response
    }

    /// Small random and grid requests (≤ 100 points, ≤ 10,000 trials: well under a millisecond of work) are answered on
    /// the request's own task; every other suggestion runs through the gate, off the threads that serve other
    /// requests, with a deadline that stops it between points (504 DEADLINE_EXCEEDED); a full gate answers 503
    /// UNAVAILABLE at once.
    private func suggest(_ request: GetSuggestionsRequest, logger: Logger) async throws -> GetSuggestionsReply {
        let cancellation = CancellationFlag()
        let handler = handlers.getSuggestions
        let warn: @Sendable (String) -> Void = { logger.warning("history ignored", metadata: ["reason": "\($0)"]) }
        if ["random", "grid"].contains(request.experiment.spec.algorithm.algorithmName), request.currentRequestNumber <= 100,
           request.trials.count <= 10_000 {
            return try answer { try handler(request, cancellation, warn) }
        }
        let timeout = requestTimeout
        let deadline = Task {
            try? await Task.sleep(for: timeout)
            cancellation.cancel()
        }
        defer { deadline.cancel() }
        do {
            return try await gate.run { try handler(request, cancellation, warn) }
        } catch is ComputeGate.Busy {
            throw Failure(
                status: .serviceUnavailable,
                body: KatibStatus(code: "UNAVAILABLE", message: "the server is busy computing suggestions; retry later"))
        } catch let status as KatibStatus where status.code == "DEADLINE_EXCEEDED" {
            throw Failure(
                status: .gatewayTimeout,
                body: KatibStatus(code: status.code, message: "the suggestion took longer than the server's limit of \(timeout)"))
        } catch let status as KatibStatus {
            throw Failure.badRequest(status)
        }
    }

    /// The body, up to `maxBodyBytes` (more → 413 RESOURCE_EXHAUSTED). A client that leaves mid-body is recorded as
    /// 499 CANCELLED (nobody is there to read it), not as a server error.
    private func readBody(_ request: Request) async throws -> Data {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: maxBodyBytes)
            return Data(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw Failure(
                status: .contentTooLarge,
                body: KatibStatus(code: "RESOURCE_EXHAUSTED", message: "request body exceeds the limit of \(maxBodyBytes) bytes"))
        } catch {
            throw Failure(
                status: HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request"),
                body: KatibStatus(code: "CANCELLED", message: "the request body could not be read: \(error)"))
        }
    }

    /// Runs decoding or a handler; its `KatibStatus` errors are the client's (400), anything else is internal.
    private func answer<T>(_ work: () throws -> T) throws -> T {
        do { return try work() } catch let status as KatibStatus { throw Failure.badRequest(status) }
    }

    /// An early-stopping algorithm as a metrics label (bounded like `label`).
    private static func earlyStoppingLabel(_ name: String) -> String {
        EarlyStoppingService.algorithms.contains { $0.algorithmName == name } ? name : "other"
    }

    /// The algorithm as a metrics label: a supported name, or "other" (unknown names must not grow the label set).
    private static func label(_ experiment: KatibExperiment) -> String {
        let name = experiment.spec.algorithm.algorithmName
        return SuggestionService.supportedNames.contains(name) ? name : "other"
    }

    static func json(_ status: HTTPResponse.Status, _ data: Data) -> Response {
        var body = ByteBuffer()
        body.writeBytes(data)
        body.writeString("\n")
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
