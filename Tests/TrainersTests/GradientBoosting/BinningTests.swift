import Testing
@testable import Trainers

@Suite struct BinningTests {
    @Test func constantColumnHasOneBinAndNeverSplits() {
        let mapper = BinMapper(values: Array(repeating: 3.5, count: 100), maxBin: 255)
        #expect(mapper.binCount == 1 && !mapper.hasMissing)
        #expect(mapper.bin(3.5) == 0)
        #expect(mapper.bin(-100) == 0)
    }

    @Test func allMissingColumnHasOnlyTheMissingBin() {
        let mapper = BinMapper(values: Array(repeating: Double.nan, count: 10), maxBin: 255)
        #expect(mapper.binCount == 1)
        #expect(mapper.hasMissing)
        #expect(mapper.bin(.nan) == 1)
        #expect(mapper.totalBins == 2)
    }

    @Test func fewerDistinctValuesThanBinsGetOneBinEachWithMidpointThresholds() {
        let mapper = BinMapper(values: [1, 1, 2, 2, 2, 4, .nan], maxBin: 255)
        #expect(mapper.upperBounds == [1.5, 3])
        #expect([1.0, 1.5, 1.6, 2, 3, 3.1, 4, 100].map { mapper.bin($0) } == [0, 0, 1, 1, 1, 2, 2, 2])
        #expect(mapper.hasMissing)
        #expect(mapper.bin(.nan) == 3)
    }

    @Test func manyValuesAreCutIntoEqualFrequencyBins() {
        let values = (0..<10_000).map { Double(($0 * 7919) % 10_000) }
        let mapper = BinMapper(values: values, maxBin: 16)
        #expect(mapper.binCount <= 16)
        #expect(mapper.binCount >= 14)
        var counts = [Int](repeating: 0, count: mapper.binCount)
        for value in values { counts[Int(mapper.bin(value))] += 1 }
        #expect(counts.allSatisfy { $0 >= 3 })
        #expect(counts.max()! < 2 * counts.min()!, "bins are roughly equal: \(counts)")
    }

    @Test func heavyValueStaysInOneBin() {
        let values = Array(repeating: 0.0, count: 900) + (1...100).map(Double.init)
        let mapper = BinMapper(values: values, maxBin: 10)
        #expect(mapper.bin(0) == 0, "a distinct value is never split across bins")
        #expect(mapper.bin(1) == 1, "a distinct value is never split across bins")
    }
}
