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

extension TreeLearner {
    /// Smallest block of rows worth a partial histogram of its own, and the most blocks a leaf is cut into.
    static let histogramBlockRows = 4_096
    static let maxHistogramBlocks = 16
    /// Bins summed in one pass over a block's rows: 2,048 bins × 16 bytes fill a 32 KiB L1 data cache. Wider data is
    /// summed in several passes over groups of features, so that the scattered `+=` stay in L1.
    static let binsPerPass = 2_048
    /// Fewest bins of every sampled feature for the column-wise pass over all rows.
    static let columnWiseMinBins = 64

    /// Sums gradients and hessians (or counts, when hessians are constant) per bin over `rows`. A leaf is cut into
    /// blocks of rows by its size alone; each block is summed in row order into its own partial histogram and the
    /// partials are added in block order, so the sums do not depend on the thread count or on the layout used:
    /// all rows in order (the root) of features with many bins are summed feature by feature over the column-major
    /// bins (sequential reads, one feature's bins in L1, features split across threads); otherwise row by row over
    /// the row-major bins (one row's bins share a cache line; LightGBM's row-wise histograms), blocks split across
    /// threads.
    func buildHistogram(_ rows: ArraySlice<Int32>, _ gradients: [Double], _ hessians: [Double], _ features: [Int]) -> Histogram {
        var histogram = Histogram(bins: data.histogramSize)
        let m = rows.count
        guard m > 0, !features.isEmpty else { return histogram }
        let blocks = min(Self.maxHistogramBlocks, (m + Self.histogramBlockRows - 1) / Self.histogramBlockRows)
        // Waking threads costs tens of microseconds: only large leaves are worth it.
        let threads = max(1, min(settings.threads, m * features.count / 32_768 + 1))
        let slotBases = features.map { 2 * data.histogramOffsets[$0] }
        // Column by column only pays for all rows of features with many bins: a feature with few bins sends run after
        // run of rows to the same bin, each `+=` waiting for the one before, which the row-wise pass interleaves.
        let columnWise = m == data.rowCount && features.allSatisfy { data.mappers[$0].totalBins > Self.columnWiseMinBins }
        let work = HistogramPlan(
            rowCount: m, blocks: blocks, threads: columnWise ? min(threads, features.count) : min(threads, blocks),
            constantHessian: settings.constantHessian != nil, binCounts: features.map { data.mappers[$0].totalBins },
            settings: settings)
        rows.withUnsafeBufferPointer { rowPointer in
            gradients.withUnsafeBufferPointer { g in
                hessians.withUnsafeBufferPointer { h in
                    features.withUnsafeBufferPointer { columns in
                        slotBases.withUnsafeBufferPointer { bases in
                            histogram.values.withUnsafeMutableBufferPointer { values in
                                let sums = HistogramSums(
                                    gradients: g.baseAddress!, hessians: h.baseAddress!, features: columns.baseAddress!,
                                    slotBases: bases.baseAddress!, output: values.baseAddress!)
                                if columnWise {
                                    data.columnBins.withUnsafeBufferPointer { bins in
                                        work.columnWise(sums, bins: bins.baseAddress!)
                                    }
                                } else {
                                    data.bins.withUnsafeBufferPointer { bins in
                                        work.rowWise(
                                            sums, rows: rowPointer.baseAddress!, bins: bins.baseAddress!, rowWidth: data.featureCount,
                                            histogramWidth: values.count)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return histogram
    }
}

/// Where a histogram's inputs and output are (raw pointers, valid for one `buildHistogram` call).
private struct HistogramSums: @unchecked Sendable {
    let gradients: UnsafePointer<Double>
    let hessians: UnsafePointer<Double>
    /// The sampled features and the first histogram slot of each.
    let features: UnsafePointer<Int>
    let slotBases: UnsafePointer<Int>
    let output: UnsafeMutablePointer<Double>
}

/// How one histogram is cut into blocks, passes and threads.
private struct HistogramPlan: Sendable {
    let rowCount: Int
    let blocks: Int
    let threads: Int
    let constantHessian: Bool
    /// Bins of each sampled feature.
    let binCounts: [Int]
    /// Where the threads come from (`TreeSettings.parallel`).
    let settings: TreeSettings

    func block(_ index: Int) -> Range<Int> { (rowCount * index / blocks)..<(rowCount * (index + 1) / blocks) }

    func run(_ body: @escaping @Sendable (Int) -> Void) { settings.parallel(threads, body) }

    /// All rows in order: each thread takes a contiguous run of features, and sums each feature block by block.
    func columnWise(_ sums: HistogramSums, bins: UnsafePointer<UInt8>) {
        let featureCount = binCounts.count
        let allBins = UnsafeSendable(bins)
        run { thread in
            for j in (featureCount * thread / threads)..<(featureCount * (thread + 1) / threads) {
                let feature = sums.features[j], width = 2 * binCounts[j]
                let column = allBins.value + feature * rowCount
                let output = sums.output + sums.slotBases[j]
                withUnsafeTemporaryAllocation(of: Double.self, capacity: width) { partial in
                    for index in 0..<blocks {
                        let target = index == 0 ? output : partial.baseAddress!
                        if index > 0 { target.initialize(repeating: 0, count: width) }
                        for row in block(index) {
                            let slot = 2 * Int(column[row])
                            target[slot] += sums.gradients[row]
                            target[slot + 1] += constantHessian ? 1 : sums.hessians[row]
                        }
                        if index > 0 { for slot in 0..<width { output[slot] += target[slot] } }
                    }
                }
            }
        }
    }

    /// A leaf's rows: blocks split across threads, each summed row by row into its own partial, added in order.
    func rowWise(
        _ sums: HistogramSums, rows: UnsafePointer<Int32>, bins: UnsafePointer<UInt8>, rowWidth: Int, histogramWidth: Int
    ) {
        // Consecutive features whose bins fit one pass.
        var passEnds: [Int] = []
        var passBins = 0
        for (index, count) in binCounts.enumerated() {
            if passBins > 0, passBins + count > TreeLearner.binsPerPass {
                passEnds.append(index)
                passBins = 0
            }
            passBins += count
        }
        passEnds.append(binCounts.count)
        let ends = passEnds
        withUnsafeTemporaryAllocation(of: Double.self, capacity: max(1, (blocks - 1) * histogramWidth)) { spare in
            let partials = UnsafeSendable(spare.baseAddress!)
            partials.value.initialize(repeating: 0, count: (blocks - 1) * histogramWidth)
            ends.withUnsafeBufferPointer { passes in
                let work = RowHistogramWork(
                    rows: rows, bins: bins, rowWidth: rowWidth, gradients: sums.gradients, hessians: sums.hessians,
                    columns: sums.features, slotBases: sums.slotBases, passEnds: passes, constantHessian: constantHessian)
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
                    for slot in slots { sums.output[slot] += source[slot] }
                }
            }
        }
    }
}

/// The row-wise histogram loop over raw pointers; each call writes only its own partial histogram.
private struct RowHistogramWork: @unchecked Sendable {
    /// The leaf's rows.
    let rows: UnsafePointer<Int32>
    let bins: UnsafePointer<UInt8>
    let rowWidth: Int
    let gradients: UnsafePointer<Double>
    let hessians: UnsafePointer<Double>
    /// The sampled features and the first histogram slot of each.
    let columns: UnsafePointer<Int>
    let slotBases: UnsafePointer<Int>
    /// The end of each pass's features in `columns`.
    let passEnds: UnsafeBufferPointer<Int>
    let constantHessian: Bool

    /// Rows staged at a time when a leaf's rows are scattered and several passes read them.
    static let stagedRows = 2_048

    func accumulate(_ range: Range<Int>, into histogram: UnsafeMutablePointer<Double>) {
        guard passEnds.count > 1 else {
            sum(range, rows: rows, bins: bins, gradients: gradients, hessians: hessians, into: histogram)
            return
        }
        // Scattered rows read in several passes: copy a few thousand of them (bins, gradients) next to each other
        // first, so the passes after the first find them in cache instead of in memory.
        let width = rowWidth
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.stagedRows * width) { stagedBins in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * Self.stagedRows) { stagedValues in
                let binBase = stagedBins.baseAddress!, gradientBase = stagedValues.baseAddress!
                let hessianBase = gradientBase + Self.stagedRows
                var start = range.lowerBound
                while start < range.upperBound {
                    let count = min(Self.stagedRows, range.upperBound - start)
                    for k in 0..<count {
                        let row = Int(rows[start + k])
                        let source = bins + row * width, target = binBase + k * width
                        for byte in 0..<width { target[byte] = source[byte] }
                        gradientBase[k] = gradients[row]
                        if !constantHessian { hessianBase[k] = hessians[row] }
                    }
                    sum(0..<count, rows: nil, bins: binBase, gradients: gradientBase, hessians: hessianBase, into: histogram)
                    start += count
                }
            }
        }
    }

    /// Sums rows `range` (indices into `rows`, or rows themselves when nil) pass by pass.
    private func sum(
        _ range: Range<Int>, rows: UnsafePointer<Int32>?, bins: UnsafePointer<UInt8>, gradients: UnsafePointer<Double>,
        hessians: UnsafePointer<Double>, into histogram: UnsafeMutablePointer<Double>
    ) {
        var first = 0
        for end in passEnds {
            for k in range {
                let row = rows.map { Int($0[k]) } ?? k
                let gradient = gradients[row]
                let hessian = constantHessian ? 1 : hessians[row]
                let rowBins = bins + row * rowWidth
                for j in first..<end {
                    let slot = slotBases[j] + 2 * Int(rowBins[columns[j]])
                    histogram[slot] += gradient
                    histogram[slot + 1] += hessian
                }
            }
            first = end
        }
    }
}
