import Foundation
import NumericKernels

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

/// The best split found for one leaf.
struct SplitCandidate {
    var feature = -1
    var thresholdBin = 0
    var defaultLeft = false
    var gain = -Double.infinity
    var left = LeafSums(), right = LeafSums()

    var isValid: Bool { feature >= 0 && gain > 0 }
}

struct LeafSums {
    var gradient = 0.0, hessian = 0.0
    var count = 0
}

/// Settings of the tree learner derived from the boosting parameters.
struct TreeSettings {
    let numLeaves: Int
    let maxDepth: Int
    let minDataInLeaf: Int
    let minSumHessianInLeaf: Double
    let minGainToSplit: Double
    let lambdaL1: Double
    let lambdaL2: Double
    let threads: Int
    /// Every hessian equals this (L2, L1, Huber): hessian sums are counts × constant and are not accumulated.
    let constantHessian: Double?

    @inline(__always)
    func thresholdL1(_ g: Double) -> Double {
        guard lambdaL1 > 0 else { return g }
        let magnitude = max(0, abs(g) - lambdaL1)
        return g < 0 ? -magnitude : magnitude
    }

    @inline(__always)
    func leafGain(_ g: Double, _ h: Double) -> Double {
        let t = thresholdL1(g)
        return t * t / (h + lambdaL2)
    }

    func leafOutput(_ g: Double, _ h: Double) -> Double { -thresholdL1(g) / (h + lambdaL2) }
}

/// Leaf-wise (best-first) growth of one tree on histograms (LightGBM's `SerialTreeLearner`).
///
/// Rows of each leaf are a contiguous range of `indices`; the smaller child's histogram is built from its rows and
/// the larger one's is the parent's minus it. Histogram building runs over features on `threads` threads; each feature
/// is summed by one thread in row order, so results do not depend on the thread count.
struct TreeLearner {
    let data: BinnedDataset
    let settings: TreeSettings

    /// Grows a tree on `rows` (sorted) with the given gradients; returns the tree (leaf values not yet shrunk) and each
    /// leaf's rows.
    func grow(
        rows: [Int32], gradients: [Double], hessians: [Double], features: [Int]
    ) -> (tree: RegressionTree, leafRows: [ArraySlice<Int32>]) {
        var indices = rows
        var begins = [0], counts = [rows.count], depths = [0]
        var histograms: [Histogram?] = [buildHistogram(indices[...], gradients, hessians, features)]
        var sums = [totalSums(histograms[0]!, rows: rows.count, feature: features.first ?? 0)]
        var candidates = [findBestSplit(histograms[0]!, sums: sums[0], features: features, depth: 0)]
        var tree = RegressionTree()
        tree.leafValue = [settings.leafOutput(sums[0].gradient, sums[0].hessian)]
        tree.leafWeight = [sums[0].hessian]
        tree.leafCount = [rows.count]
        var leafParent = [-1]

        while tree.leafValue.count < settings.numLeaves {
            var best = -1
            for leaf in candidates.indices where candidates[leaf].isValid {
                if best < 0 || candidates[leaf].gain > candidates[best].gain { best = leaf }
            }
            guard best >= 0 else { break }
            let split = candidates[best]
            let node = tree.splitFeature.count
            let newLeaf = tree.leafValue.count
            // Record the split: the left child keeps the leaf id, the right child gets a new one.
            tree.splitFeature.append(split.feature)
            tree.thresholdBin.append(split.thresholdBin)
            tree.threshold.append(data.mappers[split.feature].threshold(ofBin: split.thresholdBin))
            tree.defaultLeft.append(split.defaultLeft)
            tree.splitGain.append(split.gain)
            tree.internalValue.append(tree.leafValue[best])
            tree.internalWeight.append(tree.leafWeight[best])
            tree.internalCount.append(tree.leafCount[best])
            tree.leftChild.append(~best)
            tree.rightChild.append(~newLeaf)
            if leafParent[best] >= 0 {
                let parent = leafParent[best]
                if tree.leftChild[parent] == ~best { tree.leftChild[parent] = node } else { tree.rightChild[parent] = node }
            }
            leafParent[best] = node
            leafParent.append(node)

            let leftCount = partition(&indices, begin: begins[best], count: counts[best], split: split)
            let rightBegin = begins[best] + leftCount, rightCount = counts[best] - leftCount
            counts[best] = leftCount
            begins.append(rightBegin); counts.append(rightCount)
            let depth = depths[best] + 1
            depths[best] = depth; depths.append(depth)
            tree.leafValue[best] = settings.leafOutput(split.left.gradient, split.left.hessian)
            tree.leafWeight[best] = split.left.hessian
            tree.leafCount[best] = leftCount
            tree.leafValue.append(settings.leafOutput(split.right.gradient, split.right.hessian))
            tree.leafWeight.append(split.right.hessian)
            tree.leafCount.append(rightCount)
            sums[best] = split.left
            sums.append(split.right)

            // Histograms: build the smaller child, subtract for the larger.
            var parent = histograms[best]!
            histograms[best] = nil
            let smallIsLeft = leftCount <= rightCount
            let small = smallIsLeft ? best : newLeaf
            let smallRows = indices[begins[small]..<(begins[small] + counts[small])]
            let smallHistogram = buildHistogram(smallRows, gradients, hessians, features)
            parent.subtract(smallHistogram)
            histograms.append(nil)
            histograms[small] = smallHistogram
            histograms[smallIsLeft ? newLeaf : best] = parent
            candidates.append(SplitCandidate())
            for leaf in [best, newLeaf] {
                candidates[leaf] = findBestSplit(histograms[leaf]!, sums: sums[leaf], features: features, depth: depth)
                if !candidates[leaf].isValid { histograms[leaf] = nil }
            }
        }
        let leafRows = (0..<tree.leafValue.count).map { indices[begins[$0]..<(begins[$0] + counts[$0])] }
        return (tree, leafRows)
    }

    private func totalSums(_ histogram: Histogram, rows: Int, feature: Int) -> LeafSums {
        let offset = data.histogramOffsets[feature]
        var sums = LeafSums()
        for bin in offset..<(offset + data.mappers[feature].totalBins) {
            sums.gradient += histogram.values[2 * bin]
            sums.hessian += histogram.values[2 * bin + 1]
        }
        sums.count = rows
        if let constant = settings.constantHessian { sums.hessian = constant * Double(rows) }
        return sums
    }

    /// Stable partition of a leaf's rows, rows going left first. Large leaves are cut into blocks partitioned on
    /// separate threads and stitched back in block order, which gives exactly the serial result.
    private func partition(_ indices: inout [Int32], begin: Int, count: Int, split: SplitCandidate) -> Int {
        let mapper = data.mappers[split.feature]
        let blocks = max(1, min(settings.threads, count / 131_072 + 1))
        var spill = [Int32](repeating: 0, count: count)
        var leftCounts = [Int](repeating: 0, count: blocks), rightCounts = [Int](repeating: 0, count: blocks)
        var leftTotal = 0
        data.bins.withUnsafeBufferPointer { bins in
            indices.withUnsafeMutableBufferPointer { rows in
                spill.withUnsafeMutableBufferPointer { spillRows in
                    leftCounts.withUnsafeMutableBufferPointer { leftCount in
                        rightCounts.withUnsafeMutableBufferPointer { rightCount in
                            let work = PartitionWork(
                                column: bins.baseAddress! + split.feature * data.rowCount, rows: rows.baseAddress! + begin,
                                spill: spillRows.baseAddress!, leftCount: leftCount.baseAddress!,
                                rightCount: rightCount.baseAddress!, missingBin: mapper.hasMissing ? mapper.binCount : -1,
                                threshold: split.thresholdBin, defaultLeft: split.defaultLeft)
                            DispatchQueue.concurrentPerform(iterations: blocks) { block in
                                work.run(block: block, range: (count * block / blocks)..<(count * (block + 1) / blocks))
                            }
                            // Each block kept its left rows at its start and spilled its right rows; stitch in order.
                            let leaf = rows.baseAddress! + begin
                            var write = 0
                            for block in 0..<blocks {
                                let start = count * block / blocks
                                if write != start { (leaf + write).update(from: leaf + start, count: leftCount[block]) }
                                write += leftCount[block]
                            }
                            leftTotal = write
                            for block in 0..<blocks {
                                let start = count * block / blocks
                                (leaf + write).update(from: spillRows.baseAddress! + start, count: rightCount[block])
                                write += rightCount[block]
                            }
                        }
                    }
                }
            }
        }
        return leftTotal
    }

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
                            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                                let begin = features.count * thread / threads
                                let end = features.count * (thread + 1) / threads
                                for index in begin..<end {
                                    let feature = features[index]
                                    work.accumulate(
                                        feature: feature, offset: offsets[feature], bins: data.mappers[feature].totalBins)
                                }
                            }
                        }
                    }
                }
            }
        }
        return histogram
    }

    /// The best split of a leaf over the sampled features, or an invalid candidate.
    func findBestSplit(_ histogram: Histogram, sums: LeafSums, features: [Int], depth: Int) -> SplitCandidate {
        var best = SplitCandidate()
        if settings.maxDepth > 0, depth >= settings.maxDepth { return best }
        if sums.count < 2 * max(1, settings.minDataInLeaf) { return best }
        let parentGain = settings.leafGain(sums.gradient, sums.hessian) + settings.minGainToSplit
        for feature in features {
            let mapper = data.mappers[feature]
            guard mapper.binCount > 1 else { continue }
            let offset = data.histogramOffsets[feature]
            // With constant hessians the second slot is a count; otherwise counts are estimated from hessians as
            // LightGBM does (count ≈ hessian × rows / hessian sum).
            let hessianScale = settings.constantHessian ?? 1
            let countFactor = settings.constantHessian == nil ? Double(sums.count) / max(sums.hessian, 1e-300) : 1
            func slot(_ bin: Int) -> LeafSums {
                let second = histogram.values[2 * (offset + bin) + 1]
                return LeafSums(
                    gradient: histogram.values[2 * (offset + bin)], hessian: second * hessianScale,
                    count: Int((second * countFactor).rounded()))
            }
            var missing = LeafSums()
            if mapper.hasMissing { missing = slot(mapper.binCount) }
            for missingLeft in missing.count > 0 ? [false, true] : [false] {
                var left = missingLeft ? missing : LeafSums()
                for bin in 0..<(mapper.binCount - 1) {
                    // Small leaves leave most bins empty: nothing changes at an empty bin.
                    if histogram.values[2 * (offset + bin) + 1] == 0 { continue }
                    let add = slot(bin)
                    left.gradient += add.gradient
                    left.hessian += add.hessian
                    left.count += add.count
                    let right = LeafSums(gradient: sums.gradient - left.gradient, hessian: sums.hessian - left.hessian, count: sums.count - left.count)
                    if left.count < settings.minDataInLeaf || left.hessian < settings.minSumHessianInLeaf { continue }
                    if right.count < settings.minDataInLeaf || right.hessian < settings.minSumHessianInLeaf { break }
                    let gain = settings.leafGain(left.gradient, left.hessian) + settings.leafGain(right.gradient, right.hessian) - parentGain
                    if gain > best.gain {
                        best = SplitCandidate(feature: feature, thresholdBin: bin, defaultLeft: missingLeft, gain: gain, left: left, right: right)
                    }
                }
            }
        }
        return best
    }
}

/// One block of a partition: its left rows move to the block's start (in order), its right rows to the spill buffer.
private struct PartitionWork: @unchecked Sendable {
    let column: UnsafePointer<UInt8>
    let rows: UnsafeMutablePointer<Int32>
    let spill: UnsafeMutablePointer<Int32>
    let leftCount: UnsafeMutablePointer<Int>
    let rightCount: UnsafeMutablePointer<Int>
    let missingBin: Int
    let threshold: Int
    let defaultLeft: Bool

    func run(block: Int, range: Range<Int>) {
        var left = range.lowerBound, right = range.lowerBound
        for position in range {
            let row = rows[position]
            let bin = Int(column[Int(row)])
            if bin == missingBin ? defaultLeft : bin <= threshold {
                rows[left] = row
                left += 1
            } else {
                spill[right] = row
                right += 1
            }
        }
        leftCount[block] = left - range.lowerBound
        rightCount[block] = right - range.lowerBound
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
