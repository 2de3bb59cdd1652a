import Dispatch
import NumericKernels

/// Maps one feature's values to histogram bins: quantile bins over the distinct values, missing values in a bin of their
/// own; or, for a categorical feature, one bin per frequent category.
///
/// After LightGBM's `BinMapper::FindBin` (src/io/bin.cpp), simplified: bins have equal counts where possible, never
/// split a distinct value, and hold at least `minDataInBin` rows; the threshold of bin k is the midpoint between the
/// largest value in bin k and the smallest in bin k+1, so a split "bin ≤ k" is the real-valued test "x ≤ threshold".
/// Categorical features follow LightGBM too: categories by descending count (ties by value) in bins 1, 2, …, at most
/// `maxBin − 1` of them and none rarer than `minDataInBin` rows after the first two; bin 0 holds missing values,
/// negative values and every category left out (unseen ones at prediction), and is never on the left of a split.
public struct BinMapper: Sendable, Equatable, Codable {
    /// Upper bounds of the non-missing bins except the last (which extends to +∞): `upperBounds.count == binCount − 1`.
    public let upperBounds: [Double]
    /// A categorical feature's category of bin `b` at `categories[b − 1]`; nil for a numeric feature.
    public let categories: [Int]?
    /// Non-missing bins (≥ 1; 1 means the feature is constant and never split). A categorical feature's bins include
    /// bin 0 (missing and left-out categories).
    public var binCount: Int { categories.map { $0.count + 1 } ?? upperBounds.count + 1 }
    /// Whether the training data had NaN in this (numeric) feature; NaN then maps to bin `binCount`.
    public let hasMissing: Bool
    public let minValue: Double
    public let maxValue: Double

    static let minDataInBin = 3
    /// The largest category value a categorical feature may hold (LightGBM stores categories as `int32`).
    public static let maxCategory = Int(Int32.max)

    /// Bins for `values` (NaN = missing) with at most `maxBin` non-missing bins.
    init(values: some Collection<Double>, maxBin: Int) {
        categories = nil
        var finite = values.filter { !$0.isNaN }
        hasMissing = finite.count < values.count
        Self.sortFinite(&finite)
        minValue = finite.first ?? 0
        maxValue = finite.last ?? 0
        guard finite.count > 1, finite.first! < finite.last! else {
            upperBounds = []
            return
        }
        // Distinct values with their counts.
        var distinct: [Double] = [], counts: [Int] = []
        for value in finite {
            if let last = distinct.last, last == value { counts[counts.count - 1] += 1 } else { distinct.append(value); counts.append(1) }
        }
        var bounds: [Double] = []
        if distinct.count <= maxBin {
            for index in 0..<(distinct.count - 1) { bounds.append(Self.midpoint(distinct[index], distinct[index + 1])) }
        } else {
            // Greedy equal-frequency cuts: close the current bin once it holds its fair share of the rows left.
            var inBin = 0, remainingBins = maxBin, remainingRows = finite.count
            for index in 0..<(distinct.count - 1) where remainingBins > 1 {
                inBin += counts[index]
                let share = Double(remainingRows) / Double(remainingBins)
                let next = counts[index + 1]
                if inBin >= Self.minDataInBin, Double(inBin) >= share || Double(inBin + next) > 1.5 * share {
                    bounds.append(Self.midpoint(distinct[index], distinct[index + 1]))
                    remainingRows -= inBin
                    remainingBins -= 1
                    inBin = 0
                }
            }
        }
        upperBounds = bounds
    }

    /// Bins for the category codes `values` (whole numbers from 0; NaN or negative = missing) with at most `maxBin`
    /// bins including bin 0.
    init(categoryCodes values: some Collection<Double>, maxBin: Int) {
        upperBounds = []
        hasMissing = false
        var counts: [Int: Int] = [:]
        for value in values {
            guard let category = Self.category(value) else { continue }
            counts[category, default: 0] += 1
        }
        let ranked = counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        var kept: [Int] = []
        for (index, entry) in ranked.enumerated() where kept.count < maxBin - 1 {
            if index > 1, entry.value < Self.minDataInBin { break }
            kept.append(entry.key)
        }
        categories = kept
        minValue = Double(kept.min() ?? 0)
        maxValue = Double(kept.max() ?? 0)
    }

    /// A value as a category: whole and in 0…`maxCategory` (LightGBM truncates a fraction; so does tunekit), else nil.
    @inline(__always)
    static func category(_ value: Double) -> Int? {
        guard value >= 0, value < Double(maxCategory) + 1 else { return nil }
        return Int(value)
    }

    /// A categorical feature's bin of each category.
    func categoryBins() -> [Int: UInt8] {
        Dictionary(uniqueKeysWithValues: (categories ?? []).enumerated().map { ($1, UInt8($0 + 1)) })
    }

    /// Sorts numbers without NaN ascending (−0 before +0): a least-significant-digit radix sort on order-preserving
    /// 64-bit keys, skipping the bytes every key shares. Up to 200,000 values per feature: a comparison sort of them
    /// was 5 % of a 200k-row `train`'s profile.
    static func sortFinite(_ values: inout [Double]) {
        let n = values.count
        guard n > 64 else {
            values.sort { orderKey($0) < orderKey($1) }
            return
        }
        var keys = values.map(orderKey)
        var counts = [Int](repeating: 0, count: 8 * 256)
        for key in keys {
            for digit in 0..<8 { counts[digit * 256 + Int(truncatingIfNeeded: key >> UInt64(8 * digit)) & 0xFF] += 1 }
        }
        var spare = [UInt64](repeating: 0, count: n)
        for digit in 0..<8 {
            let base = digit * 256
            // Every key has the same byte here: the pass would not move anything.
            if counts[base + Int(truncatingIfNeeded: keys[0] >> UInt64(8 * digit)) & 0xFF] == n { continue }
            var start = 0
            for bucket in 0..<256 {
                let count = counts[base + bucket]
                counts[base + bucket] = start
                start += count
            }
            keys.withUnsafeBufferPointer { source in
                spare.withUnsafeMutableBufferPointer { target in
                    counts.withUnsafeMutableBufferPointer { offsets in
                        for key in source {
                            let bucket = base + Int(truncatingIfNeeded: key >> UInt64(8 * digit)) & 0xFF
                            target[offsets[bucket]] = key
                            offsets[bucket] += 1
                        }
                    }
                }
            }
            swap(&keys, &spare)
        }
        for index in 0..<n { values[index] = value(ofOrderKey: keys[index]) }
    }

    /// A key whose unsigned order is the numbers' order: the sign bit flipped for positive numbers, every bit for
    /// negative ones.
    @inline(__always) private static func orderKey(_ value: Double) -> UInt64 {
        let bits = value.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    @inline(__always) private static func value(ofOrderKey key: UInt64) -> Double {
        Double(bitPattern: key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key)
    }

    private static func midpoint(_ a: Double, _ b: Double) -> Double {
        let mid = a + (b - a) / 2
        return mid < b ? mid : a
    }

    /// The bin of a numeric feature's value (binary search over the upper bounds). Without a missing bin (no missing
    /// value among the rows the bins were learned from), a missing value takes the last bin, right of every split,
    /// where a model's prediction sends it (such splits have no default direction to the left).
    @inline(__always)
    func bin(_ value: Double) -> UInt8 {
        if value.isNaN { return UInt8(hasMissing ? binCount : binCount - 1) }
        var low = 0, high = upperBounds.count
        while low < high {
            let mid = (low + high) >> 1
            if value <= upperBounds[mid] { high = mid } else { low = mid + 1 }
        }
        return UInt8(low)
    }

    /// The real-valued threshold of "bin ≤ k" (numeric features).
    func threshold(ofBin bin: Int) -> Double { upperBounds[bin] }

    var isCategorical: Bool { categories != nil }

    /// Total bins including the missing one.
    var totalBins: Int { binCount + (hasMissing ? 1 : 0) }
}

/// A dataset as the tree learner sees it: one byte per value (the bin), in both layouts — row-major, so that one row's
/// bins share a cache line (histograms of a leaf's scattered rows, LightGBM's row-wise mode), and column-major
/// (histograms over all rows, partitions) — plus the bin mappers.
public struct BinnedDataset: Sendable {
    public let rowCount: Int
    public let mappers: [BinMapper]
    /// `bins[i * featureCount + f]`.
    let bins: [UInt8]
    /// `columnBins[f * rowCount + i]`.
    let columnBins: [UInt8]
    let featureCount: Int
    /// Offset of each feature's first bin in a flat histogram.
    let histogramOffsets: [Int]
    let histogramSize: Int
    /// Features grouped into one byte per row for histograms (training data only; nil when none can be).
    private(set) var featureGroups: FeatureGroups?

    /// Learns the bins from `data` (a seeded sample of at most 200,000 rows, as LightGBM does) and bins every row on
    /// `threads` threads.
    init(_ data: Dataset, maxBin: Int, seed: UInt64 = 0, threads: Int = 1, groupingFeatures: Bool = true) {
        let n = data.rowCount
        let sampleLimit = 200_000
        var sampled: [Int]?
        if n > sampleLimit {
            var rng = Xoshiro256(seed: seed, stream: StreamDerivation.code("bin-sample"))
            var chosen = Array(0..<n)
            for i in 0..<sampleLimit { chosen.swapAt(i, i + rng.nextIndex(below: n - i)) }
            sampled = Array(chosen.prefix(sampleLimit)).sorted()
        }
        let sample = sampled
        let mappers = [BinMapper](unsafeUninitializedCapacity: data.featureCount) { buffer, count in
            let slots = UnsafeSendable(buffer)
            let learn: @Sendable (Int) -> Void = { feature in
                let column = data.column(feature)
                let base = column.startIndex
                let values = sample.map { $0.map { column[base + $0] } } ?? Array(column)
                let mapper = data.categoricalFeatures.contains(feature)
                    ? BinMapper(categoryCodes: values, maxBin: maxBin) : BinMapper(values: values, maxBin: maxBin)
                (slots.value.baseAddress! + feature).initialize(to: mapper)
            }
            if threads > 1, data.featureCount > 1 {
                DispatchQueue.concurrentPerform(iterations: data.featureCount, execute: learn)
            } else {
                for feature in 0..<data.featureCount { learn(feature) }
            }
            count = data.featureCount
        }
        self.init(data, mappers: mappers, threads: threads, groupingFeatures: groupingFeatures)
    }

    /// Bins `data` with existing mappers (validation data, or a refit), rows split into blocks over `threads` threads;
    /// with `groupingFeatures`, also groups features for histograms (`FeatureGroups`), as training data needs.
    init(_ data: Dataset, mappers: [BinMapper], threads: Int = 1, groupingFeatures: Bool = false) {
        rowCount = data.rowCount
        featureCount = mappers.count
        self.mappers = mappers
        let n = data.rowCount, width = mappers.count
        var columnMajor = [UInt8](repeating: 0, count: n * width)
        bins = [UInt8](unsafeUninitializedCapacity: n * width) { buffer, count in
            columnMajor.withUnsafeMutableBufferPointer { columns in
                let output = UnsafeSendable((buffer.baseAddress!, columns.baseAddress!))
                let blocks = max(1, min(threads, n / 16_384))
                let binBlock: @Sendable (Int) -> Void = { block in
                    let rows = (n * block / blocks)..<(n * (block + 1) / blocks)
                    for (feature, mapper) in mappers.enumerated() {
                        let column = data.column(feature)
                        let base = column.startIndex
                        var slot = output.value.0 + rows.lowerBound * width + feature
                        let columnSlots = output.value.1 + feature * n
                        let categoryBins = mapper.isCategorical ? mapper.categoryBins() : nil
                        for row in rows {
                            let value = column[base + row]
                            let bin = categoryBins.map { bins in BinMapper.category(value).flatMap { bins[$0] } ?? 0 } ?? mapper.bin(value)
                            slot.initialize(to: bin)
                            columnSlots[row] = bin
                            slot += width
                        }
                    }
                }
                if blocks == 1 { binBlock(0) } else { DispatchQueue.concurrentPerform(iterations: blocks, execute: binBlock) }
            }
            count = n * width
        }
        columnBins = columnMajor
        var offsets: [Int] = [], total = 0
        for mapper in mappers {
            offsets.append(total)
            total += mapper.totalBins
        }
        histogramOffsets = offsets
        histogramSize = total
        if groupingFeatures { featureGroups = FeatureGroups(self) }
    }
}

/// A buffer handed to `concurrentPerform` workers that write disjoint parts of it.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) { self.value = value }
}

/// Runs `body` over `0..<count` cut into contiguous blocks, one per thread (up to `threads`), when there are at least
/// `minimumPerBlock` items per block; otherwise in one call on this thread.
func forEachBlock(of count: Int, threads: Int, minimumPerBlock: Int = 16_384, _ body: @Sendable (Range<Int>) -> Void) {
    let blocks = max(1, min(threads, count / minimumPerBlock))
    if blocks == 1 {
        body(0..<count)
    } else {
        DispatchQueue.concurrentPerform(iterations: blocks) { block in
            body((count * block / blocks)..<(count * (block + 1) / blocks))
        }
    }
}
