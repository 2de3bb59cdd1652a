import Foundation
import Hummingbird
import KatibWire
import NIOCore
import SwiftProtobuf
import Synchronization

/// Whether the server takes work: serving until SIGTERM, then draining (health checks answer NOT_SERVING and
/// `/readyz` 503 so Kubernetes stops routing to the pod, while calls are still answered), then stopped.
final class ServingState: Sendable {
    enum Phase: Int, Comparable, Sendable {
        case serving, draining, stopped

        static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    private struct State {
        var phase = Phase.serving
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    init() {}

    var phase: Phase { state.withLock { $0.phase } }

    /// Moves to `phase` (never back) and wakes every watcher.
    func advance(to phase: Phase) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard phase > state.phase else { return [] }
            state.phase = phase
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Set once a watching stream's channel has closed.
    final class Departure: Sendable {
        private let flag = Atomic<Bool>(false)

        init(_ closed: EventLoopFuture<Void>) {
            closed.whenComplete { _ in self.flag.store(true, ordering: .sequentiallyConsistent) }
        }

        var happened: Bool { flag.load(ordering: .sequentiallyConsistent) }
    }

    /// Returns once the phase is later than `phase`, or once a watching stream's channel has `closed` (the client left).
    func waitForChange(from phase: Phase, orClose closed: (future: EventLoopFuture<Void>, departure: Departure)? = nil) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        closed?.future.whenComplete { _ in self.wake(id) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                guard state.phase == phase, closed?.departure.happened != true else { return true }
                state.waiters[id] = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func wake(_ id: Int) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
}

/// gRPC's standard health service `grpc.health.v1.Health` (Check and Watch), as Kubernetes' native gRPC probe and
/// Katib's suggestion Deployments use it: SERVING for the server (`""`) and each served service name while the
/// server takes work, NOT_SERVING while it drains.
final class HealthService: Sendable {
    static let checkPath = "grpc.health.v1.Health/Check"
    static let watchPath = "grpc.health.v1.Health/Watch"

    /// The service names answered: the whole server, Katib's probe name and the gRPC services served.
    let services: Set<String>
    let state: ServingState
    /// Watch streams open at once (each holds a task until the client leaves); more are refused.
    let maxWatchers: Int
    private let watchers = Atomic<Int>(0)

    init(services: Set<String>, state: ServingState, maxWatchers: Int = 256) {
        self.services = services.union([""])
        self.state = state
        self.maxWatchers = maxWatchers
    }

    private var status: HealthCheckResponse.ServingStatus { state.phase == .serving ? .serving : .notServing }

    func check(_ request: Request) async -> Response {
        do {
            let asked = try await service(request)
            guard services.contains(asked) else {
                return GRPCProtocol.error(ConnectProtocol.Failure(.notFound, "unknown service '\(asked)'"))
            }
            return GRPCProtocol.reply(Self.encode(status))
        } catch let failure as ConnectProtocol.Failure {
            return GRPCProtocol.error(failure)
        } catch {
            return GRPCProtocol.error(ConnectProtocol.Failure(.`internal`, "\(error)"))
        }
    }

    /// Sends the status now and again on every change until the server stops (then UNAVAILABLE) or the client leaves.
    func watch(_ request: Request, closed: EventLoopFuture<Void>) async -> Response {
        let asked: String
        do { asked = try await service(request) } catch let failure as ConnectProtocol.Failure {
            return GRPCProtocol.error(failure)
        } catch {
            return GRPCProtocol.error(ConnectProtocol.Failure(.`internal`, "\(error)"))
        }
        let known = services.contains(asked)
        return Response(status: .ok, headers: GRPCProtocol.headers, body: ResponseBody { [self] (writer: inout any ResponseBodyWriter) in
            // Counted inside the body, which is the part that runs for as long as the stream is open (a stream gone
            // before its body starts takes no slot).
            guard watchers.add(1, ordering: .relaxed).newValue <= maxWatchers else {
                watchers.subtract(1, ordering: .relaxed)
                try await writer.finish(GRPCProtocol.trailers(ConnectProtocol.Failure(
                    .resourceExhausted, "\(maxWatchers) health Watch streams are open; use Check or retry later")))
                return
            }
            defer { watchers.subtract(1, ordering: .relaxed) }
            let departure = ServingState.Departure(closed)
            var phase = state.phase
            try await writer.write(GRPCProtocol.frame(Self.encode(known ? status : .serviceUnknown)))
            while phase != .stopped, !departure.happened {
                await state.waitForChange(from: phase, orClose: (closed, departure))
                let now = state.phase
                if known, now != phase, (now == .serving) != (phase == .serving) {
                    try await writer.write(GRPCProtocol.frame(Self.encode(status)))
                }
                phase = now
            }
            try await writer.finish(GRPCProtocol.trailers(ConnectProtocol.Failure(.unavailable, "the server is shutting down")))
        })
    }

    private func service(_ request: Request) async throws -> String {
        let body = try await GRPCProtocol.readMessage(request, limit: 4096)
        do {
            return try HealthCheckRequest(serializedBytes: body).service
        } catch {
            throw ConnectProtocol.Failure(.invalidArgument, "the HealthCheckRequest is not valid protobuf: \(error)")
        }
    }

    private static func encode(_ status: HealthCheckResponse.ServingStatus) -> Data {
        (try? HealthCheckResponse(status: status).serializedBytes()) ?? Data()
    }
}
