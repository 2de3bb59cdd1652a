import Foundation
import HTTPTypes
import Hummingbird
import KatibWire
import Logging
import NIOCore
import SuggestionAlgorithms

/// Katib's Suggestion and EarlyStopping methods over the Connect protocol's unary form: the request in protobuf JSON
/// (`application/json`) or binary protobuf (`application/proto`), the reply in the same codec, errors as Connect's JSON
/// error body with its HTTP status. Every method calls the same service code as `tunekit suggest`.
struct SuggestionEndpoints: Sendable {
    enum Method: String, Sendable {
        case getSuggestions = "GetSuggestions"
        case validateAlgorithmSettings = "ValidateAlgorithmSettings"
        case getEarlyStoppingRules = "GetEarlyStoppingRules"
        case validateEarlyStoppingSettings = "ValidateEarlyStoppingSettings"
        case setTrialStatus = "SetTrialStatus"

        /// The HTTP path: `/api.v1.beta1.<Service>/<Method>`, as Connect (and grpc-gateway) name gRPC methods.
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

        /// Katib's semantics; requests without `random_state` get a fresh seed, as Katib's services do. Each value keeps
        /// its own cache of converted experiments.
        static var katib: Handlers {
            let prepared = PreparedExperiments()
            return Handlers(
                getSuggestions: { request, cancellation, warn in
                    try SuggestionService.getSuggestions(
                        request, fallbackSeed: UInt64.random(in: 0...UInt64.max), cancellation: cancellation,
                        prepared: prepared, onWarning: warn)
                },
                validate: { try SuggestionService.validate($0) })
        }
    }

    let maxBodyBytes: Int
    /// How long a gated suggestion may compute before it is stopped with deadline_exceeded (504).
    let requestTimeout: Duration
    let metrics: ServerMetrics
    let handlers: Handlers
    let gate: ComputeGate
    /// Request body bytes held at once across requests.
    let budget: ByteBudget
    /// Binary GetSuggestions requests reuse the trials earlier calls decoded (Katib resends the whole history).
    let trialCache = TrialDecodeCache()

    typealias Failure = ConnectProtocol.Failure

    /// Answers one call: gRPC (HTTP/2, `application/grpc`) or Connect (anything else), with the same handlers,
    /// limits and deadline, and the same status code and message for every refusal.
    func respond(to method: Method, request: Request, context: SuggestionRequestContext) async -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        var algorithm = "none"
        let isGRPC = GRPCProtocol.isGRPC(request.headers)
        let response: Response
        var errorCode: String?
        // gRPC answers every call with HTTP 200; its metrics carry the status Connect would have sent for the outcome.
        var grpcOutcome = 200
        let reservation = BodyReservation(budget)
        defer { withExtendedLifetime(reservation) {} }
        do {
            if isGRPC {
                guard GRPCProtocol.isProtobuf(request.headers) else {
                    throw Failure(.unimplemented, "Content-Type '\(request.headers[.contentType] ?? "")' is not supported; send application/grpc (protobuf)")
                }
                let timeout = try GRPCProtocol.timeout(request.headers).map { min($0, requestTimeout) } ?? requestTimeout
                let body = try await GRPCProtocol.readMessage(request, limit: maxBodyBytes, reservation: reservation)
                response = GRPCProtocol.reply(
                    try await call(method, body: body, codec: .proto, timeout: timeout, logger: context.logger, algorithm: &algorithm))
            } else {
                guard let codec = ConnectProtocol.Codec(contentType: request.headers[.contentType]) else {
                    throw UnsupportedMediaType(contentType: request.headers[.contentType])
                }
                let gzipped = try ConnectProtocol.bodyIsGzipped(request.headers)
                let timeout = try ConnectProtocol.timeout(request.headers).map { min($0, requestTimeout) } ?? requestTimeout
                let body = try await readBody(request, gzipped: gzipped, reservation: reservation)
                let reply = try await call(method, body: body, codec: codec, timeout: timeout, logger: context.logger, algorithm: &algorithm)
                response = Self.message(reply, codec: codec)
            }
        } catch let unsupported as UnsupportedMediaType {
            errorCode = ConnectProtocol.Code.invalidArgument.rawValue
            response = unsupported.response
        } catch {
            let refusal = refusal(error, method: method, context: context)
            errorCode = refusal.code.rawValue
            grpcOutcome = refusal.code.httpStatus.code
            response = isGRPC ? GRPCProtocol.error(refusal) : Self.error(refusal)
        }
        metrics.record(
            endpoint: method.rawValue, algorithm: algorithm, status: isGRPC ? grpcOutcome : response.status.code,
            errorCode: errorCode, seconds: (clock.now - start).seconds)
        return response
    }

    /// Decodes a request in `codec`, answers it and encodes the reply; `algorithm` becomes the metrics label.
    private func call(
        _ method: Method, body: Data, codec: ConnectProtocol.Codec, timeout: Duration, logger: Logger, algorithm: inout String
    ) async throws -> Data {
        switch method {
        case .getSuggestions:
            let trialCache = self.trialCache
            let decoded = try await decode(body) {
                codec == .proto
                    ? try trialCache.decode(body, trialLimit: SuggestionLimits.historyTrials) : try GetSuggestionsRequest(body, codec: codec)
            }
            algorithm = Self.label(decoded.experiment)
            return try await suggest(decoded, timeout: timeout, logger: logger).encoded(codec)
        case .validateAlgorithmSettings:
            let decoded = try await decode(body) { try ValidateAlgorithmSettingsRequest(body, codec: codec) }
            algorithm = Self.label(decoded.experiment)
            try answer { try handlers.validate(decoded) }
            return Self.emptyReply(codec)
        case .getEarlyStoppingRules:
            let decoded = try await decode(body) { try GetEarlyStoppingRulesRequest(body, codec: codec) }
            algorithm = decoded.experiment.spec.earlyStopping.map { Self.earlyStoppingLabel($0.algorithmName) } ?? "none"
            return try answer { try EarlyStoppingService.rules(decoded) }.encoded(codec)
        case .validateEarlyStoppingSettings:
            let decoded = try await decode(body) { try ValidateEarlyStoppingSettingsRequest(body, codec: codec) }
            algorithm = Self.earlyStoppingLabel(decoded.earlyStopping.algorithmName)
            try answer { try EarlyStoppingService.validate(decoded) }
            return Self.emptyReply(codec)
        case .setTrialStatus:
            // Katib's medianstop service marks the Trial resource EarlyStopped through the Kubernetes API; a stateless
            // service without cluster credentials cannot, and must not pretend it did.
            _ = try answer { try SetTrialStatusRequest(body, codec: codec) }
            throw Failure(.unimplemented, Self.setTrialStatusRefusal)
        }
    }

    static let setTrialStatusRefusal = """
        SetTrialStatus is not implemented: marking a Katib Trial EarlyStopped needs the Kubernetes API, which tunekit \
        does not call; run Katib's own medianstop service for early stopping on a cluster (tunekit applies its rules \
        in local runs)
        """

    /// A refused call as the client sees it; errors that are not the client's are logged under the request id.
    private func refusal(_ error: any Error, method: Method, context: SuggestionRequestContext) -> Failure {
        if let failure = error as? Failure {
            context.logger.info(
                "request refused", metadata: ["method": "\(method.rawValue)", "code": "\(failure.code.rawValue)",
                                              "reason": "\(failure.message)"])
            return failure
        }
        // Not a user error: log it with the request id, tell the client only that it happened.
        context.logger.error("internal error", metadata: ["method": "\(method.rawValue)", "error": "\(error)"])
        return Failure(.`internal`, "internal error; request id \(context.requestID)")
    }

    /// A body in a codec Connect does not define: 415, listing the two it does (Connect's rule), with a readable body.
    private struct UnsupportedMediaType: Error {
        let contentType: String?

        var response: Response {
            let failure = Failure(
                .unimplemented,
                "Content-Type '\(contentType ?? "")' is not supported; send application/json or application/proto")
            var response = SuggestionEndpoints.error(failure)
            response.status = .unsupportedMediaType
            response.headers[HTTPField.Name("Accept-Post")!] = "application/json, application/proto"
            return response
        }
    }

    /// Small requests to algorithms that declare themselves cheap (random, grid, sobol; ≤ 100 points, ≤ 10,000 trials:
    /// well under a millisecond of work) are answered on the request's own task; every other suggestion runs through
    /// the gate, off the threads that serve other
    /// requests, with a deadline (the server's, or the client's `Connect-Timeout-Ms` when shorter) that stops it
    /// between points (deadline_exceeded); a full gate answers unavailable at once.
    private func suggest(_ request: GetSuggestionsRequest, timeout: Duration, logger: Logger) async throws -> GetSuggestionsReply {
        let cancellation = CancellationFlag()
        let handler = handlers.getSuggestions
        let warn: @Sendable (String) -> Void = { logger.warning("history ignored", metadata: ["reason": "\($0)"]) }
        if SuggestionService.cost(ofAlgorithm: request.experiment.spec.algorithm.algorithmName) == .cheap, request.currentRequestNumber <= 100,
           request.trials.count <= 10_000 {
            return try answer { try handler(request, cancellation, warn) }
        }
        let deadline = Task {
            try? await Task.sleep(for: timeout)
            cancellation.cancel()
        }
        defer { deadline.cancel() }
        do {
            return try await gate.run { try handler(request, cancellation, warn) }
        } catch is ComputeGate.Busy {
            throw Failure(.unavailable, "the server is busy computing suggestions; retry later")
        } catch let status as KatibStatus where status.code == .deadlineExceeded {
            throw Failure(.deadlineExceeded, "the suggestion took longer than the deadline of \(timeout)")
        } catch let status as KatibStatus {
            throw Failure(status)
        }
    }

    /// The body, up to `maxBodyBytes` as sent and once inflated (more → resource_exhausted), within the server's
    /// budget of body bytes (beyond → unavailable). A client that leaves mid-body is recorded as canceled (nobody is
    /// there to read it), not as a server error.
    private func readBody(_ request: Request, gzipped: Bool, reservation: BodyReservation) async throws -> Data {
        var request = request
        let tooLarge = Failure(.resourceExhausted, "request body exceeds the limit of \(maxBodyBytes) bytes")
        do {
            return try await request.readBody(upTo: maxBodyBytes, gzipped: gzipped, reservation: reservation)
        } catch let failure {
            switch failure {
            case .tooLarge: throw tooLarge
            case .busy: throw Self.budgetSpent
            case .broken(let error): throw Failure(.canceled, "the request body could not be read: \(error)")
            case .corrupt(let reason): throw Failure(.invalidArgument, "the gzip request body could not be inflated: \(reason)")
            }
        }
    }

    static let budgetSpent = Failure(.unavailable, "the server holds as many request bytes as it allows; retry later")

    /// Decodes a request: on the request's task when small, through the compute gate when over `inlineBodyBytes`
    /// (decoding 8 MB of trials takes long enough to hold up every request sharing the thread).
    private func decode<T: Sendable>(_ body: Data, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard body.count > InferenceEndpoints.inlineBodyBytes else { return try answer(work) }
        do {
            return try await gate.run(work)
        } catch is ComputeGate.Busy {
            throw Failure(.unavailable, "the server is busy decoding requests; retry later")
        } catch let status as KatibStatus {
            throw Failure(status)
        }
    }

    /// Runs decoding or a handler; its `KatibStatus` errors are the client's, anything else is internal.
    private func answer<T>(_ work: () throws -> T) throws -> T {
        do { return try work() } catch let status as KatibStatus { throw Failure(status) }
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

    /// The empty reply message (`{}` in JSON, zero bytes in protobuf).
    private static func emptyReply(_ codec: ConnectProtocol.Codec) -> Data {
        codec == .json ? Data("{}".utf8) : KatibProtobuf.emptyReply
    }

    /// A successful reply in the request's codec (JSON ends with a newline, for people reading it in a terminal).
    private static func message(_ data: Data, codec: ConnectProtocol.Codec) -> Response {
        var body = ByteBuffer()
        body.writeBytes(data)
        if codec == .json { body.writeString("\n") }
        return Response(status: .ok, headers: [.contentType: codec.contentType], body: ResponseBody(byteBuffer: body))
    }

    /// Connect's error response: the code's HTTP status and the JSON error body.
    static func error(_ failure: Failure) -> Response {
        json(failure.code.httpStatus, failure.body)
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
