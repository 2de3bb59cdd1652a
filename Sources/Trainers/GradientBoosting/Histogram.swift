import CPrefetch
import Foundation

/// Per-bin sums for every feature of one leaf, interleaved as LightGBM stores them: `values[2b]` is the gradient sum
/// of bin b and `values[2b + 1]` its hessian sum — or its row count when every hessian is the same constant.
struct Histogram {
    var values: [Double]

    init(bins: Int) { values = Array(repeating: 0, count: 2 * bins) }

    /// `self = parent − sibling` (LightGBM's histogram subtraction).
    mutating func subtract(_ sibling: Histogram) {
        values.withUnsafeMutableBufferPointer { mine in
            sibling.values.withUnsafeBufferPointer { theirs in
                for i in 0..<mine.count { mine[i] -= theirs[i] }
            }
        }
    }
}

/// Per-bin sums of quantized gradients (LightGBM's integer histograms): one integer per bin holding the integer
/// gradient sum in its high half and the integer hessian sum (the row count, when hessians are constant) in its low
/// half, so that one integer add sums both. `Int64` cells hold any leaf; `Int32` cells (16-bit halves) a leaf whose
/// rows × levels stay below 2¹⁶, as LightGBM picks its histogram bits per leaf. Sums are exact: a leaf's histogram is
/// the same whatever the order of its rows, and the larger child's (parent − smaller child) equals a direct build.
struct PackedHistogram<Cell: FixedWidthInteger & SignedInteger> {
    var cells: [Cell]
    /// What one unit of the integer gradient and of the integer second slot are worth.
    let gradientScale: Double
    let secondScale: Double

    /// `self = parent − sibling`: each half of a cell subtracts exactly, the hessian half never going below zero.
    mutating func subtract<Other>(_ sibling: PackedHistogram<Other>) {
        let shift = Cell.bitWidth / 2, otherShift = Other.bitWidth / 2, otherMask = (Other(1) << otherShift) - 1
        cells.withUnsafeMutableBufferPointer { mine in
            sibling.cells.withUnsafeBufferPointer { theirs in
                if Other.self == Cell.self {
                    let same = UnsafeRawPointer(theirs.baseAddress!).assumingMemoryBound(to: Cell.self)
                    for i in 0..<mine.count { mine[i] &-= same[i] }
                } else {
                    // A narrower sibling's halves moved to this histogram's halves.
                    for i in 0..<mine.count {
                        let cell = theirs[i]
                        mine[i] &-= Cell(cell >> otherShift) &<< shift &+ Cell(cell & otherMask)
                    }
                }
            }
        }
    }

    /// Calls `body` with the sums as split search reads them.
    func withBinSums<Result>(_ body: (PackedBinSums<Cell>) -> Result) -> Result {
        cells.withUnsafeBufferPointer { body(PackedBinSums(cells: $0, gradientScale: gradientScale, secondScale: secondScale)) }
    }
}

/// A leaf's histogram as the fit builds it: float sums, or packed sums of quantized gradients in wide or narrow cells.
enum LeafHistogram {
    case float(Histogram)
    case wide(PackedHistogram<Int64>)
    case narrow(PackedHistogram<Int32>)

    /// `self = parent − sibling`; the sibling is never wider than its parent (it has fewer rows).
    mutating func subtract(_ sibling: LeafHistogram) {
        // Each case binds the sums, then empties `self`, so that the binding holds the only reference to their storage
        // and the subtraction changes it in place instead of copying it.
        switch sibling {
        case .float(let theirs):
            guard case .float(var mine) = self else { break }
            self = .float(Histogram(bins: 0))
            mine.subtract(theirs)
            self = .float(mine)
            return
        case .wide(let theirs):
            guard case .wide(var mine) = self else { break }
            self = .float(Histogram(bins: 0))
            mine.subtract(theirs)
            self = .wide(mine)
            return
        case .narrow(let theirs):
            if case .wide(var mine) = self {
                self = .float(Histogram(bins: 0))
                mine.subtract(theirs)
                self = .wide(mine)
                return
            }
            guard case .narrow(var mine) = self else { break }
            self = .float(Histogram(bins: 0))
            mine.subtract(theirs)
            self = .narrow(mine)
            return
        }
        preconditionFailure("a histogram and its sibling's are both float or both packed, the sibling no wider")
    }
}

/// A histogram's sums as split search reads them, by global bin (a feature's histogram offset plus its bin).
protocol BinSums {
    /// The gradient sum of a bin.
    func gradient(_ bin: Int) -> Double
    /// The hessian sum of a bin, or its row count when hessians are constant.
    func second(_ bin: Int) -> Double
    /// Whether no row falls in the bin (nothing changes when split search passes it).
    func isEmpty(_ bin: Int) -> Bool
}

/// A float histogram's sums, valid inside `withUnsafeBufferPointer`.
struct FloatBinSums: BinSums {
    let values: UnsafeBufferPointer<Double>
    @inline(__always) func gradient(_ bin: Int) -> Double { values[2 * bin] }
    @inline(__always) func second(_ bin: Int) -> Double { values[2 * bin + 1] }
    @inline(__always) func isEmpty(_ bin: Int) -> Bool { values[2 * bin + 1] == 0 }
}

/// A packed histogram's sums scaled back to gradients and hessians.
struct PackedBinSums<Cell: FixedWidthInteger & SignedInteger>: BinSums {
    let cells: UnsafeBufferPointer<Cell>
    let gradientScale: Double
    let secondScale: Double
    @inline(__always) func gradient(_ bin: Int) -> Double { Double(cells[bin] >> (Cell.bitWidth / 2)) * gradientScale }
    @inline(__always) func second(_ bin: Int) -> Double {
        Double(cells[bin] & ((1 << (Cell.bitWidth / 2)) - 1)) * secondScale
    }
    /// A bin whose rows' hessians all round to 0 still holds their gradients: only an all-zero cell is empty.
    @inline(__always) func isEmpty(_ bin: Int) -> Bool { cells[bin] == 0 }
}

/// What each row adds to its bins, and how a histogram stores the sums: float gradients and hessians in two cells per
/// bin, or one packed integer per row and per bin.
protocol HistogramRows: RowValues {
    associatedtype Cell
    /// Cells of one bin.
    static var cellsPerBin: Int { get }
    static var zero: Cell { get }
    /// Adds a row's values to the cells of its bin.
    static func add(_ row: Row, to bin: UnsafeMutablePointer<Cell>)
    /// Adds `count` cells of a partial histogram to the same cells of another.
    static func add(_ cells: UnsafePointer<Cell>, to target: UnsafeMutablePointer<Cell>, count: Int)
    /// Asks for a row's values to be brought into cache.
    func prefetch(_ index: Int)
}

/// Each row's values by row number.
protocol RowValues: Sendable {
    associatedtype Row
    func row(_ index: Int) -> Row
}

/// Rows' values copied next to each other (`row(k)` is the k-th staged row's).
struct StagedRows<Row>: RowValues, @unchecked Sendable {
    let values: UnsafePointer<Row>
    @inline(__always) func row(_ index: Int) -> Row { values[index] }
}

/// Float gradients and hessians; a constant hessian is counted as 1 (the second cell is then the row count).
struct FloatRows: HistogramRows, @unchecked Sendable {
    let gradients: UnsafePointer<Double>
    let hessians: UnsafePointer<Double>
    let constantHessian: Bool

    static var cellsPerBin: Int { 2 }
    static var zero: Double { 0 }
    @inline(__always) func row(_ index: Int) -> (Double, Double) { (gradients[index], constantHessian ? 1 : hessians[index]) }
    @inline(__always) func prefetch(_ index: Int) {
        tunekit_prefetch(gradients + index)
        if !constantHessian { tunekit_prefetch(hessians + index) }
    }
    @inline(__always) static func add(_ row: (Double, Double), to bin: UnsafeMutablePointer<Double>) {
        bin[0] += row.0
        bin[1] += row.1
    }
    static func add(_ cells: UnsafePointer<Double>, to target: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { target[i] += cells[i] }
    }
}

/// Quantized gradients: one packed integer per row, added to one packed cell per bin.
protocol PackedRowValues: HistogramRows where Row == Cell, Cell: FixedWidthInteger {
    var packed: UnsafePointer<Int64> { get }
}

extension PackedRowValues {
    static var cellsPerBin: Int { 1 }
    static var zero: Cell { 0 }
    @inline(__always) static func add(_ row: Cell, to bin: UnsafeMutablePointer<Cell>) { bin[0] &+= row }
    static func add(_ cells: UnsafePointer<Cell>, to target: UnsafeMutablePointer<Cell>, count: Int) {
        for i in 0..<count { target[i] &+= cells[i] }
    }
    @inline(__always) func prefetch(_ index: Int) { tunekit_prefetch(packed + index) }
}

/// Quantized gradients summed into wide cells: each row's packed integer as it is.
struct WideRows: PackedRowValues, @unchecked Sendable {
    let packed: UnsafePointer<Int64>
    @inline(__always) func row(_ index: Int) -> Int64 { packed[index] }
}

/// Quantized gradients summed into narrow cells: each row's integers moved to 16-bit halves as it is read.
struct NarrowRows: PackedRowValues, @unchecked Sendable {
    let packed: UnsafePointer<Int64>
    @inline(__always) func row(_ index: Int) -> Int32 {
        let cell = packed[index]
        return Int32(truncatingIfNeeded: (cell >> 32) &<< 16 | (cell & 0xFFFF))
    }
}

extension TreeLearner {
    /// Smallest block of rows worth a partial histogram of its own, and the most blocks a leaf is cut into.
    static let histogramBlockRows = 4_096
    static let maxHistogramBlocks = 16
    /// Bytes of histogram summed in one pass over a block's rows: a 32 KiB L1 data cache (2,048 float bins, 4,096
    /// packed ones). Wider data is summed in several passes over groups of features, so that the scattered `+=` stay
    /// in L1.
    static let bytesPerPass = 32_768
    /// Fewest bins of every sampled feature for the column-wise pass over all rows.
    static let columnWiseMinBins = 64

    /// The float histogram of `rows`.
    func buildHistogram(_ rows: ArraySlice<Int32>, _ gradients: [Double], _ hessians: [Double], _ features: [Int]) -> Histogram {
        gradients.withUnsafeBufferPointer { g in
            hessians.withUnsafeBufferPointer { h in
                let values = FloatRows(gradients: g.baseAddress!, hessians: h.baseAddress!, constantHessian: settings.constantHessian != nil)
                return Histogram(values: buildHistogram(rows, values, features))
            }
        }
    }

    /// The packed histogram of `rows` over quantized gradients: narrow cells when the leaf's sums fit them.
    func buildHistogram(_ rows: ArraySlice<Int32>, _ quantized: QuantizedGradients, _ features: [Int]) -> LeafHistogram {
        let secondScale = settings.constantHessian != nil ? 1 : quantized.hessianScale
        return quantized.packed.withUnsafeBufferPointer { packed in
            if rows.count * quantized.levels < 1 << 16 {
                return .narrow(PackedHistogram(
                    cells: buildHistogram(rows, NarrowRows(packed: packed.baseAddress!), features),
                    gradientScale: quantized.gradientScale, secondScale: secondScale))
            }
            return .wide(PackedHistogram(
                cells: buildHistogram(rows, WideRows(packed: packed.baseAddress!), features), gradientScale: quantized.gradientScale,
                secondScale: secondScale))
        }
    }

    /// Sums each row's values per bin over `rows`. A leaf is cut into blocks of rows by its size alone; each block is
    /// summed in row order into its own partial histogram and the partials are added in block order, so the sums do
    /// not depend on the thread count or on the layout used: all rows in order (the root) of features with many bins
    /// are summed feature by feature over the column-major bins (sequential reads, one feature's bins in L1, features
    /// split across threads); otherwise row by row over the row-major bins (one row's bins share a cache line;
    /// LightGBM's row-wise histograms), blocks split across threads — over the grouped bytes where `FeatureGroups`
    /// saves adds, the groups' combinations then spread onto their members' bins.
    private func buildHistogram<Values: HistogramRows>(_ rows: ArraySlice<Int32>, _ values: Values, _ features: [Int]) -> [Values.Cell] {
        let perBin = Values.cellsPerBin
        let m = rows.count
        guard m > 0, !features.isEmpty else { return [Values.Cell](repeating: Values.zero, count: perBin * data.histogramSize) }
        let blocks = min(Self.maxHistogramBlocks, (m + Self.histogramBlockRows - 1) / Self.histogramBlockRows)
        // Column by column only pays for all rows of features with many bins: a feature with few bins sends run after
        // run of rows to the same bin, each `+=` waiting for the one before, which the row-wise pass interleaves.
        let columnWise = m == data.rowCount && features.allSatisfy { data.mappers[$0].totalBins > Self.columnWiseMinBins }
        // Row by row, features grouped into one byte where that saves adds (`FeatureGroups`): their combinations are
        // summed after the histogram's own bins and spread back onto them at the end.
        let grouped = columnWise ? nil : data.featureGroups.flatMap { groups in
            groups.plan(
                for: features, rowCount: m, histogramSize: data.histogramSize, histogramOffsets: data.histogramOffsets,
                binCounts: { data.mappers[$0].totalBins })
        }
        let columns = grouped?.columns ?? features
        let scratch = grouped == nil ? 0 : data.featureGroups?.combinationCount ?? 0
        var histogram = [Values.Cell](repeating: Values.zero, count: perBin * (data.histogramSize + scratch))
        // Waking threads costs tens of microseconds: only large leaves are worth it.
        let threads = max(1, min(settings.threads, m * columns.count / 32_768 + 1))
        let slotBases = grouped.map { $0.slots.map { perBin * $0 } } ?? features.map { perBin * data.histogramOffsets[$0] }
        let work = HistogramPlan<Values>(
            rowCount: m, blocks: blocks, threads: columnWise ? min(threads, features.count) : min(threads, blocks),
            binCounts: grouped?.binCounts ?? features.map { data.mappers[$0].totalBins }, settings: settings)
        rows.withUnsafeBufferPointer { rowPointer in
            columns.withUnsafeBufferPointer { columns in
                slotBases.withUnsafeBufferPointer { bases in
                    histogram.withUnsafeMutableBufferPointer { output in
                        let sums = HistogramSums(
                            values: values, features: columns.baseAddress!, slotBases: bases.baseAddress!, output: output.baseAddress!)
                        if columnWise {
                            data.columnBins.withUnsafeBufferPointer { bins in work.columnWise(sums, bins: bins.baseAddress!) }
                        } else {
                            // The grouped bytes when the plan reads groups (it came from them), else the features' bins.
                            let groups = grouped == nil ? nil : data.featureGroups
                            let (matrix, width) = groups.map { ($0.rows, $0.width) } ?? (data.bins, data.featureCount)
                            matrix.withUnsafeBufferPointer { bins in
                                work.rowWise(
                                    sums, rows: rowPointer.baseAddress!, bins: bins.baseAddress!, rowWidth: width,
                                    histogramWidth: output.count)
                            }
                        }
                    }
                }
            }
        }
        if let grouped, let groups = data.featureGroups {
            histogram.withUnsafeMutableBufferPointer { cells in
                let output = cells.baseAddress!
                for (g, members) in grouped.spread {
                    let group = groups.groups[g], width = group.features.count
                    let combinations = output + perBin * (data.histogramSize + groups.combinationOffsets[g])
                    for (index, feature) in members {
                        let base = output + perBin * data.histogramOffsets[feature]
                        for code in 0..<group.combinations {
                            let bin = Int(group.bins[code * width + index])
                            Values.add(combinations + perBin * code, to: base + perBin * bin, count: perBin)
                        }
                    }
                }
            }
            histogram.removeLast(perBin * scratch)
        }
        return histogram
    }
}

extension Histogram {
    init(values: [Double]) { self.values = values }
}

/// Where a histogram's inputs and output are (raw pointers, valid for one `buildHistogram` call).
private struct HistogramSums<Values: HistogramRows>: @unchecked Sendable {
    let values: Values
    /// The sampled features and the first histogram cell of each.
    let features: UnsafePointer<Int>
    let slotBases: UnsafePointer<Int>
    let output: UnsafeMutablePointer<Values.Cell>
}

/// How one histogram is cut into blocks, passes and threads.
private struct HistogramPlan<Values: HistogramRows>: Sendable {
    let rowCount: Int
    let blocks: Int
    let threads: Int
    /// Bins of each sampled feature.
    let binCounts: [Int]
    /// Where the threads come from (`TreeSettings.parallel`).
    let settings: TreeSettings

    func block(_ index: Int) -> Range<Int> { (rowCount * index / blocks)..<(rowCount * (index + 1) / blocks) }

    func run(_ body: @escaping @Sendable (Int) -> Void) { settings.parallel(threads, body) }

    /// All rows in order: each thread takes a contiguous run of features, and sums each feature block by block.
    func columnWise(_ sums: HistogramSums<Values>, bins: UnsafePointer<UInt8>) {
        let featureCount = binCounts.count, perBin = Values.cellsPerBin
        let allBins = UnsafeSendable(bins)
        run { thread in
            for j in (featureCount * thread / threads)..<(featureCount * (thread + 1) / threads) {
                let feature = sums.features[j], width = perBin * binCounts[j]
                let column = allBins.value + feature * rowCount
                let output = sums.output + sums.slotBases[j]
                withUnsafeTemporaryAllocation(of: Values.Cell.self, capacity: width) { partial in
                    for index in 0..<blocks {
                        let target = index == 0 ? output : partial.baseAddress!
                        if index > 0 { target.initialize(repeating: Values.zero, count: width) }
                        for row in block(index) {
                            Values.add(sums.values.row(row), to: target + perBin * Int(column[row]))
                        }
                        if index > 0 { Values.add(target, to: output, count: width) }
                    }
                }
            }
        }
    }

    /// A leaf's rows: blocks split across threads, each summed row by row into its own partial, added in order.
    func rowWise(
        _ sums: HistogramSums<Values>, rows: UnsafePointer<Int32>, bins: UnsafePointer<UInt8>, rowWidth: Int, histogramWidth: Int
    ) {
        // Consecutive features whose bins fit one pass.
        let binsPerPass = TreeLearner.bytesPerPass / (Values.cellsPerBin * MemoryLayout<Values.Cell>.stride)
        var passEnds: [Int] = []
        var passBins = 0
        for (index, count) in binCounts.enumerated() {
            if passBins > 0, passBins + count > binsPerPass {
                passEnds.append(index)
                passBins = 0
            }
            passBins += count
        }
        passEnds.append(binCounts.count)
        let ends = passEnds
        withUnsafeTemporaryAllocation(of: Values.Cell.self, capacity: max(1, (blocks - 1) * histogramWidth)) { spare in
            let partials = UnsafeSendable(spare.baseAddress!)
            partials.value.initialize(repeating: Values.zero, count: (blocks - 1) * histogramWidth)
            ends.withUnsafeBufferPointer { passes in
                let work = RowHistogramWork(
                    rows: rows, bins: bins, rowWidth: rowWidth, values: sums.values, columns: sums.features,
                    slotBases: sums.slotBases, passEnds: passes)
                run { thread in
                    for index in stride(from: thread, to: blocks, by: threads) {
                        work.accumulate(
                            block(index), into: index == 0 ? sums.output : partials.value + (index - 1) * histogramWidth)
                    }
                }
            }
            guard blocks > 1 else { return }
            run { thread in
                let slots = (histogramWidth * thread / threads)..<(histogramWidth * (thread + 1) / threads)
                for index in 1..<blocks {
                    let source = partials.value + (index - 1) * histogramWidth
                    Values.add(source + slots.lowerBound, to: sums.output + slots.lowerBound, count: slots.count)
                }
            }
        }
    }
}

/// The row-wise histogram loop over raw pointers; each call writes only its own partial histogram.
private struct RowHistogramWork<Values: HistogramRows>: @unchecked Sendable {
    /// The leaf's rows.
    let rows: UnsafePointer<Int32>
    let bins: UnsafePointer<UInt8>
    let rowWidth: Int
    let values: Values
    /// The sampled features and the first histogram cell of each.
    let columns: UnsafePointer<Int>
    let slotBases: UnsafePointer<Int>
    /// The end of each pass's features in `columns`.
    let passEnds: UnsafeBufferPointer<Int>

    /// Rows staged at a time when a leaf's rows are scattered and several passes read them.
    static var stagedRows: Int { 2_048 }
    /// How many rows ahead scattered rows' bins and values are prefetched.
    static var prefetchDistance: Int { 32 }

    func accumulate(_ range: Range<Int>, into histogram: UnsafeMutablePointer<Values.Cell>) {
        guard passEnds.count > 1 else {
            sum(range, rows: rows, bins: bins, values: values, into: histogram, prefetch: true)
            return
        }
        // Scattered rows read in several passes: copy a few thousand of them (bins, values) next to each other first,
        // so the passes after the first find them in cache instead of in memory.
        let width = rowWidth
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.stagedRows * width) { stagedBins in
            withUnsafeTemporaryAllocation(of: Values.Row.self, capacity: Self.stagedRows) { stagedValues in
                let binBase = stagedBins.baseAddress!, valueBase = stagedValues.baseAddress!
                var start = range.lowerBound
                while start < range.upperBound {
                    let count = min(Self.stagedRows, range.upperBound - start)
                    let end = range.upperBound
                    for k in 0..<count {
                        if start + k + Self.prefetchDistance < end {
                            let ahead = Int(rows[start + k + Self.prefetchDistance])
                            tunekit_prefetch(bins + ahead * width)
                            values.prefetch(ahead)
                        }
                        let row = Int(rows[start + k])
                        let source = bins + row * width, target = binBase + k * width
                        for byte in 0..<width { target[byte] = source[byte] }
                        (valueBase + k).initialize(to: values.row(row))
                    }
                    sum(0..<count, rows: nil, bins: binBase, values: StagedRows(values: valueBase), into: histogram, prefetch: false)
                    start += count
                }
            }
        }
    }

    /// Sums rows `range` (indices into `rows`, or rows themselves when nil) pass by pass.
    private func sum<Source: RowValues>(
        _ range: Range<Int>, rows: UnsafePointer<Int32>?, bins: UnsafePointer<UInt8>, values: Source,
        into histogram: UnsafeMutablePointer<Values.Cell>, prefetch: Bool
    ) where Source.Row == Values.Row {
        let perBin = Values.cellsPerBin
        var first = 0
        for end in passEnds {
            for k in range {
                if prefetch, let rows, k + Self.prefetchDistance < range.upperBound {
                    let ahead = Int(rows[k + Self.prefetchDistance])
                    tunekit_prefetch(bins + ahead * rowWidth)
                    self.values.prefetch(ahead)
                }
                let row = rows.map { Int($0[k]) } ?? k
                let value = values.row(row)
                let rowBins = bins + row * rowWidth
                for j in first..<end {
                    Values.add(value, to: histogram + slotBases[j] + perBin * Int(rowBins[columns[j]]))
                }
            }
            first = end
        }
    }
}
