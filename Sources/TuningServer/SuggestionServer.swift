import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
public import Logging
public import ModelRegistry
import NIOCore
import ServiceLifecycle
import UnixSignals

/// Where and how `tunekit serve` listens, and what it serves.
public struct SuggestionServerConfiguration: Sendable {
    /// Interface to bind (`0.0.0.0` in a container).
    public var host: String
    /// TCP port; 0 picks a free one (reported through `onListening`).
    public var port: Int
    /// Largest request body accepted (as sent and once inflated); larger ones get 429 resource_exhausted.
    public var maxBodyBytes: Int
    /// Sent as the `Server` response header.
    public var serverName: String
    /// How long a suggestion through the compute gate may compute (then 504 deadline_exceeded).
    public var requestTimeout: Duration
    /// A connection that sends nothing for this long is closed (slow or stuck clients).
    public var idleTimeout: Duration
    /// An HTTP/1.1 request's header must have arrived this long after its first byte, its body `requestTimeout` after
    /// the header (then the connection is closed).
    public var headerTimeout: Duration = .seconds(10)
    /// Connections open at once; more are answered 503 and closed (default: below the process's file-descriptor limit).
    public var maxConnections: Int = SuggestionServerConfiguration.defaultMaxConnections
    /// Request body bytes held at once across all requests (read, inflated, or waiting to be decoded); a request that
    /// would go beyond gets 503 (unavailable) and its connection is closed.
    public var maxBytesInFlight: Int = 256 << 20
    /// Gated suggestions computed at once (default: one per core) and queued beyond those (then 503).
    public var computeWidth: Int
    public var computeQueue: Int
    /// Published models served over KServe's V1 and V2 protocols; nil serves the Suggestion API alone.
    public var models: ModelServing?
    /// Whether the Suggestion API is served (false: models only).
    public var suggestions = true
    /// After SIGTERM, how long the server keeps answering while health checks and `/readyz` report it is going away
    /// (so Kubernetes takes the pod out of its Service first); then it stops accepting and finishes calls in flight.
    public var drainPeriod: Duration = .zero

    public init(
        host: String = "127.0.0.1", port: Int = 6789, maxBodyBytes: Int = 8 << 20, serverName: String = "tunekit",
        requestTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60),
        computeWidth: Int = ProcessInfo.processInfo.activeProcessorCount, computeQueue: Int = 64
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.serverName = serverName
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.computeWidth = computeWidth
        self.computeQueue = computeQueue
    }

    /// 64 descriptors below the soft `RLIMIT_NOFILE` (for model files, logs and the listening socket), at most 10,000.
    public static var defaultMaxConnections: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 960 }
        return Int(max(16, min(10_000, Int64(clamping: limit.rlim_cur) - 64)))
    }
}

/// What `tunekit serve --models` serves: the loaded versions, the batch limit and the optional prediction log.
public struct ModelServing: Sendable {
    public var repository: ModelRepository
    /// Rows in one prediction request (more: 413).
    public var maxBatchRows: Int
    public var predictionLog: PredictionLog?
    /// Refuse (400) requests with values the model cannot read (unseen categories, unreadable dates, columns left
    /// out of an instance) instead of predicting them as missing values and flagging them in the response.
    public var strictInputs: Bool

    public init(
        repository: ModelRepository, maxBatchRows: Int = 100_000, predictionLog: PredictionLog? = nil, strictInputs: Bool = false
    ) {
        self.repository = repository
        self.maxBatchRows = maxBatchRows
        self.predictionLog = predictionLog
        self.strictInputs = strictInputs
    }
}

/// Katib's Suggestion and EarlyStopping APIs over the Connect protocol (HTTP/1.1 or HTTP/2, JSON or binary protobuf)
/// and over gRPC (HTTP/2 cleartext) on the same port, gRPC's health service, plus health,
/// readiness, Prometheus metrics and the OpenAPI document; with `configuration.models`, also published models over
/// KServe's V1 protocol and the Open Inference Protocol V2. Stateless: every request carries the whole history.
public enum SuggestionServer {
    /// Serves until SIGTERM or SIGINT. SIGTERM first drains for `drainPeriod` (health NOT_SERVING, `/readyz` 503,
    /// calls still answered); then, as at once on SIGINT or a second signal, the server stops accepting connections
    /// and returns once in-flight requests are answered. `onListening` receives the bound port once the server
    /// accepts connections.
    public static func run(
        _ configuration: SuggestionServerConfiguration, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void
    ) async throws {
        let serving = ServingState()
        let app = makeApplication(configuration, logger: logger, handlers: .katib, serving: serving, onListening: onListening)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], logger: logger))
        @Sendable func stop() async {
            serving.advance(to: .stopped)
            await group.triggerGracefulShutdown()
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                    if signal == .sigterm, configuration.drainPeriod > .zero, serving.phase == .serving {
                        logger.notice("draining", metadata: ["seconds": "\(configuration.drainPeriod.seconds)"])
                        serving.advance(to: .draining)
                    } else {
                        // SIGINT, a second signal, or no drain period: stop now.
                        await stop()
                    }
                }
            }
            tasks.addTask {
                await serving.waitForChange(from: .serving)
                guard serving.phase == .draining else { return }
                try? await Task.sleep(for: configuration.drainPeriod)
                await stop()
            }
            // Once the server has stopped (or failed to start), release the drain timer and the signal watcher.
            defer {
                serving.advance(to: .stopped)
                tasks.cancelAll()
            }
            try await group.run()
        }
    }

    /// The HTTP application; run it with `runService()` (graceful shutdown on SIGTERM/SIGINT: the listener closes,
    /// in-flight requests finish). `onListening` receives the bound port once the server accepts connections.
    public static func makeApplication(
        _ configuration: SuggestionServerConfiguration, logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        makeApplication(configuration, logger: logger, handlers: .katib, serving: ServingState(), onListening: onListening)
    }

    static func makeApplication(
        _ configuration: SuggestionServerConfiguration, logger: Logger, handlers: SuggestionEndpoints.Handlers,
        serving: ServingState, onListening: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let routes = routeTable(configuration, handlers: handlers, serving: serving)
        let router = Router(context: SuggestionRequestContext.self)
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: GRPCUnknownMethodMiddleware(paths: Set(routes.filter { $0.method == .post }.map { "/" + $0.path })))
        // Only plain paths: a path with captures may answer other methods on the same pattern.
        let exact = Dictionary(grouping: routes.filter { !$0.path.contains(":") }, by: { "/" + $0.path })
            .compactMapValues { $0.count == 1 ? $0[0].method : nil }
        router.add(middleware: MethodNotAllowedMiddleware(allowed: exact))
        for route in routes {
            router.on(RouterPath(route.path), method: route.method) { request, context in await route.responder(request, context) }
        }
        let idle = TimeAmount(configuration.idleTimeout)
        let (headerTimeout, bodyTimeout) = (TimeAmount(configuration.headerTimeout), TimeAmount(configuration.requestTimeout))
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionDiscipline(headerTimeout: headerTimeout, bodyTimeout: bodyTimeout)],
            idleTimeout: idle)
        // HTTP/2 streams get the body deadline (a trickled body is reset); the HTTP/2 handler bounds their headers.
        let http2 = HTTP2Channel.Configuration(
            idleTimeout: configuration.idleTimeout, gracefulCloseTimeout: configuration.requestTimeout,
            streamConfiguration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [ConnectionDiscipline(streamBodyTimeout: bodyTimeout)], idleTimeout: idle))
        let connections = ConnectionLimit(limit: configuration.maxConnections)
        return Application(
            router: router,
            server: HTTPServerBuilder { responder in
                CleartextHTTPChannel(
                    responder: responder, http1: http1, http2: http2, firstBytesTimeout: min(idle, headerTimeout),
                    connections: connections)
            },
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: configuration.serverName),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    typealias Responder = @Sendable (Request, SuggestionRequestContext) async -> Response
    /// One route: a path (with `:name` captures), its method and what answers it.
    typealias Route = (path: String, method: HTTPRequest.Method, responder: Responder)

    /// Every route the server registers for `configuration`: the Katib methods (unless models only), health,
    /// readiness, metrics and the OpenAPI document, gRPC's health service, and the KServe routes with models.
    static func routeTable(
        _ configuration: SuggestionServerConfiguration, handlers: SuggestionEndpoints.Handlers, serving: ServingState
    ) -> [Route] {
        let metrics = ServerMetrics(longestTimeout: max(configuration.requestTimeout, configuration.idleTimeout).seconds)
        let gate = ComputeGate(width: configuration.computeWidth, maxWaiting: configuration.computeQueue)
        let budget = ByteBudget(capacity: configuration.maxBytesInFlight)
        let endpoints = SuggestionEndpoints(
            maxBodyBytes: configuration.maxBodyBytes, requestTimeout: configuration.requestTimeout, metrics: metrics,
            handlers: handlers, gate: gate, budget: budget)
        let predictionLog = configuration.models?.predictionLog
        let health = HealthService(
            services: configuration.suggestions
                ? ["manager.v1beta1.Suggestion", "api.v1.beta1.Suggestion", "api.v1.beta1.EarlyStopping"] : [],
            state: serving)
        let katibMethods: [SuggestionEndpoints.Method] = [
            .getSuggestions, .validateAlgorithmSettings, .getEarlyStoppingRules, .validateEarlyStoppingSettings, .setTrialStatus,
        ]
        let katibRoutes = katibMethods.map { method -> Route in
            (method.path, .post, { @Sendable in await endpoints.respond(to: method, request: $0, context: $1) })
        }
        let plainRoutes: [Route] = [
            ("healthz", .get, { @Sendable _, _ in text("ok\n") }),
            ("readyz", .get, { @Sendable _, _ in
                guard serving.phase == .serving else { return text("draining\n", status: .serviceUnavailable) }
                guard predictionLog?.isHealthy ?? true else {
                    return text("the prediction log cannot be written\n", status: .serviceUnavailable)
                }
                return text("ready\n")
            }),
            ("metrics", .get, { @Sendable _, _ in
                text(
                    metrics.prometheusText(models: configuration.models?.repository) + (predictionLog.map(predictionLogMetrics) ?? ""),
                    contentType: "text/plain; version=0.0.4")
            }),
            ("openapi.json", .get, { @Sendable _, _ in SuggestionEndpoints.json(.ok, OpenAPIDocument.json) }),
        ]
        let inferenceRoutes = configuration.models.map { models in
            InferenceEndpoints(
                repository: models.repository, maxBodyBytes: configuration.maxBodyBytes,
                limits: InferenceLimits(maxRows: models.maxBatchRows), gate: gate, budget: budget, metrics: metrics,
                predictionLog: models.predictionLog, strictInputs: models.strictInputs
            ).routes
        } ?? []
        let healthRoutes: [Route] = [
            (HealthService.checkPath, .post, { @Sendable request, _ in
                GRPCProtocol.isGRPC(request.headers) ? await health.check(request) : grpcOnly
            }),
            (HealthService.watchPath, .post, { @Sendable request, context in
                GRPCProtocol.isGRPC(request.headers) ? await health.watch(request, closed: context.channel.closeFuture) : grpcOnly
            }),
        ]
        return (configuration.suggestions ? katibRoutes : []) + plainRoutes + healthRoutes + inferenceRoutes
    }

    private static func predictionLogMetrics(_ log: PredictionLog) -> String {
        """
        # HELP tunekit_prediction_log_write_failures_total Prediction log writes that failed (their events are lost).
        # TYPE tunekit_prediction_log_write_failures_total counter
        tunekit_prediction_log_write_failures_total \(log.failureCount)
        # HELP tunekit_prediction_log_healthy 1 while the prediction log is written, 0 while its writes fail.
        # TYPE tunekit_prediction_log_healthy gauge
        tunekit_prediction_log_healthy \(log.isHealthy ? 1 : 0)

        """
    }

    /// The health service answers gRPC only; other clients have `/healthz` and `/readyz`.
    private static var grpcOnly: Response {
        var response = SuggestionEndpoints.error(ConnectProtocol.Failure(
            .unimplemented, "grpc.health.v1.Health is served over gRPC only; use GET /healthz or /readyz"))
        response.status = .unsupportedMediaType
        return response
    }

    private static func text(
        _ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8"
    ) -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
