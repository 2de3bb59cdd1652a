import Foundation
import Synchronization
import Testing
@testable import Trainers

@Suite struct WorkerPoolTests {
    @Test func noPoolBelowTwoThreads() {
        #expect(WorkerPool(threads: 1) == nil)
        #expect(WorkerPool(threads: 0) == nil)
    }

    /// Every iteration of every loop runs exactly once, on loops of every width, back to back (workers that wake
    /// late must not take an iteration of a later loop) and with more threads than cores.
    @Test(arguments: [2, 3, 8])
    func everyIterationRunsOnce(threads: Int) throws {
        let pool = try #require(WorkerPool(threads: threads))
        let slots = 257
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: slots)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        let counters = UnsafeSendable(counts.baseAddress!)
        var expected = [Int](repeating: 0, count: slots)
        var expectedTotal = 0
        let total = Atomic<Int>(0)
        for loop in 0..<3_000 {
            let width = loop % slots
            pool.perform(width) { i in
                counters.value[i] += 1
                total.add(1, ordering: .relaxed)
            }
            for i in 0..<width { expected[i] += 1 }
            expectedTotal += width
            try #require(total.load(ordering: .relaxed) == expectedTotal, "loop \(loop)")
        }
        #expect(Array(counts) == expected)
    }

    /// Pools are made and ended per fit: ending one returns once its workers have (no thread is left behind).
    @Test func poolsEndCleanly() {
        for _ in 0..<50 {
            let pool = WorkerPool(threads: 3)
            let total = Atomic<Int>(0)
            pool?.perform(10) { i in total.add(i, ordering: .relaxed) }
            #expect(total.load(ordering: .relaxed) == 45)
        }
    }
}

/// Counts the `Marker`s ended on another thread than the one that expects it.
private final class ReleaseProbe: Sendable {
    let expectedThread = Atomic<UInt>(0)
    let elsewhere = Atomic<Int>(0)
}

/// What a loop's body holds (a fit's bodies hold the pool itself, through the histogram's settings).
private final class Marker: Sendable {
    let probe: ReleaseProbe
    init(probe: ReleaseProbe) { self.probe = probe }
    deinit {
        if UInt(pthread_self()) != probe.expectedThread.load(ordering: .relaxed) { probe.elsewhere.add(1, ordering: .relaxed) }
    }
}

extension WorkerPoolTests {
    /// What a body holds is released on the calling thread, never on a worker: a body holding the pool's last
    /// reference would otherwise end the pool on one of its own workers, which would wait for itself forever.
    @Test func bodyIsReleasedOnTheCallingThread() throws {
        let pool = try #require(WorkerPool(threads: 8))
        let probe = ReleaseProbe()
        probe.expectedThread.store(UInt(pthread_self()), ordering: .relaxed)
        for _ in 0..<20_000 {
            let marker = Marker(probe: probe)
            pool.perform(16) { _ in withExtendedLifetime(marker) {} }
        }
        #expect(probe.elsewhere.load(ordering: .relaxed) == 0)
    }
}
