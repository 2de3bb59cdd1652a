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
    /// Sums gradients and hessians (or counts, when hessians are constant) per bin over `rows`, features split across
    /// threads.
    func buildHistogram(_ rows: ArraySlice<Int32>, _ gradients: [Double], _ hessians: [Double], _ features: [Int]) -> Histogram {
        var histogram = Histogram(bins: data.histogramSize)
        let m = rows.count
        // All rows (sorted, unique) means the identity: read gradients in place. Otherwise gather the leaf's
        // gradients once so every feature reads them sequentially.
        let isAllRows = m == data.rowCount
        let constant = settings.constantHessian != nil
        var orderedGradients = isAllRows ? gradients : [Double](repeating: 0, count: m)
        var orderedHessians = isAllRows || constant ? hessians : [Double](repeating: 0, count: m)
        if !isAllRows {
            orderedGradients.withUnsafeMutableBufferPointer { og in
                gradients.withUnsafeBufferPointer { g in
                    for (k, row) in rows.enumerated() { og[k] = g[Int(row)] }
                }
            }
            if !constant { for (k, row) in rows.enumerated() { orderedHessians[k] = hessians[Int(row)] } }
        }
        // Waking threads costs tens of microseconds: only large leaves are worth splitting across them.
        let threads = max(1, min(settings.threads, features.count, m * features.count / 262_144 + 1))
        let n = data.rowCount
        let offsets = data.histogramOffsets
        rows.withUnsafeBufferPointer { rowPointer in
            data.bins.withUnsafeBufferPointer { bins in
                orderedGradients.withUnsafeBufferPointer { og in
                    orderedHessians.withUnsafeBufferPointer { oh in
                        histogram.values.withUnsafeMutableBufferPointer { values in
                            let work = HistogramWork(
                                rows: rowPointer, bins: bins, og: og, oh: oh, values: values, n: n,
                                constantHessian: constant, allRows: isAllRows)
                            // Each thread takes a contiguous block of features: features with few bins have adjacent
                            // histogram slices, and interleaving threads over them would share cache lines.
                            let accumulateBlock: @Sendable (Int) -> Void = { thread in
                                let begin = features.count * thread / threads
                                let end = features.count * (thread + 1) / threads
                                for index in begin..<end {
                                    let feature = features[index]
                                    work.accumulate(
                                        feature: feature, offset: offsets[feature], bins: data.mappers[feature].totalBins)
                                }
                            }
                            if threads == 1 {
                                accumulateBlock(0)
                            } else {
                                DispatchQueue.concurrentPerform(iterations: threads, execute: accumulateBlock)
                            }
                        }
                    }
                }
            }
        }
        return histogram
    }
}

/// The inner histogram loop over raw pointers (disjoint per-feature slices, so threads never share a write).
private struct HistogramWork: @unchecked Sendable {
    let rows: UnsafeBufferPointer<Int32>
    let bins: UnsafeBufferPointer<UInt8>
    let og: UnsafeBufferPointer<Double>
    let oh: UnsafeBufferPointer<Double>
    let values: UnsafeMutableBufferPointer<Double>
    let n: Int
    let constantHessian: Bool
    let allRows: Bool

    /// Features with few bins send most rows to the same bins, and each `+=` then waits for the previous one: their
    /// rows are spread over four interleaved partial histograms (summed at the end) to break those chains.
    func accumulate(feature: Int, offset: Int, bins binCount: Int) {
        let column = bins.baseAddress! + feature * n
        let h = values.baseAddress! + 2 * offset
        guard binCount <= Self.splitLimit, rows.count >= 64 else {
            accumulate(column: column, into: h, range: 0..<rows.count)
            return
        }
        let width = 2 * binCount
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * width) { buffer in
            let partial = buffer.baseAddress!
            partial.initialize(repeating: 0, count: 4 * width)
            let m = rows.count, quads = m / 4
            let p0 = partial, p1 = partial + width, p2 = partial + 2 * width, p3 = partial + 3 * width
            for q in 0..<quads {
                let k = 4 * q
                let r0 = allRows ? k : Int(rows[k]), r1 = allRows ? k + 1 : Int(rows[k + 1])
                let r2 = allRows ? k + 2 : Int(rows[k + 2]), r3 = allRows ? k + 3 : Int(rows[k + 3])
                let s0 = 2 * Int(column[r0]), s1 = 2 * Int(column[r1]), s2 = 2 * Int(column[r2]), s3 = 2 * Int(column[r3])
                p0[s0] += og[k]; p1[s1] += og[k + 1]; p2[s2] += og[k + 2]; p3[s3] += og[k + 3]
                if constantHessian {
                    p0[s0 + 1] += 1; p1[s1 + 1] += 1; p2[s2 + 1] += 1; p3[s3 + 1] += 1
                } else {
                    p0[s0 + 1] += oh[k]; p1[s1 + 1] += oh[k + 1]; p2[s2 + 1] += oh[k + 2]; p3[s3 + 1] += oh[k + 3]
                }
            }
            for i in 0..<width { h[i] += (p0[i] + p1[i]) + (p2[i] + p3[i]) }
            accumulate(column: column, into: h, range: (4 * quads)..<m)
        }
    }

    /// Bin counts up to this use the four-way split.
    static let splitLimit = 64

    private func accumulate(column: UnsafePointer<UInt8>, into h: UnsafeMutablePointer<Double>, range: Range<Int>) {
        switch (allRows, constantHessian) {
        case (true, true):
            for k in range {
                let slot = 2 * Int(column[k])
                h[slot] += og[k]
                h[slot + 1] += 1
            }
        case (true, false):
            for k in range {
                let slot = 2 * Int(column[k])
                h[slot] += og[k]
                h[slot + 1] += oh[k]
            }
        case (false, true):
            for k in range {
                let slot = 2 * Int(column[Int(rows[k])])
                h[slot] += og[k]
                h[slot + 1] += 1
            }
        case (false, false):
            for k in range {
                let slot = 2 * Int(column[Int(rows[k])])
                h[slot] += og[k]
                h[slot + 1] += oh[k]
            }
        }
    }
}
