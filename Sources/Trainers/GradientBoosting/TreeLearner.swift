import Foundation
import NumericKernels

/// The best split found for one leaf.
struct SplitCandidate {
    var feature = -1
    var thresholdBin = 0
    var defaultLeft = false
    var gain = -Double.infinity
    var left = LeafSums(), right = LeafSums()
    /// A categorical split's bins going left (every other bin goes right); nil for a numeric split.
    var leftBins: [Int]?
    /// L2 penalty added to `lambda_l2` for the children's values (`cat_l2` after a many-vs-many categorical split).
    var extraL2 = 0.0

    var isValid: Bool { feature >= 0 && gain > 0 }
}

struct LeafSums {
    var gradient = 0.0, hessian = 0.0
    var count = 0
}

/// Settings of the tree learner derived from the boosting parameters.
struct TreeSettings: Sendable {
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
    /// LightGBM's categorical settings: one-vs-rest below `maxCatToOnehot` bins, else at most `maxCatThreshold`
    /// categories on the left, ordered by gradient / (hessian + `catSmooth`) over categories of at least `catSmooth`
    /// rows, `catL2` extra penalty, `minDataPerGroup` rows per side and per step.
    var maxCatToOnehot = 4
    var maxCatThreshold = 32
    var catL2 = 10.0
    var catSmooth = 10.0
    var minDataPerGroup = 100
    /// The fit's threads for parallel loops; nil with one thread (or one core).
    var pool: WorkerPool? = nil

    /// Runs `body(0)` … `body(iterations − 1)` on the pool, or one after another without one; returns when all have
    /// finished. Iterations are blocks fixed by the data, so the result does not depend on which way they run.
    func parallel(_ iterations: Int, _ body: @escaping @Sendable (Int) -> Void) {
        if let pool {
            pool.perform(iterations, body)
        } else {
            for iteration in 0..<max(0, iterations) { body(iteration) }
        }
    }

    @inline(__always)
    func thresholdL1(_ g: Double) -> Double {
        guard lambdaL1 > 0 else { return g }
        let magnitude = max(0, abs(g) - lambdaL1)
        return g < 0 ? -magnitude : magnitude
    }

    @inline(__always)
    func leafGain(_ g: Double, _ h: Double, extraL2: Double = 0) -> Double {
        let t = thresholdL1(g)
        return t * t / (h + lambdaL2 + extraL2)
    }

    func leafOutput(_ g: Double, _ h: Double, extraL2: Double = 0) -> Double { -thresholdL1(g) / (h + lambdaL2 + extraL2) }
}

/// Leaf-wise (best-first) growth of one tree on histograms (LightGBM's `SerialTreeLearner`).
///
/// Rows of each leaf are a contiguous range of `indices`; the smaller child's histogram is built from its rows and
/// the larger one's is the parent's minus it. Histograms of large leaves and partitions are built on `threads` threads,
/// in blocks fixed by the leaf alone, so results do not depend on the thread count.
struct TreeLearner {
    let data: BinnedDataset
    let settings: TreeSettings

    /// Grows a tree on `rows` (sorted) with the given gradients, or with their quantized values when `quantized` is
    /// given (packed integer histograms); returns the tree (leaf values not yet shrunk) and each leaf's rows. Throws
    /// when the gradients or hessians summed over `rows` are not finite (the loss overflowed).
    func grow(
        rows: [Int32], gradients: [Double], hessians: [Double], quantized: QuantizedGradients? = nil, features: [Int]
    ) throws(TrainerError) -> (tree: RegressionTree, leafRows: [ArraySlice<Int32>]) {
        func histogram(of rows: ArraySlice<Int32>) -> LeafHistogram {
            if let quantized { return buildHistogram(rows, quantized, features) }
            return .float(buildHistogram(rows, gradients, hessians, features))
        }
        var indices = rows
        // Where each split puts its right rows before they are copied back: one buffer for the whole tree.
        var spill = [Int32](repeating: 0, count: rows.count)
        var begins = [0], counts = [rows.count], depths = [0]
        var histograms: [LeafHistogram?] = [histogram(of: indices[...])]
        var sums = [totalSums(histograms[0]!, rows: rows.count, feature: features.first ?? 0)]
        guard sums[0].gradient.isFinite, sums[0].hessian.isFinite else {
            throw .trainingFailed(
                "gbdt: the loss's gradients or hessians are not finite numbers (sums \(sums[0].gradient), \(sums[0].hessian)): they overflowed; lower the learning rate or poisson_max_delta_step, or check the targets and weights")
        }
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
            if let bins = split.leftBins {
                let categories = data.mappers[split.feature].categories!
                tree.categoricalSplit.append(tree.leftBins.count)
                tree.threshold.append(Double(tree.leftBins.count))
                tree.thresholdBin.append(-1)
                tree.leftBins.append(RegressionTree.bitset(bins))
                tree.leftCategories.append(RegressionTree.bitset(bins.map { categories[$0 - 1] }))
            } else {
                tree.categoricalSplit.append(-1)
                tree.threshold.append(data.mappers[split.feature].threshold(ofBin: split.thresholdBin))
                tree.thresholdBin.append(split.thresholdBin)
            }
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

            let leftCount = partition(&indices, begin: begins[best], count: counts[best], split: split, spill: &spill)
            let rightBegin = begins[best] + leftCount, rightCount = counts[best] - leftCount
            counts[best] = leftCount
            begins.append(rightBegin); counts.append(rightCount)
            let depth = depths[best] + 1
            depths[best] = depth; depths.append(depth)
            tree.leafValue[best] = settings.leafOutput(split.left.gradient, split.left.hessian, extraL2: split.extraL2)
            tree.leafWeight[best] = split.left.hessian
            tree.leafCount[best] = leftCount
            tree.leafValue.append(settings.leafOutput(split.right.gradient, split.right.hessian, extraL2: split.extraL2))
            tree.leafWeight.append(split.right.hessian)
            tree.leafCount.append(rightCount)
            // The children's real row counts: the split's are estimates from hessians when hessians vary.
            sums[best] = split.left
            sums[best].count = leftCount
            sums.append(split.right)
            sums[newLeaf].count = rightCount

            // Histograms: build the smaller child, subtract for the larger.
            var parent = histograms[best]!
            histograms[best] = nil
            let smallIsLeft = leftCount <= rightCount
            let small = smallIsLeft ? best : newLeaf
            let smallRows = indices[begins[small]..<(begins[small] + counts[small])]
            let smallHistogram = histogram(of: smallRows)
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

    private func totalSums(_ histogram: LeafHistogram, rows: Int, feature: Int) -> LeafSums {
        let offset = data.histogramOffsets[feature]
        var sums = LeafSums()
        func add(_ bins: some BinSums) {
            for bin in offset..<(offset + data.mappers[feature].totalBins) {
                sums.gradient += bins.gradient(bin)
                sums.hessian += bins.second(bin)
            }
        }
        switch histogram {
        case .float(let histogram): histogram.values.withUnsafeBufferPointer { add(FloatBinSums(values: $0)) }
        case .wide(let histogram): histogram.withBinSums { add($0) }
        case .narrow(let histogram): histogram.withBinSums { add($0) }
        }
        sums.count = rows
        if let constant = settings.constantHessian { sums.hessian = constant * Double(rows) }
        return sums
    }

    /// Stable partition of a leaf's rows, rows going left first. Large leaves are cut into blocks partitioned on
    /// separate threads and stitched back in block order, which gives exactly the serial result. `spill` is scratch
    /// space for at least `count` rows.
    private func partition(_ indices: inout [Int32], begin: Int, count: Int, split: SplitCandidate, spill: inout [Int32]) -> Int {
        let mapper = data.mappers[split.feature]
        // Which side each bin goes to.
        var goesLeft = [Bool](repeating: false, count: 256)
        if let bins = split.leftBins {
            for bin in bins { goesLeft[bin] = true }
        } else {
            for bin in 0...split.thresholdBin { goesLeft[bin] = true }
            if mapper.hasMissing { goesLeft[mapper.binCount] = split.defaultLeft }
        }
        let blocks = max(1, min(settings.threads, count / 16_384 + 1))
        var leftCounts = [Int](repeating: 0, count: blocks), rightCounts = [Int](repeating: 0, count: blocks)
        var leftTotal = 0
        data.columnBins.withUnsafeBufferPointer { bins in
            indices.withUnsafeMutableBufferPointer { rows in
                spill.withUnsafeMutableBufferPointer { spillRows in
                    goesLeft.withUnsafeBufferPointer { sides in
                    leftCounts.withUnsafeMutableBufferPointer { leftCount in
                        rightCounts.withUnsafeMutableBufferPointer { rightCount in
                            let work = PartitionWork(
                                column: bins.baseAddress! + split.feature * data.rowCount, rows: rows.baseAddress! + begin,
                                spill: spillRows.baseAddress!, leftCount: leftCount.baseAddress!,
                                rightCount: rightCount.baseAddress!, goesLeft: sides.baseAddress!)
                            settings.parallel(blocks) { block in
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
        }
        return leftTotal
    }

    /// The best split of a leaf over the sampled features, or an invalid candidate.
    func findBestSplit(_ histogram: LeafHistogram, sums: LeafSums, features: [Int], depth: Int) -> SplitCandidate {
        switch histogram {
        case .float(let histogram):
            histogram.values.withUnsafeBufferPointer { findBestSplit(FloatBinSums(values: $0), sums: sums, features: features, depth: depth) }
        case .wide(let histogram): histogram.withBinSums { findBestSplit($0, sums: sums, features: features, depth: depth) }
        case .narrow(let histogram): histogram.withBinSums { findBestSplit($0, sums: sums, features: features, depth: depth) }
        }
    }

    /// Fewest rows, and fewest bins of the sampled features, for which features are searched on several threads.
    static let parallelSplitRows = 16_384
    static let parallelSplitBins = 1_024

    /// The best split over `features`: large leaves' features in contiguous runs on the pool's threads, the runs'
    /// best taken in feature order, so that ties go to the first feature as in one pass.
    private func findBestSplit(_ values: some BinSums, sums: LeafSums, features: [Int], depth: Int) -> SplitCandidate {
        if settings.maxDepth > 0, depth >= settings.maxDepth { return SplitCandidate() }
        if sums.count < 2 * max(1, settings.minDataInLeaf) { return SplitCandidate() }
        let parallel = settings.pool != nil && features.count > 1 && sums.count >= Self.parallelSplitRows
            && features.reduce(0, { $0 + data.mappers[$1].totalBins }) >= Self.parallelSplitBins
        let runs = parallel ? min(settings.threads, features.count) : 1
        var best = SplitCandidate()
        if runs > 1 {
            var results = [SplitCandidate](repeating: SplitCandidate(), count: runs)
            results.withUnsafeMutableBufferPointer { buffer in
                // The histogram's sums are read-only while the runs search them.
                let output = UnsafeSendable(buffer.baseAddress!), search = UnsafeSendable((values, self))
                let count = features.count
                settings.parallel(runs) { run in
                    let (values, learner) = search.value
                    output.value[run] = learner.bestSplit(
                        values, sums: sums, features: features[(count * run / runs)..<(count * (run + 1) / runs)])
                }
            }
            for result in results where result.gain > best.gain { best = result }
        } else {
            best = bestSplit(values, sums: sums, features: features[...])
        }
        // A gain within rounding of zero (a leaf whose rows all have the same gradient ratio, e.g. one class in the
        // first round) splits nothing: both children would predict the parent's value.
        if best.gain <= 1e-10 * settings.leafGain(sums.gradient, sums.hessian) { return SplitCandidate() }
        return best
    }

    /// The best split over a run of features, or an invalid candidate.
    private func bestSplit(_ values: some BinSums, sums: LeafSums, features: ArraySlice<Int>) -> SplitCandidate {
        var best = SplitCandidate()
        let parentGain = settings.leafGain(sums.gradient, sums.hessian) + settings.minGainToSplit
        // With constant hessians the second slot is a count; otherwise counts are estimated from hessians as
        // LightGBM does (count ≈ hessian × rows / hessian sum).
        let constant = settings.constantHessian
        let countFactor = constant == nil ? Double(sums.count) / max(sums.hessian, 1e-300) : 1
        let minData = settings.minDataInLeaf, minHessian = settings.minSumHessianInLeaf
        do {
            for feature in features {
                let mapper = data.mappers[feature]
                guard mapper.binCount > 1 else { continue }
                let base = data.histogramOffsets[feature]
                @inline(__always) func slot(_ bin: Int) -> LeafSums {
                    let second = values.second(base + bin)
                    if let constant { return LeafSums(gradient: values.gradient(base + bin), hessian: second * constant, count: Int(second)) }
                    // Counts of varying-hessian sides are estimated below, once per side.
                    return LeafSums(gradient: values.gradient(base + bin), hessian: second, count: 0)
                }
                if mapper.isCategorical {
                    let candidate = bestCategoricalSplit(
                        feature: feature, binCount: mapper.binCount, sums: sums, parentGain: parentGain, countFactor: countFactor,
                        bin: slot)
                    if let candidate, candidate.gain > best.gain { best = candidate }
                    continue
                }
                var missing = mapper.hasMissing ? slot(mapper.binCount) : LeafSums()
                if constant == nil { missing.count = Int(missing.hessian * countFactor + 0.5) }
                // The feature's best threshold in plain values (a candidate with its optional array, kept up to date in
                // the loop, costs more than the loop's sums).
                var bestGain = best.gain
                var found: (bin: Int, missingLeft: Bool, left: LeafSums, right: LeafSums)?
                for direction in 0..<(missing.count > 0 ? 2 : 1) {
                    let missingLeft = direction == 1
                    var left = missingLeft ? missing : LeafSums()
                    for bin in 0..<(mapper.binCount - 1) {
                        // Small leaves leave most bins empty: nothing changes at an empty bin.
                        if values.isEmpty(base + bin) { continue }
                        let second = values.second(base + bin)
                        left.gradient += values.gradient(base + bin)
                        if let constant {
                            left.hessian += second * constant
                            left.count += Int(second)
                        } else {
                            left.hessian += second
                        }
                        var right = LeafSums(
                            gradient: sums.gradient - left.gradient, hessian: sums.hessian - left.hessian, count: sums.count - left.count)
                        if constant == nil {
                            // Each side's count from its own hessian sum, rounded once: rounding bin by bin (as LightGBM
                            // does) piles the error of a many-bin side onto the other, letting a leaf far below
                            // min_data_in_leaf through.
                            // Hessians are non-negative: adding ½ and truncating rounds (libm's round is a call).
                            left.count = Int(left.hessian * countFactor + 0.5)
                            right.count = Int(max(0, right.hessian) * countFactor + 0.5)
                        }
                        if left.count < minData || left.hessian < minHessian { continue }
                        if right.count < minData || right.hessian < minHessian { break }
                        let gain = settings.leafGain(left.gradient, left.hessian) + settings.leafGain(right.gradient, right.hessian) - parentGain
                        if gain > bestGain {
                            bestGain = gain
                            found = (bin, missingLeft, left, right)
                        }
                    }
                }
                if let found {
                    best = SplitCandidate(
                        feature: feature, thresholdBin: found.bin, defaultLeft: found.missingLeft, gain: bestGain, left: found.left,
                        right: found.right)
                }
            }
        }
        return best
    }
}

extension TreeLearner {
    /// The best split of a categorical feature by LightGBM's rules (`FindBestThresholdCategoricalInner`): with few
    /// bins, one category against the rest; otherwise categories sorted by gradient / (hessian + `cat_smooth`) and the
    /// best prefix from either end, with `cat_l2` added to the penalty. Bin 0 (missing, left-out and unseen categories)
    /// always goes right. `bin` gives a bin's sums (counts are 0 when hessians vary: estimated here as LightGBM does).
    fileprivate func bestCategoricalSplit(
        feature: Int, binCount: Int, sums: LeafSums, parentGain: Double, countFactor: Double, bin: (Int) -> LeafSums
    ) -> SplitCandidate? {
        let minData = settings.minDataInLeaf, minHessian = settings.minSumHessianInLeaf
        let varying = settings.constantHessian == nil
        func sumsOf(_ b: Int) -> LeafSums {
            var entry = bin(b)
            if varying { entry.count = Int(entry.hessian * countFactor + 0.5) }
            return entry
        }
        func right(of left: LeafSums) -> LeafSums {
            LeafSums(gradient: sums.gradient - left.gradient, hessian: sums.hessian - left.hessian, count: sums.count - left.count)
        }
        var best: SplitCandidate?
        if binCount <= settings.maxCatToOnehot {
            for b in 1..<binCount {
                let left = sumsOf(b), other = right(of: left)
                guard left.count >= minData, left.hessian >= minHessian, other.count >= minData, other.hessian >= minHessian else { continue }
                let gain = settings.leafGain(left.gradient, left.hessian) + settings.leafGain(other.gradient, other.hessian) - parentGain
                if gain > 0, gain > best?.gain ?? 0 {
                    best = SplitCandidate(feature: feature, thresholdBin: -1, gain: gain, left: left, right: other, leftBins: [b])
                }
            }
            return best
        }
        let catSmooth = settings.catSmooth, extraL2 = settings.catL2
        let used = (1..<binCount).map(sumsOf).enumerated().filter { Double($0.element.count) >= catSmooth }
            .map { (bin: $0.offset + 1, sums: $0.element) }
        // Swift's sort is stable, as LightGBM's std::stable_sort: ties keep bin (count) order.
        let sorted = used.sorted { $0.sums.gradient / ($0.sums.hessian + catSmooth) < $1.sums.gradient / ($1.sums.hessian + catSmooth) }
        let maxCategories = min(settings.maxCatThreshold, (sorted.count + 1) / 2)
        for ascending in [true, false] {
            var left = LeafSums(), group = 0
            for i in 0..<min(sorted.count, maxCategories) {
                let entry = sorted[ascending ? i : sorted.count - 1 - i].sums
                left.gradient += entry.gradient
                left.hessian += entry.hessian
                left.count += entry.count
                group += entry.count
                if left.count < minData || left.hessian < minHessian { continue }
                let other = right(of: left)
                if other.count < minData || other.count < settings.minDataPerGroup || other.hessian < minHessian { break }
                if group < settings.minDataPerGroup { continue }
                group = 0
                let gain = settings.leafGain(left.gradient, left.hessian, extraL2: extraL2)
                    + settings.leafGain(other.gradient, other.hessian, extraL2: extraL2) - parentGain
                if gain > 0, gain > best?.gain ?? 0 {
                    let bins = (0...i).map { sorted[ascending ? $0 : sorted.count - 1 - $0].bin }
                    best = SplitCandidate(
                        feature: feature, thresholdBin: -1, gain: gain, left: left, right: other, leftBins: bins, extraL2: extraL2)
                }
            }
        }
        return best
    }
}

/// One block of a partition: its left rows move to the block's start (in order), its right rows to the spill buffer.
private struct PartitionWork: @unchecked Sendable {
    /// The split feature's column of bins.
    let column: UnsafePointer<UInt8>
    let rows: UnsafeMutablePointer<Int32>
    let spill: UnsafeMutablePointer<Int32>
    let leftCount: UnsafeMutablePointer<Int>
    let rightCount: UnsafeMutablePointer<Int>
    /// The side of each of the 256 bins.
    let goesLeft: UnsafePointer<Bool>

    func run(block: Int, range: Range<Int>) {
        // Branch-free: each row is written to both sides and only its own side's cursor moves (a branch on the side
        // is mispredicted for about half the rows of a good split).
        // The cursors stay within `range`: wrapping arithmetic drops the overflow checks from the loop.
        var left = range.lowerBound, right = range.lowerBound
        for position in range {
            let row = rows[position]
            let isLeft = goesLeft[Int(column[Int(row)])] ? 1 : 0
            rows[left] = row
            spill[right] = row
            left &+= isLeft
            right &+= 1 &- isLeft
        }
        leftCount[block] = left - range.lowerBound
        rightCount[block] = right - range.lowerBound
    }
}
