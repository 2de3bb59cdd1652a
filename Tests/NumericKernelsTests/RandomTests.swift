import NumericKernels
import Testing

@Suite struct RandomTests {
    @Test func splitMix64MatchesReferenceOutputs() {
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(rng.next() == 0x06C4_5D18_8009_454F)
    }

    @Test func sameSeedSameSequenceAndStreamsDiffer() {
        var a = Xoshiro256(seed: 42), b = Xoshiro256(seed: 42)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
        var s1 = Xoshiro256(seed: 42, stream: 1), s2 = Xoshiro256(seed: 42, stream: 2)
        #expect(s1.next() != s2.next())
        #expect(StreamDerivation.derive(1, [2, 3]) != StreamDerivation.derive(1, [3, 2]))
    }

    @Test func drawsStayInRange() {
        var rng = Xoshiro256(seed: 7)
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<10_000 {
            let u = rng.nextUnit()
            #expect(u >= 0)
            #expect(u < 1)
            counts[rng.nextIndex(below: 5)] += 1
        }
        // Each bucket expects 2000; a 4.5-sigma band (σ ≈ 40) never fails by chance in practice.
        #expect(counts.allSatisfy { abs($0 - 2000) < 180 })
    }

    @Test func standardNormalHasUnitMoments() {
        var rng = Xoshiro256(seed: 11)
        let draws = (0..<20_000).map { _ in rng.nextStandardNormal() }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(draws.count)
        #expect(abs(mean) < 0.04)
        #expect(abs(variance - 1) < 0.05)
    }
}
