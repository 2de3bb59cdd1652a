import Foundation
import NumericKernels

/// Gradient-boosted regression trees on histograms, LightGBM-style.
///
/// Follows LightGBM (`src/boosting/gbdt.cpp`, `src/treelearner/serial_tree_learner.cpp`): features binned once,
/// leaf-wise growth, histogram subtraction, L1/L2-regularised leaf values, row bagging and per-tree feature sampling
/// from a master seed, early stopping on the validation split; regression, binary (sigmoid) and multiclass (softmax)
/// objectives, categorical splits by category sets, quantized training (`use_quantized_grad`). Deviations: bins are
/// equal-frequency cuts (LightGBM's greedy binning also looks at bin spans), there is no exclusive feature bundling and
/// no GOSS.
public enum GBDTTrainer: Trainer {
    public static let name = "gbdt"
    public static var parameterTable: ParameterTable { GBDTParameters.table }

    public static func prepare(_ data: Dataset) throws(TrainerError) -> GBDTPrepared {
        guard data.rowCount >= 2 else { throw .trainingFailed("gbdt: the training data needs at least 2 rows") }
        if let bad = data.target.firstIndex(where: { !$0.isFinite }) {
            throw .invalidData(file: "training data", line: nil, field: "target", message: "row \(bad + 1) is not a finite number")
        }
        try data.checkWeights()
        // Binning gives the same bins on any number of threads: use every core.
        let binned = BinnedDataset(data, maxBin: GBDTPrepared.defaultMaxBin, threads: ProcessInfo.processInfo.activeProcessorCount)
        return GBDTPrepared(data: data, binned: binned)
    }

    /// The fold's rows binned with the bin boundaries of all the prepared rows (as `lgb.cv` bins its dataset once).
    public static func restrict(_ prepared: GBDTPrepared, to rows: [Int]) throws(TrainerError) -> GBDTPrepared {
        let data = prepared.data.rows(at: rows)
        guard data.rowCount >= 2 else { throw .trainingFailed("gbdt: the training data needs at least 2 rows") }
        try data.checkWeights()
        return GBDTPrepared(
            data: data,
            binned: BinnedDataset(
                data, mappers: prepared.binned.mappers, threads: ProcessInfo.processInfo.activeProcessorCount, groupingFeatures: true))
    }

    public static func fit(
        _ prepared: GBDTPrepared, parameters resolved: ResolvedParameters, validation: Dataset?, observer: FitObserver? = nil
    ) throws(TrainerError) -> GBDTModel {
        let parameters = GBDTParameters(resolved)
        if let problem = parameters.metrics.lazy.compactMap({ $0.problem(with: parameters.objective) }).first {
            throw .invalidParameter(name: "metric", message: problem)
        }
        var labels = prepared.data.target
        try parameters.objective.checkLabels(labels)
        let classes = try parameters.objective.classes(of: labels, numClass: parameters.numClass)
        if let classes { labels = classes.indices }
        if let validation, validation.rowCount > 0, parameters.earlyStoppingRounds > 0, parameters.metric.higherIsBetter,
           Set(validation.target).count < 2 {
            throw .invalidData(
                file: "validation data", line: nil, field: "target",
                message: "every validation row has the same class, so \(parameters.metric.rawValue) is undefined; early-stop on binary_logloss or hold out more rows")
        }
        if parameters.useQuantizedGrad, prepared.data.rowCount * parameters.numGradQuantBins >= GradientQuantizer.maxRowBins {
            throw .invalidParameter(
                name: "use_quantized_grad",
                message: "\(prepared.data.rowCount) rows × num_grad_quant_bins \(parameters.numGradQuantBins) reach 2^32, beyond the 32-bit integer sums of quantized histograms; lower num_grad_quant_bins or train without quantization")
        }
        let binned = parameters.maxBin == GBDTPrepared.defaultMaxBin
            ? prepared.binned
            : BinnedDataset(prepared.data, maxBin: parameters.maxBin, seed: parameters.seed, threads: parameters.numThreads)
        var booster = Booster(
            parameters: parameters, binned: binned, labels: labels, sampleWeights: prepared.data.weights, classes: classes?.classes,
            validation: validation, observer: observer)
        try booster.run()
        let perIteration = booster.initialScores.count
        let trees = booster.bestIteration.map { Array(booster.trees.prefix($0 * perIteration)) } ?? booster.trees
        // The boosting scores are the model's raw scores on the training rows, unless early stopping dropped trees.
        let trainingPredictions = trees.count == booster.trees.count
            ? parameters.objective.predictions(raw: booster.scores, classes: classes?.classes) : nil
        // The validation scores of the iteration whose trees the model keeps, when that iteration was scored.
        let validationPredictions = [booster.lastScored, booster.bestScored].compactMap { $0 }
            .first { $0.trees == trees.count }?.predictions
        return GBDTModel(
            featureNames: prepared.data.featureNames, parameters: resolved, objective: parameters.objective,
            initialScores: booster.initialScores, classes: classes?.classes, trees: trees, binMappers: binned.mappers,
            bestIteration: booster.bestIteration, validationCurve: booster.curve, trainingPredictions: trainingPredictions,
            validationPredictions: validationPredictions)
    }

    /// Whether these parameters train a classifier (objective binary or multiclass).
    public static func isClassifier(_ parameters: ResolvedParameters) -> Bool {
        GBDTParameters(parameters).objective.isClassifier
    }
}

/// Training data binned with the default `max_bin` (255), shared by every fit.
public struct GBDTPrepared: Sendable {
    static let defaultMaxBin = 255
    let data: Dataset
    let binned: BinnedDataset
}

/// The boosting loop's state. Classifiers grow one tree per class each iteration (LightGBM's
/// `num_tree_per_iteration`), stored iteration by iteration.
private struct Booster {
    let parameters: GBDTParameters
    let binned: BinnedDataset
    /// Regression targets, or class indices for classifiers.
    let labels: [Double]
    let sampleWeights: [Double]?
    let classes: [Double]?
    /// The validation rows binned, their true targets (class labels, not indices) and weights.
    let validation: (binned: BinnedDataset, targets: [Double], weights: [Double]?)?
    let learner: TreeLearner
    /// Rounds each tree's gradients when training is quantized.
    let quantizer: GradientQuantizer?
    let initialScores: [Double]
    let weights: (negative: Double, positive: Double)
    var scores: [[Double]]
    var validationScores: [[Double]]
    var trees: [RegressionTree] = []
    var curve: [Double] = []
    var bestIteration: Int?
    /// The validation predictions of the last scored iteration and of the best one, with the trees they sum.
    var lastScored: (trees: Int, predictions: Predictions)?
    var bestScored: (trees: Int, predictions: Predictions)?
    let observer: FitObserver?

    init(
        parameters: GBDTParameters, binned: BinnedDataset, labels: [Double], sampleWeights: [Double]?, classes: [Double]?,
        validation: Dataset?, observer: FitObserver?
    ) {
        self.observer = observer
        self.parameters = parameters
        self.binned = binned
        self.labels = labels
        self.sampleWeights = sampleWeights
        self.classes = classes
        self.validation = validation.flatMap {
            $0.rowCount > 0 ? (BinnedDataset($0, mappers: binned.mappers, threads: parameters.numThreads), $0.target, $0.weights) : nil
        }
        learner = TreeLearner(data: binned, settings: TreeSettings(
            numLeaves: parameters.numLeaves, maxDepth: parameters.maxDepth, minDataInLeaf: parameters.minDataInLeaf,
            minSumHessianInLeaf: parameters.minSumHessianInLeaf, minGainToSplit: parameters.minGainToSplit,
            lambdaL1: parameters.lambdaL1, lambdaL2: parameters.lambdaL2, threads: parameters.numThreads,
            // Weighted rows have unequal hessians (the weights), so histograms sum them.
            constantHessian: sampleWeights == nil ? parameters.objective.constantHessian : nil, maxCatToOnehot: parameters.maxCatToOnehot,
            maxCatThreshold: parameters.maxCatThreshold, catL2: parameters.catL2, catSmooth: parameters.catSmooth,
            minDataPerGroup: parameters.minDataPerGroup,
            // More spinning threads than cores would wait on each other; the loops' blocks do not depend on the pool.
            pool: WorkerPool(threads: min(parameters.numThreads, ProcessInfo.processInfo.activeProcessorCount))))
        quantizer = parameters.useQuantizedGrad
            ? GradientQuantizer(
                bins: parameters.numGradQuantBins, stochasticRounding: parameters.stochasticRounding, seed: parameters.seed,
                rowCount: labels.count)
            : nil
        initialScores = parameters.objective.initialScores(labels, classCount: classes?.count ?? 1, weights: sampleWeights)
        // LightGBM's label weights: is_unbalance weights the rarer class by the count ratio; scale_pos_weight multiplies
        // the positive class's weight.
        var weights = (negative: 1.0, positive: 1.0)
        if parameters.objective == .binary {
            let positives = Double(labels.filter { $0 > 0 }.count), negatives = Double(labels.count) - positives
            if parameters.isUnbalance, positives > 0, negatives > 0 {
                if positives > negatives { weights.negative = positives / negatives } else { weights.positive = negatives / positives }
            }
            weights.positive *= parameters.scalePosWeight
        }
        self.weights = weights
        scores = initialScores.map { [Double](repeating: $0, count: labels.count) }
        let validationRows = self.validation?.targets.count ?? 0
        validationScores = initialScores.map { [Double](repeating: $0, count: validationRows) }
    }

    mutating func run() throws(TrainerError) {
        let n = labels.count, perIteration = initialScores.count
        let allRows = (0..<n).map { Int32($0) }
        let usable = binned.mappers.indices.filter { binned.mappers[$0].binCount > 1 }
        var gradients = initialScores.map { _ in [Double](repeating: 0, count: n) }
        var hessians = initialScores.map { _ in [Double](repeating: 1, count: n) }
        var bag = allRows
        var inBag: [Bool]?
        let bagging = parameters.baggingFrequency > 0 && parameters.baggingFraction < 1
        let metric = parameters.metric
        var bestScore = metric.higherIsBetter ? -Double.infinity : Double.infinity, bestAt = 0
        for iteration in 0..<parameters.numIterations {
            if bagging, iteration % parameters.baggingFrequency == 0 {
                (bag, inBag) = sampleRows(iteration: iteration)
            }
            parameters.objective.gradients(
                scores: scores, labels: labels, rows: bagging ? bag : nil, parameters: parameters, weights: weights,
                sampleWeights: sampleWeights, gradients: &gradients, hessians: &hessians)
            var grown: [RegressionTree] = []
            for k in 0..<perIteration {
                let features = sampleFeatures(usable, tree: iteration * perIteration + k)
                let quantized = quantizer?.quantize(
                    gradients: gradients[k], hessians: hessians[k], rows: bag, constantHessian: learner.settings.constantHessian,
                    tree: iteration * perIteration + k, settings: learner.settings)
                var (tree, leafRows) = try learner.grow(
                    rows: bag, gradients: gradients[k], hessians: hessians[k], quantized: quantized, features: features)
                // A class whose tree cannot split adds nothing this iteration (LightGBM's constant tree of 0).
                if tree.splitFeature.isEmpty {
                    grown.append(RegressionTree())
                    continue
                }
                // L1 leaves are residual medians below, whatever the gradients.
                if quantized != nil, parameters.quantTrainRenewLeaf, parameters.objective != .regressionL1 {
                    renewLeaves(of: &tree, leafRows: leafRows, gradients: gradients[k], hessians: hessians[k])
                }
                if parameters.objective == .regressionL1 {
                    for (leaf, rows) in leafRows.enumerated() {
                        tree.leafValue[leaf] = weightedMedian(
                            rows.map { labels[Int($0)] - scores[0][Int($0)] }, weights: sampleWeights.map { w in rows.map { w[Int($0)] } })
                    }
                }
                for leaf in tree.leafValue.indices { tree.leafValue[leaf] *= parameters.learningRate }
                for node in tree.internalValue.indices { tree.internalValue[node] *= parameters.learningRate }
                // Leaves hold disjoint rows: large trees update their leaves' scores on several threads.
                scores[k].withUnsafeMutableBufferPointer { buffer in
                    let score = UnsafeSendable(buffer.baseAddress!), values = tree.leafValue, leafRows = leafRows
                    let update: @Sendable (Int) -> Void = { leaf in
                        let value = values[leaf]
                        for row in leafRows[leaf] { score.value[Int(row)] += value }
                    }
                    if parameters.numThreads > 1, bag.count >= 65_536 {
                        learner.settings.parallel(leafRows.count, update)
                    } else {
                        for leaf in leafRows.indices { update(leaf) }
                    }
                }
                if let inBag { add(tree, to: &scores[k], of: binned) { !inBag[$0] } }
                grown.append(tree)
            }
            // Like LightGBM: when no tree of the iteration splits, nothing is left to learn.
            if grown.allSatisfy({ $0.splitFeature.isEmpty }) { break }
            trees += grown
            // The validation set is scored every round only when early stopping or an observer needs it.
            guard let validation, parameters.earlyStoppingRounds > 0 || observer != nil else { continue }
            for (k, tree) in grown.enumerated() where !tree.splitFeature.isEmpty {
                add(tree, to: &validationScores[k], of: validation.binned) { _ in true }
            }
            // The observer sees predictions (after the link), as the model makes them.
            let predictions = parameters.objective.predictions(raw: validationScores, classes: classes)
            let stopped = observer.map { !$0(predictions, validation.targets, validation.weights) } ?? false
            lastScored = (trees.count, predictions)
            if parameters.earlyStoppingRounds > 0 {
                let score = metric.evaluate(
                    predictions, targets: validation.targets, weights: validation.weights, delta: parameters.huberDelta)
                curve.append(score)
                if metric.higherIsBetter ? score > bestScore : score < bestScore {
                    (bestScore, bestAt) = (score, iteration + 1)
                    bestScored = lastScored
                } else if iteration + 1 - bestAt >= parameters.earlyStoppingRounds {
                    break
                }
            }
            if stopped { break }
        }
        if parameters.earlyStoppingRounds > 0, bestAt > 0 { bestIteration = bestAt }
    }

    /// Leaf values from the sums of the unrounded gradients and hessians of each leaf's rows (LightGBM's
    /// `quant_train_renew_leaf`, with `lambda_l1` and `lambda_l2` as it applies them).
    private func renewLeaves(of tree: inout RegressionTree, leafRows: [ArraySlice<Int32>], gradients: [Double], hessians: [Double]) {
        for (leaf, rows) in leafRows.enumerated() {
            var gradient = 0.0, hessian = 0.0
            for row in rows.lazy.map(Int.init) {
                gradient += gradients[row]
                hessian += hessians[row]
            }
            if let constant = learner.settings.constantHessian { hessian = constant * Double(rows.count) }
            tree.leafValue[leaf] = learner.settings.leafOutput(gradient, hessian)
        }
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
            learner.settings.parallel(blocks, score)
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

    /// `round(feature_fraction × count)` features per tree (at least one), from the stream (seed, tree, "feature"),
    /// where `tree` counts trees (iterations, for single-output objectives).
    private func sampleFeatures(_ usable: [Int], tree: Int) -> [Int] {
        guard parameters.featureFraction < 1, usable.count > 1 else { return usable }
        let take = max(1, Int((Double(usable.count) * parameters.featureFraction).rounded()))
        var rng = Xoshiro256(seed: parameters.seed, stream: StreamDerivation.code("feature"), UInt64(tree))
        var pool = usable
        for i in 0..<take { pool.swapAt(i, i + rng.nextIndex(below: pool.count - i)) }
        return Array(pool.prefix(take)).sorted()
    }
}
