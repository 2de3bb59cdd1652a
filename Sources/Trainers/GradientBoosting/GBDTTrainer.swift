import Foundation
import NumericKernels

/// Gradient-boosted regression trees on histograms, LightGBM-style.
///
/// Follows LightGBM (`src/boosting/gbdt.cpp`, `src/treelearner/serial_tree_learner.cpp`): features binned once,
/// leaf-wise growth, histogram subtraction, L1/L2-regularised leaf values, row bagging and per-tree feature sampling
/// from a master seed, early stopping on the validation split. Deviations: bins are equal-frequency cuts (LightGBM's
/// greedy binning also looks at bin spans), there is no categorical split, no exclusive feature bundling and no GOSS.
public enum GBDTTrainer: Trainer {
    public static let name = "gbdt"
    public static var parameterTable: ParameterTable { GBDTParameters.table }

    public static func prepare(_ data: Dataset) throws(TrainerError) -> GBDTPrepared {
        guard data.rowCount >= 2 else { throw .trainingFailed("gbdt: the training data needs at least 2 rows") }
        if let bad = data.target.firstIndex(where: { !$0.isFinite }) {
            throw .invalidData(file: "training data", line: nil, field: "target", message: "row \(bad + 1) is not a finite number")
        }
        // Binning gives the same bins on any number of threads: use every core.
        let binned = BinnedDataset(data, maxBin: GBDTPrepared.defaultMaxBin, threads: ProcessInfo.processInfo.activeProcessorCount)
        return GBDTPrepared(data: data, binned: binned)
    }

    public static func fit(
        _ prepared: GBDTPrepared, parameters resolved: ResolvedParameters, validation: Dataset?, observer: FitObserver? = nil
    ) throws(TrainerError) -> GBDTModel {
        let parameters = GBDTParameters(resolved)
        let labels = prepared.data.target
        try parameters.objective.checkLabels(labels)
        let binned = parameters.maxBin == GBDTPrepared.defaultMaxBin
            ? prepared.binned
            : BinnedDataset(prepared.data, maxBin: parameters.maxBin, seed: parameters.seed, threads: parameters.numThreads)
        var booster = Booster(parameters: parameters, binned: binned, labels: labels, validation: validation, observer: observer)
        booster.run()
        let trees = booster.bestIteration.map { Array(booster.trees.prefix($0)) } ?? booster.trees
        return GBDTModel(
            featureNames: prepared.data.featureNames, parameters: resolved, objective: parameters.objective,
            initialScore: booster.initialScore, trees: trees, binMappers: binned.mappers,
            bestIteration: booster.bestIteration, validationCurve: booster.curve)
    }
}

/// Training data binned with the default `max_bin` (255), shared by every fit.
public struct GBDTPrepared: Sendable {
    static let defaultMaxBin = 255
    let data: Dataset
    let binned: BinnedDataset
}

/// The boosting loop's state.
private struct Booster {
    let parameters: GBDTParameters
    let binned: BinnedDataset
    let labels: [Double]
    let validation: (binned: BinnedDataset, labels: [Double])?
    let learner: TreeLearner
    let initialScore: Double
    var scores: [Double]
    var validationScores: [Double]
    var trees: [RegressionTree] = []
    var curve: [Double] = []
    var bestIteration: Int?
    let observer: FitObserver?

    init(parameters: GBDTParameters, binned: BinnedDataset, labels: [Double], validation: Dataset?, observer: FitObserver?) {
        self.observer = observer
        self.parameters = parameters
        self.binned = binned
        self.labels = labels
        self.validation = validation.flatMap {
            $0.rowCount > 0 ? (BinnedDataset($0, mappers: binned.mappers, threads: parameters.numThreads), $0.target) : nil
        }
        learner = TreeLearner(data: binned, settings: TreeSettings(
            numLeaves: parameters.numLeaves, maxDepth: parameters.maxDepth, minDataInLeaf: parameters.minDataInLeaf,
            minSumHessianInLeaf: parameters.minSumHessianInLeaf, minGainToSplit: parameters.minGainToSplit,
            lambdaL1: parameters.lambdaL1, lambdaL2: parameters.lambdaL2, threads: parameters.numThreads,
            constantHessian: parameters.objective.constantHessian))
        initialScore = parameters.objective.initialScore(labels)
        scores = Array(repeating: initialScore, count: labels.count)
        validationScores = Array(repeating: initialScore, count: self.validation?.labels.count ?? 0)
    }

    mutating func run() {
        let n = labels.count
        let allRows = (0..<n).map { Int32($0) }
        let usable = binned.mappers.indices.filter { binned.mappers[$0].binCount > 1 }
        var gradients = [Double](repeating: 0, count: n), hessians = [Double](repeating: 1, count: n)
        var bag = allRows
        var inBag: [Bool]?
        let bagging = parameters.baggingFrequency > 0 && parameters.baggingFraction < 1
        var bestScore = Double.infinity, bestAt = 0
        for iteration in 0..<parameters.numIterations {
            if bagging, iteration % parameters.baggingFrequency == 0 {
                (bag, inBag) = sampleRows(iteration: iteration)
            }
            parameters.objective.gradients(
                scores: scores, labels: labels, rows: bagging ? bag : nil, parameters: parameters,
                gradients: &gradients, hessians: &hessians)
            let features = sampleFeatures(usable, iteration: iteration)
            var (tree, leafRows) = learner.grow(rows: bag, gradients: gradients, hessians: hessians, features: features)
            // Like LightGBM: a tree without a split means nothing is left to learn.
            if tree.splitFeature.isEmpty { break }
            if parameters.objective == .regressionL1 {
                for (leaf, rows) in leafRows.enumerated() {
                    tree.leafValue[leaf] = median(rows.map { labels[Int($0)] - scores[Int($0)] })
                }
            }
            for leaf in tree.leafValue.indices { tree.leafValue[leaf] *= parameters.learningRate }
            for node in tree.internalValue.indices { tree.internalValue[node] *= parameters.learningRate }
            scores.withUnsafeMutableBufferPointer { score in
                for (leaf, rows) in leafRows.enumerated() {
                    let value = tree.leafValue[leaf]
                    for row in rows { score[Int(row)] += value }
                }
            }
            if let inBag { add(tree, to: &scores, of: binned) { !inBag[$0] } }
            trees.append(tree)
            // The validation set is scored every round only when early stopping or an observer needs it.
            guard let validation, parameters.earlyStoppingRounds > 0 || observer != nil else { continue }
            add(tree, to: &validationScores, of: validation.binned) { _ in true }
            // The observer sees predictions (after the link), as the model makes them.
            if let observer, !observer(
                parameters.objective.hasLink ? validationScores.map(parameters.objective.transform) : validationScores,
                validation.labels) {
                if parameters.earlyStoppingRounds > 0 {
                    let score = parameters.metric.evaluate(
                        scores: validationScores, labels: validation.labels, objective: parameters.objective,
                        delta: parameters.huberDelta)
                    curve.append(score)
                    if score < bestScore { (bestScore, bestAt) = (score, iteration + 1) }
                }
                break
            }
            guard parameters.earlyStoppingRounds > 0 else { continue }
            let score = parameters.metric.evaluate(
                scores: validationScores, labels: validation.labels, objective: parameters.objective, delta: parameters.huberDelta)
            curve.append(score)
            if score < bestScore {
                bestScore = score
                bestAt = iteration + 1
            } else if parameters.earlyStoppingRounds > 0, iteration + 1 - bestAt >= parameters.earlyStoppingRounds {
                break
            }
        }
        if parameters.earlyStoppingRounds > 0, bestAt > 0 { bestIteration = bestAt }
    }

    /// Adds the tree's output to the score of every row `included` accepts, blocks of rows on `num_threads` threads.
    private func add(
        _ tree: RegressionTree, to scores: inout [Double], of data: BinnedDataset, where included: @escaping @Sendable (Int) -> Bool
    ) {
        let n = scores.count
        let blocks = max(1, min(parameters.numThreads, n / 16_384))
        scores.withUnsafeMutableBufferPointer { buffer in
            let output = UnsafeSendable(buffer.baseAddress!)
            let score: @Sendable (Int) -> Void = { block in
                for row in (n * block / blocks)..<(n * (block + 1) / blocks) where included(row) {
                    output.value[row] += tree.leafValue[tree.leaf(binned: data, row: row)]
                }
            }
            if blocks == 1 { score(0) } else { DispatchQueue.concurrentPerform(iterations: blocks, execute: score) }
        }
    }

    /// Each row is kept with probability `bagging_fraction`, from the stream (seed, iteration, "bagging").
    private func sampleRows(iteration: Int) -> ([Int32], [Bool]) {
        var rng = Xoshiro256(seed: parameters.seed, stream: StreamDerivation.code("bagging"), UInt64(iteration))
        var rows: [Int32] = []
        var mask = [Bool](repeating: false, count: labels.count)
        rows.reserveCapacity(Int(Double(labels.count) * parameters.baggingFraction) + 16)
        for row in 0..<labels.count where rng.nextUnit() < parameters.baggingFraction {
            rows.append(Int32(row))
            mask[row] = true
        }
        return (rows, mask)
    }

    /// `round(feature_fraction × count)` features per tree (at least one), from the stream (seed, iteration, "feature").
    private func sampleFeatures(_ usable: [Int], iteration: Int) -> [Int] {
        guard parameters.featureFraction < 1, usable.count > 1 else { return usable }
        let take = max(1, Int((Double(usable.count) * parameters.featureFraction).rounded()))
        var rng = Xoshiro256(seed: parameters.seed, stream: StreamDerivation.code("feature"), UInt64(iteration))
        var pool = usable
        for i in 0..<take { pool.swapAt(i, i + rng.nextIndex(below: pool.count - i)) }
        return Array(pool.prefix(take)).sorted()
    }
}
