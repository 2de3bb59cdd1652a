import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging
@testable import TuningServer

/// A suggestion server on a free loopback port for the duration of `body`, driven over real HTTP. With
/// `TUNEKIT_TEST_SERVER_LOG=1` the server logs at trace level on stderr (to see what a failing test's server did).
struct LiveServer {
    let base: URL

    static func run(
        maxBodyBytes: Int = 8 << 20, requestTimeout: Duration = .seconds(30), handlers: SuggestionEndpoints.Handlers = .katib,
        serving: ServingState = ServingState(), _ body: @Sendable (LiveServer) async throws -> Void
    ) async throws {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = SuggestionServer.makeApplication(
            SuggestionServerConfiguration(port: 0, maxBodyBytes: maxBodyBytes, requestTimeout: requestTimeout),
            logger: ProcessInfo.processInfo.environment["TUNEKIT_TEST_SERVER_LOG"] == nil
                ? Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
                : { var logger = Logger(label: "test") { StreamLogHandler.standardError(label: $0) }; logger.logLevel = .trace; return logger }(), handlers: handlers, serving: serving,
            onListening: { continuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { return }
            try await body(LiveServer(base: URL(string: "http://127.0.0.1:\(port)")!))
            group.cancelAll()
        }
    }

    struct Reply {
        let status: Int
        let body: Data
        let headers: [AnyHashable: Any]

        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    func post(_ path: String, _ body: Data, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return try await send(request)
    }

    func get(_ path: String) async throws -> Reply {
        try await send(URLRequest(url: base.appendingPathComponent(path)))
    }

    private func send(_ request: URLRequest) async throws -> Reply {
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return Reply(status: http?.statusCode ?? 0, body: data, headers: http?.allHeaderFields ?? [:])
    }
}

/// Katib-shaped request bodies.
enum Requests {
    static let suggestPath = "api.v1.beta1.Suggestion/GetSuggestions"
    static let validatePath = "api.v1.beta1.Suggestion/ValidateAlgorithmSettings"

    static func experiment(_ algorithm: String, settings: [(String, String)] = [("random_state", "3")]) -> String {
        // Grid needs a step on every double (Katib's rule); the others sample lr on a log scale.
        let lrSpace = algorithm == "grid"
            ? #"{"min": "0.001", "max": "0.1", "step": "0.011"}"#
            : #"{"min": "0.001", "max": "0.1", "distribution": "LOG_UNIFORM"}"#
        let settingsJSON = settings.map { #"{"name": "\#($0.0)", "value": "\#($0.1)"}"# }.joined(separator: ", ")
        return """
            {"name": "server-test", "spec": {
               "parameterSpecs": {"parameters": [
                 {"name": "lr", "parameterType": "DOUBLE", "feasibleSpace": \(lrSpace)},
                 {"name": "layers", "parameterType": "INT", "feasibleSpace": {"min": "1", "max": "8"}},
                 {"name": "optimizer", "parameterType": "CATEGORICAL", "feasibleSpace": {"list": ["sgd", "adam"]}}]},
               "objective": {"type": "MINIMIZE", "objectiveMetricName": "loss"},
               "algorithm": {"algorithmName": "\(algorithm)", "algorithmSettings": [\(settingsJSON)]}}}
            """
    }

    /// `trials` succeeded trials on a deterministic grid of points, loss = a smooth function of them.
    static func history(_ trials: Int) -> String {
        (0..<trials).map { index in
            let lr = 0.001 * pow(100, Double(index % 7) / 6), layers = 1 + index % 8, optimizer = index % 2 == 0 ? "sgd" : "adam"
            let loss = pow(log10(lr) + 2, 2) + Double((layers - 4) * (layers - 4)) / 10 + (optimizer == "adam" ? 0 : 0.5)
            return """
                {"name": "t\(index)", "spec": {"parameterAssignments": {"assignments": [
                   {"name": "lr", "value": "\(lr)"}, {"name": "layers", "value": "\(layers)"}, {"name": "optimizer", "value": "\(optimizer)"}]}},
                 "status": {"condition": "SUCCEEDED", "observation": {"metrics": [{"name": "loss", "value": "\(loss)"}]}}}
                """
        }.joined(separator: ", ")
    }

    static func getSuggestions(_ algorithm: String, trials: Int = 12, count: Int = 2) -> Data {
        Data("""
            {"experiment": \(experiment(algorithm)), "trials": [\(history(trials))],
             "currentRequestNumber": \(count), "totalRequestNumber": \(trials + count)}
            """.utf8)
    }

    /// `count` seeded mutations of a request body: 1…`maxEdits` flipped bits, dropped or duplicated bytes, truncations.
    static func mutations(of valid: [UInt8], count: Int, seed: UInt64, maxEdits: Int) -> [[UInt8]] {
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        return (0..<count).map { _ in
            var body = valid
            for _ in 0..<(1 + next(maxEdits)) {
                let at = next(body.count)
                switch next(4) {
                case 0: body[at] ^= UInt8(1 << next(8))
                case 1: body.remove(at: at)
                case 2: body.insert(body[at], at: at)
                default: body = Array(body.prefix(at))
                }
                if body.isEmpty { body = [0x08] }
            }
            return body
        }
    }
}
