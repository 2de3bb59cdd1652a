import Dispatch
import Synchronization

/// Runs CPU-heavy work (model-based suggestions) on Dispatch threads instead of Swift's cooperative pool, at most
/// `width` at a time with at most `maxWaiting` queued, so health checks and cheap requests are answered while a heavy
/// request computes. A full queue is refused at once rather than growing without bound.
final class ComputeGate: Sendable {
    struct Busy: Error {}

    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Bool, Never>] = []
    }

    let width: Int
    let maxWaiting: Int
    private let state = Mutex(State())

    init(width: Int, maxWaiting: Int) {
        self.width = max(1, width)
        self.maxWaiting = max(0, maxWaiting)
    }

    /// Runs `work` on a Dispatch thread once a slot is free; throws `Busy` when the queue is full.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard await enter() else { throw Busy() }
        defer { leave() }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    /// True once a slot is held; false when the queue is full.
    private func enter() async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let resumeNow: Bool? = state.withLock { state in
                if state.running < width {
                    state.running += 1
                    return true
                }
                guard state.waiting.count < maxWaiting else { return false }
                state.waiting.append(continuation)
                return nil
            }
            if let resumeNow { continuation.resume(returning: resumeNow) }
        }
    }

    /// Hands the slot to the first waiter, or frees it.
    private func leave() {
        let next: CheckedContinuation<Bool, Never>? = state.withLock { state in
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume(returning: true)
    }
}
