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
    func transform(_ score: Double) -> Double { self == .poisson ? exp(score) : score }

    /// The metric used for early stopping: rmse, mae, huber or poisson (negative log-likelihood), lower is better.
    var metricName: String {
        switch self {
        case .regression: "rmse"
        case .regressionL1: "mae"
        case .huber: "huber"
        case .poisson: "poisson"
        }
    }

    func evaluate(scores: [Double], labels: [Double], delta: Double) -> Double {
        let n = Double(max(1, labels.count))
        var total = 0.0
        for (score, label) in zip(scores, labels) {
            switch self {
            case .regression: total += (score - label) * (score - label)
            case .regressionL1: total += abs(score - label)
            case .huber:
                let diff = abs(score - label)
                total += diff <= delta ? 0.5 * diff * diff : delta * (diff - 0.5 * delta)
            case .poisson: total += exp(score) - label * score
            }
        }
        return self == .regression ? (total / n).squareRoot() : total / n
    }

    /// Validates labels for the objective.
    func checkLabels(_ labels: [Double]) throws(TrainerError) {
        if self == .poisson, let bad = labels.first(where: { $0 < 0 }) {
            throw .invalidParameter(name: "objective", message: "poisson needs non-negative targets, found \(bad)")
        }
    }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
