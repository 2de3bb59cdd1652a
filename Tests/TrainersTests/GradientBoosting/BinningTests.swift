import NumericKernels
import Testing
@testable import Trainers

@Suite struct BinningTests {
    /// The radix sort the bins are learned with orders numbers as `<` does (−0 before +0), keeping every value's bits:
    /// short and long arrays, duplicates, both zeros, infinities, subnormals, values sharing their high bytes.
    @Test(arguments: [0, 1, 2, 64, 65, 1_000, 50_000])
    func valuesAreSortedAsByComparison(count: Int) {
        var random = Xoshiro256(seed: UInt64(count))
        let specials: [Double] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1e308, -1e-300]
        let values = (0..<count).map { index -> Double in
            switch index % 4 {
            case 0: specials[random.nextIndex(below: specials.count)]
            case 1: Double(random.nextIndex(below: 7)) - 3
            case 2: 1_000 + random.nextUnit()
            default: Double(bitPattern: random.next() & ~(0x7FF << 52) | (0x3FF << 52))
            }
        }
        var sorted = values
        BinMapper.sortFinite(&sorted)
        #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0 < $1 || ($0 == $1 && !($0.sign == .plus && $1.sign == .minus)) })
        #expect(sorted.map(\.bitPattern).sorted() == values.map(\.bitPattern).sorted(), "the same values, bit for bit")
    }

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
