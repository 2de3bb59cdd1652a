import Foundation
import Synchronization

/// Threads kept for one fit that run its parallel loops (LightGBM's OpenMP team): a loop wakes them without a
/// dispatch through the system's thread pool. Between loops a worker spins briefly on the loop counter, then parks on
/// a condition until the next loop or the pool's end.
///
/// One loop runs at a time, from one caller, which takes iterations too. A loop's iterations are claimed from one
/// atomic ticket holding the loop's number and the next iteration, so a worker that wakes late cannot take an
/// iteration of a later loop; the caller returns once every iteration has finished.
final class WorkerPool: Sendable {
    /// Threads that run a loop, the caller included.
    let threads: Int
    private let shared: PoolState

    /// A pool of `threads` threads in all (the caller and `threads − 1` workers); nil below two.
    init?(threads: Int) {
        guard threads > 1 else { return nil }
        self.threads = threads
        shared = PoolState()
        for _ in 1..<threads {
            let state = shared
            let thread = Thread { state.work() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit { shared.stop(workers: threads - 1) }

    /// Runs `body(0)` … `body(iterations − 1)` on the pool's threads and returns when all have finished; the body is
    /// released on the calling thread.
    func perform(_ iterations: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard iterations > 1 else {
            if iterations == 1 { body(0) }
            return
        }
        let job = Job(body: body)
        withExtendedLifetime(job) { shared.run(Unmanaged.passUnretained(job).toOpaque(), iterations: iterations) }
    }
}

/// A loop's body, referenced by the workers through an unretained pointer while the loop runs.
private final class Job: Sendable {
    let body: @Sendable (Int) -> Void
    init(body: @escaping @Sendable (Int) -> Void) { self.body = body }
}

/// What the caller and the workers share. The ticket is loop << 32 | next iteration.
private final class PoolState: Sendable {
    let ticket = Atomic<Int>(0)
    let finished = Atomic<Int>(0)
    let job = Atomic<UInt>(0)
    let count = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    let exited = Atomic<Int>(0)
    /// Guards parking: `parked` counts workers waiting on the condition.
    let condition = NSCondition()
    nonisolated(unsafe) var parked = 0

    /// Loads of the ticket a worker spins for before parking (tens of microseconds: the serial work between two
    /// loops of a tree, a split search, is shorter; the gap between trees is longer).
    static let spins = 50_000

    /// Publishes a loop, takes iterations until none are left, and waits for the workers' last ones.
    func run(_ body: UnsafeMutableRawPointer, iterations: Int) {
        let loop = (ticket.load(ordering: .relaxed) >> 32) + 1
        job.store(UInt(bitPattern: body), ordering: .relaxed)
        count.store(iterations, ordering: .relaxed)
        finished.store(0, ordering: .relaxed)
        ticket.store(loop << 32, ordering: .releasing)
        condition.lock()
        if parked > 0 { condition.broadcast() }
        condition.unlock()
        work(loop: loop)
        // The last iterations run on the workers: spin, then yield (a worker may have lost its core).
        var waits = 0
        while finished.load(ordering: .acquiring) < iterations {
            waits += 1
            if waits > 1_000 { sched_yield() }
        }
    }

    /// Takes and runs iterations of `loop` until none are left.
    func work(loop: Int) {
        while true {
            let current = ticket.load(ordering: .acquiring)
            guard current >> 32 == loop else { return }
            let next = current & 0xFFFF_FFFF
            let iterations = count.load(ordering: .relaxed)
            let address = job.load(ordering: .relaxed)
            guard next < iterations else { return }
            guard ticket.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing).exchanged
            else { continue }
            // The claim succeeded while `loop` was unfinished, so its job and count were the ones read above. The job
            // is used without a reference of this thread's own: a reference released after `finished` could be the
            // last one, ending what the body holds (the pool itself, through a histogram's settings) on this worker.
            Unmanaged<Job>.fromOpaque(UnsafeRawPointer(bitPattern: address)!)._withUnsafeGuaranteedRef { $0.body(next) }
            finished.add(1, ordering: .releasing)
        }
    }

    /// A worker's life: wait for a loop (spin, then park), help with it, until the pool stops.
    func work() {
        var seen = 0
        while true {
            var spins = 0
            while ticket.load(ordering: .acquiring) >> 32 == seen, !stopping.load(ordering: .acquiring) {
                if spins < Self.spins {
                    spins += 1
                    continue
                }
                condition.lock()
                while ticket.load(ordering: .acquiring) >> 32 == seen, !stopping.load(ordering: .acquiring) {
                    parked += 1
                    condition.wait()
                    parked -= 1
                }
                condition.unlock()
            }
            if stopping.load(ordering: .acquiring) {
                exited.add(1, ordering: .releasing)
                return
            }
            seen = ticket.load(ordering: .acquiring) >> 32
            work(loop: seen)
        }
    }

    /// Ends the workers and waits until each has returned.
    func stop(workers: Int) {
        condition.lock()
        stopping.store(true, ordering: .releasing)
        condition.broadcast()
        condition.unlock()
        while exited.load(ordering: .acquiring) < workers { sched_yield() }
    }
}
