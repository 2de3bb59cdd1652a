public import Foundation
public import NumericKernels

/// A fitted gradient-boosted-tree model: per class k, `initialScores[k] + Σ trees of class k`, through the
/// objective's link (identity, exp, sigmoid or softmax).
public struct GBDTModel: FittedModel, Equatable {
    public static let kind = "gbdt"

    public let featureNames: [String]
    public let parameters: ResolvedParameters
    public let objective: GBDTObjective
    /// One starting score per class (one for single-output objectives).
    public let initialScores: [Double]
    /// Classifiers: the label value of each class (binary: negative, positive); nil for regression.
    public let classes: [Double]?
    /// Iteration by iteration, one tree per class each (tree t belongs to class t mod `initialScores.count`).
    public let trees: [RegressionTree]
    /// Per-feature bins learned on the training data (kept for LightGBM's `feature_infos`).
    public let binMappers: [BinMapper]
    /// The iteration with the best validation score when early stopping ran (trees beyond it were dropped).
    public let bestIteration: Int?
    /// Validation metric per iteration, when early stopping ran on validation data.
    public let validationCurve: [Double]
    /// The trees packed for prediction, built once (a served model predicts small batches many times).
    private let forest: FlatForest
    /// The predictions on the training rows, from the scores boosting kept (not stored; nil once decoded).
    public let trainingPredictions: Predictions?
    /// The predictions on the validation rows of the fit, from the scores early stopping kept (not stored; nil once
    /// decoded).
    public let validationPredictions: Predictions?

    public init(
        featureNames: [String], parameters: ResolvedParameters, objective: GBDTObjective, initialScores: [Double],
        classes: [Double]?, trees: [RegressionTree], binMappers: [BinMapper], bestIteration: Int?, validationCurve: [Double],
        trainingPredictions: Predictions? = nil, validationPredictions: Predictions? = nil
    ) {
        self.featureNames = featureNames
        self.parameters = parameters
        self.objective = objective
        self.initialScores = initialScores
        self.classes = classes
        self.trees = trees
        self.binMappers = binMappers
        self.bestIteration = bestIteration
        self.validationCurve = validationCurve
        self.trainingPredictions = trainingPredictions
        self.validationPredictions = validationPredictions
        forest = FlatForest(trees, outputs: initialScores.count)
    }

    /// Equal models: the same fitted values (the packed forest follows from the trees; training predictions are a
    /// by-product of fitting).
    public static func == (lhs: GBDTModel, rhs: GBDTModel) -> Bool {
        lhs.featureNames == rhs.featureNames && lhs.parameters == rhs.parameters && lhs.objective == rhs.objective
            && lhs.initialScores == rhs.initialScores && lhs.classes == rhs.classes && lhs.trees == rhs.trees
            && lhs.binMappers == rhs.binMappers && lhs.bestIteration == rhs.bestIteration
            && lhs.validationCurve == rhs.validationCurve
    }

    /// Raw scores (before the link), one array per class. Rows go in blocks, each copied row-major first (a tree walk
    /// then reads one row's features from one place), each row walked through every tree in order over the packed
    /// forest; large inputs use every core (each row's sum is the same on any number of threads).
    public func rawScores(_ features: Matrix) -> [[Double]] {
        precondition(features.columns == featureNames.count, "feature count does not match the model")
        let n = features.rows, width = features.columns, perIteration = initialScores.count
        let blockRows = 256, blocks = (n + blockRows - 1) / blockRows
        var flat = [Double](repeating: 0, count: perIteration * n)
        let forest = self.forest, initialScores = self.initialScores
        features.storage.withUnsafeBufferPointer { storage in
            flat.withUnsafeMutableBufferPointer { output in
                let buffers = UnsafeSendable((storage, output))
                forEachBlock(of: blocks, threads: ProcessInfo.processInfo.activeProcessorCount, minimumPerBlock: 64) { range in
                    let (storage, output) = buffers.value
                    var rowMajor = [Double](repeating: 0, count: blockRows * width)
                    for block in range {
                        let rows = (block * blockRows)..<min(n, (block + 1) * blockRows)
                        for (r, row) in rows.enumerated() {
                            for feature in 0..<width { rowMajor[r * width + feature] = storage[row + feature * n] }
                        }
                        rowMajor.withUnsafeBufferPointer { values in
                            for (r, row) in rows.enumerated() {
                                for k in 0..<perIteration { output[k * n + row] = initialScores[k] }
                                forest.accumulate(row: values.baseAddress! + r * width, into: output.baseAddress! + row, stride: n)
                            }
                        }
                    }
                }
            }
        }
        return (0..<perIteration).map { Array(flat[($0 * n)..<(($0 + 1) * n)]) }
    }

    public func predictions(_ features: Matrix) -> Predictions {
        objective.predictions(raw: rawScores(features), classes: classes)
    }

    public func predict(_ features: Matrix) -> [Double] { predictions(features).values }

    /// `model.txt` in LightGBM's text format, and the same bytes as `model.bst`, the name KServe's LightGBM
    /// server loads from a model directory.
    public var interoperableFiles: [String: Data] {
        let text = Data(lightGBMText.utf8)
        return ["model.txt": text, "model.bst": text]
    }

    public var iterationsKept: Int? { bestIteration ?? trees.count / max(1, initialScores.count) }

    /// "best iteration 57 of 87 run (validation rmse 131.2)" when early stopping ran, else nil.
    public var earlyStoppingSummary: String? {
        guard let bestIteration, bestIteration >= 1, bestIteration <= validationCurve.count else { return nil }
        let metric = GBDTParameters(parameters).metric.rawValue
        return "best iteration \(bestIteration) of \(validationCurve.count) run (validation \(metric) \(validationCurve[bestIteration - 1]))"
    }

    /// Refit with the number of trees early stopping chose, and no early stopping (no validation data then).
    public var refitOverrides: [(name: String, value: String)] {
        guard let bestIteration else { return [] }
        return [("num_iterations", String(bestIteration)), ("early_stopping_rounds", "0")]
    }

    /// A class label as text: whole numbers without a fraction.
    static func labelText(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    private enum CodingKeys: String, CodingKey {
        case featureNames, parameters, objective, initialScores, classes, trees, binMappers, bestIteration, validationCurve
        /// tunekit 0.1 stored the single starting score under this name.
        case initialScore
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        featureNames = try container.decode([String].self, forKey: .featureNames)
        parameters = try container.decode(ResolvedParameters.self, forKey: .parameters)
        objective = try container.decode(GBDTObjective.self, forKey: .objective)
        initialScores = try container.decodeIfPresent([Double].self, forKey: .initialScores)
            ?? [container.decode(Double.self, forKey: .initialScore)]
        classes = try container.decodeIfPresent([Double].self, forKey: .classes)
        trees = try container.decode([RegressionTree].self, forKey: .trees)
        binMappers = try container.decode([BinMapper].self, forKey: .binMappers)
        bestIteration = try container.decodeIfPresent(Int.self, forKey: .bestIteration)
        validationCurve = try container.decode([Double].self, forKey: .validationCurve)
        trainingPredictions = nil
        validationPredictions = nil
        let perIteration = objective == .multiclass ? (classes?.count ?? 0) : 1
        let featureCount = featureNames.count
        guard binMappers.count == featureCount, trees.allSatisfy({ $0.splitFeature.allSatisfy { $0 < featureCount } }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.trees], debugDescription: "trees split features the model does not have"))
        }
        guard initialScores.count == perIteration, perIteration >= 1, objective.isClassifier == (classes != nil) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.initialScores], debugDescription: "classes and starting scores do not match the objective"))
        }
        forest = FlatForest(trees, outputs: initialScores.count)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(featureNames, forKey: .featureNames)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(objective, forKey: .objective)
        try container.encode(initialScores, forKey: .initialScores)
        try container.encodeIfPresent(classes, forKey: .classes)
        try container.encode(trees, forKey: .trees)
        try container.encode(binMappers, forKey: .binMappers)
        try container.encodeIfPresent(bestIteration, forKey: .bestIteration)
        try container.encode(validationCurve, forKey: .validationCurve)
    }
}

extension GBDTModel {
    /// LightGBM's two feature importances: how many splits use each feature, and the total gain of those splits.
    public var featureImportances: [(feature: String, splits: Int, gain: Double)] {
        var splits = [Int](repeating: 0, count: featureNames.count), gains = [Double](repeating: 0, count: featureNames.count)
        for tree in trees {
            for (node, feature) in tree.splitFeature.enumerated() {
                splits[feature] += 1
                gains[feature] += tree.splitGain[node]
            }
        }
        return featureNames.indices.map { (featureNames[$0], splits[$0], gains[$0]) }
    }
}
