import Foundation

/// Gradients, hessians, starting score and evaluation of each objective (LightGBM's regression_objective.hpp).
extension GBDTObjective {
    /// The constant score the first tree starts from (LightGBM's `boost_from_average`).
    func initialScore(_ labels: [Double]) -> Double {
        switch self {
        case .regression, .huber:
            return labels.reduce(0, +) / Double(max(1, labels.count))
        case .regressionL1:
            return median(labels)
        case .poisson:
            return log(max(1e-10, labels.reduce(0, +) / Double(max(1, labels.count))))
        }
    }

    /// Every hessian equals this constant (so histograms need not sum them), or nil.
    var constantHessian: Double? { self == .poisson ? nil : 1 }

    /// Fills gradients and hessians of the loss at `scores` (raw, before any link function), for `rows` or all rows.
    func gradients(
        scores: [Double], labels: [Double], rows: [Int32]?, parameters: GBDTParameters,
        gradients: inout [Double], hessians: inout [Double]
    ) {
        let delta = parameters.huberDelta
        let maxDelta = exp(parameters.poissonMaxDeltaStep)
        let objective = self
        scores.withUnsafeBufferPointer { score in
            labels.withUnsafeBufferPointer { label in
                gradients.withUnsafeMutableBufferPointer { gradient in
                    hessians.withUnsafeMutableBufferPointer { hessian in
                        func fill(_ i: Int) {
                            let diff = score[i] - label[i]
                            switch objective {
                            case .regression:
                                gradient[i] = diff
                            case .regressionL1:
                                gradient[i] = diff > 0 ? 1 : (diff < 0 ? -1 : 0)
                            case .huber:
                                gradient[i] = abs(diff) <= delta ? diff : (diff > 0 ? delta : -delta)
                            case .poisson:
                                let e = exp(score[i])
                                gradient[i] = e - label[i]
                                hessian[i] = e * maxDelta
                            }
                        }
                        if let rows { for row in rows { fill(Int(row)) } } else { for i in 0..<label.count { fill(i) } }
                    }
                }
            }
        }
    }

    /// The prediction from a raw score (Poisson's log link).
    func transform(_ score: Double) -> Double { hasLink ? exp(score) : score }

    /// Whether predictions differ from raw scores (a link function).
    var hasLink: Bool { self == .poisson }

    /// The metric early stopping watches when `metric` is not given: the objective's own loss (rmse for L2, which
    /// has the same best iteration as LightGBM's default l2).
    var defaultMetric: GBDTMetric {
        switch self {
        case .regression: .rmse
        case .regressionL1: .l1
        case .huber: .huber
        case .poisson: .poisson
        }
    }

    /// Validates labels for the objective.
    func checkLabels(_ labels: [Double]) throws(TrainerError) {
        if self == .poisson, let bad = labels.first(where: { $0 < 0 }) {
            throw .invalidParameter(name: "objective", message: "poisson needs non-negative targets, found \(bad)")
        }
    }
}

/// A validation metric, by LightGBM's names; lower is better for each. Computed on the predictions
/// (`objective.transform` of the raw scores), as LightGBM's metrics are.
public enum GBDTMetric: String, Sendable {
    case l2, rmse, l1, huber, poisson, mape

    /// Accepted names, with LightGBM's aliases.
    static let names = ["l2", "mean_squared_error", "mse", "regression_l2", "regression", "rmse", "root_mean_squared_error",
                        "l2_root", "l1", "mean_absolute_error", "mae", "regression_l1", "huber", "poisson", "mape",
                        "mean_absolute_percentage_error"]

    /// LightGBM's metrics tunekit does not compute, with the reason.
    static let refused: [String: String] = {
        let classification = "a classification metric; tunekit's gbdt trains regression objectives only so far"
        let other = "not implemented; use l2, rmse, l1, huber, poisson or mape"
        var refused: [String: String] = [:]
        for name in ["binary_logloss", "binary", "binary_error", "auc", "average_precision", "auc_mu", "multi_logloss",
                     "multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr", "multi_error",
                     "cross_entropy", "xentropy", "cross_entropy_lambda", "xentlambda", "kullback_leibler", "kldiv"] {
            refused[name] = classification
        }
        for name in ["quantile", "fair", "gamma", "gamma_deviance", "tweedie", "ndcg", "lambdarank", "rank_xendcg",
                     "xendcg", "xe_ndcg", "xe_ndcg_mart", "xendcg_mart", "map", "mean_average_precision"] {
            refused[name] = other
        }
        return refused
    }()

    init?(name: String) {
        switch name {
        case "l2", "mean_squared_error", "mse", "regression_l2", "regression": self = .l2
        case "rmse", "root_mean_squared_error", "l2_root": self = .rmse
        case "l1", "mean_absolute_error", "mae", "regression_l1": self = .l1
        case "huber": self = .huber
        case "poisson": self = .poisson
        case "mape", "mean_absolute_percentage_error": self = .mape
        default: return nil
        }
    }

    /// The metric of raw `scores` against `labels`; `delta` is Huber's δ.
    func evaluate(scores: [Double], labels: [Double], objective: GBDTObjective, delta: Double) -> Double {
        let n = Double(max(1, labels.count))
        var total = 0.0
        for (score, label) in zip(scores, labels) {
            let prediction = objective.transform(score)
            let error = prediction - label
            switch self {
            case .l2, .rmse: total += error * error
            case .l1: total += abs(error)
            case .huber: total += abs(error) <= delta ? 0.5 * error * error : delta * (abs(error) - 0.5 * delta)
            // Negative log-likelihood up to a constant: ŷ − y·log ŷ (LightGBM clamps ŷ away from 0).
            case .poisson: total += prediction - label * log(max(prediction, 1e-10))
            case .mape: total += abs(error) / max(1, abs(label))
            }
        }
        return self == .rmse ? (total / n).squareRoot() : total / n
    }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
