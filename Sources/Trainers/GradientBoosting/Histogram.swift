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
        let width = 2 * data.histogramSize
        var partials = [Double](repeating: 0, count: (blocks - 1) * width)
        let isAllRows = m == data.rowCount
        rows.withUnsafeBufferPointer { rowPointer in
            data.bins.withUnsafeBufferPointer { bins in
                gradients.withUnsafeBufferPointer { g in
                    hessians.withUnsafeBufferPointer { h in
                        features.withUnsafeBufferPointer { columns in
                            slotBases.withUnsafeBufferPointer { bases in
                                histogram.values.withUnsafeMutableBufferPointer { values in
                                    partials.withUnsafeMutableBufferPointer { partial in
                                        let work = RowHistogramWork(
                                            rows: isAllRows ? nil : rowPointer.baseAddress!, bins: bins.baseAddress!,
                                            rowWidth: data.featureCount, gradients: g.baseAddress!, hessians: h.baseAddress!,
                                            columns: columns.baseAddress!, slotBases: bases.baseAddress!, featureCount: features.count,
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
    let featureCount: Int
    let constantHessian: Bool

    func accumulate(_ range: Range<Int>, into histogram: UnsafeMutablePointer<Double>) {
        for k in range {
            let row = rows.map { Int($0[k]) } ?? k
            let gradient = gradients[row]
            let hessian = constantHessian ? 1 : hessians[row]
            let rowBins = bins + row * rowWidth
            for j in 0..<featureCount {
                let slot = slotBases[j] + 2 * Int(rowBins[columns[j]])
                histogram[slot] += gradient
                histogram[slot + 1] += hessian
            }
        }
    }
}
