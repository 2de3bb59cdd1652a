public import Foundation
public import NumericKernels

/// A fitted gradient-boosted-tree model: `transform(initialScore + Σ trees)`.
public struct GBDTModel: FittedModel, Equatable {
    public static let kind = "gbdt"

    public let featureNames: [String]
    public let parameters: ResolvedParameters
    public let objective: GBDTObjective
    public let initialScore: Double
    public let trees: [RegressionTree]
    /// Per-feature bins learned on the training data (kept for LightGBM's `feature_infos`).
    public let binMappers: [BinMapper]
    /// The iteration with the best validation score when early stopping ran (trees beyond it were dropped).
    public let bestIteration: Int?
    /// Validation metric per iteration, when early stopping ran on validation data.
    public let validationCurve: [Double]

    public func predict(_ features: Matrix) -> [Double] {
        precondition(features.columns == featureNames.count, "feature count does not match the model")
        let n = features.rows
        var scores = [Double](repeating: initialScore, count: n)
        features.storage.withUnsafeBufferPointer { storage in
            for tree in trees {
                for row in 0..<n {
                    scores[row] += tree.leafValue[tree.leaf { storage[row + $0 * n] }]
                }
            }
        }
        return scores.map(objective.transform)
    }

    /// `model.txt` in LightGBM's text format, and the same bytes as `model.bst`, the name KServe's LightGBM
    /// server loads from a model directory.
    public var interoperableFiles: [String: Data] {
        let text = Data(lightGBMText.utf8)
        return ["model.txt": text, "model.bst": text]
    }

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
}
