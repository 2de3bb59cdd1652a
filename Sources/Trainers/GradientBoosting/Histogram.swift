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

    /// Sums gradients and hessians (or counts, when hessians are constant) per bin over `rows`, row by row over every
    /// sampled feature (one row's bins share a cache line; LightGBM's row-wise histograms). A large leaf is cut into
    /// blocks by its size alone; each block sums into its own partial histogram, blocks run on `threads` threads and
    /// the partials are added in block order, so results do not depend on the thread count.
    func buildHistogram(_ rows: ArraySlice<Int32>, _ gradients: [Double], _ hessians: [Double], _ features: [Int]) -> Histogram {
        var histogram = Histogram(bins: data.histogramSize)
        let m = rows.count
        guard m > 0, !features.isEmpty else { return histogram }
        let blocks = min(Self.maxHistogramBlocks, (m + Self.histogramBlockRows - 1) / Self.histogramBlockRows)
        // Waking threads costs tens of microseconds: only large leaves are worth it.
        let threads = max(1, min(settings.threads, blocks, m * features.count / 131_072 + 1))
        let slotBases = features.map { 2 * data.histogramOffsets[$0] }
        // Consecutive features whose bins fit one pass.
        var passEnds: [Int] = []
        var passBins = 0
        for (index, feature) in features.enumerated() {
            let bins = data.mappers[feature].totalBins
            if passBins > 0, passBins + bins > Self.binsPerPass {
                passEnds.append(index)
                passBins = 0
            }
            passBins += bins
        }
        passEnds.append(features.count)
        let width = 2 * data.histogramSize
        var partials = [Double](repeating: 0, count: (blocks - 1) * width)
        let isAllRows = m == data.rowCount
        rows.withUnsafeBufferPointer { rowPointer in
            data.bins.withUnsafeBufferPointer { bins in
                gradients.withUnsafeBufferPointer { g in
                    hessians.withUnsafeBufferPointer { h in
                        features.withUnsafeBufferPointer { columns in
                            slotBases.withUnsafeBufferPointer { bases in
                              passEnds.withUnsafeBufferPointer { passes in
                                histogram.values.withUnsafeMutableBufferPointer { values in
                                    partials.withUnsafeMutableBufferPointer { partial in
                                        let work = RowHistogramWork(
                                            rows: isAllRows ? nil : rowPointer.baseAddress!, bins: bins.baseAddress!,
                                            rowWidth: data.featureCount, gradients: g.baseAddress!, hessians: h.baseAddress!,
                                            columns: columns.baseAddress!, slotBases: bases.baseAddress!, passEnds: passes,
                                            constantHessian: settings.constantHessian != nil)
                                        let output = UnsafeSendable(values.baseAddress!), spare = UnsafeSendable(partial.baseAddress)
                                        let run: @Sendable (Int) -> Void = { thread in
                                            for block in stride(from: thread, to: blocks, by: threads) {
                                                work.accumulate(
                                                    (m * block / blocks)..<(m * (block + 1) / blocks),
                                                    into: block == 0 ? output.value : spare.value! + (block - 1) * width)
                                            }
                                        }
                                        let reduce: @Sendable (Int) -> Void = { thread in
                                            let slots = (width * thread / threads)..<(width * (thread + 1) / threads)
                                            for block in 1..<blocks {
                                                let source = spare.value! + (block - 1) * width
                                                for slot in slots { output.value[slot] += source[slot] }
                                            }
                                        }
                                        if threads == 1 {
                                            run(0)
                                            if blocks > 1 { reduce(0) }
                                        } else {
                                            DispatchQueue.concurrentPerform(iterations: threads, execute: run)
                                            DispatchQueue.concurrentPerform(iterations: threads, execute: reduce)
                                        }
                                    }
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

/// The row-wise histogram loop over raw pointers; each call writes only its own partial histogram.
private struct RowHistogramWork: @unchecked Sendable {
    /// The leaf's rows, or nil for all rows in order.
    let rows: UnsafePointer<Int32>?
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
        guard let rows, passEnds.count > 1 else {
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
                        (binBase + k * width).update(from: bins + row * width, count: width)
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
