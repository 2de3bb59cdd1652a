import Foundation

/// Regression scores of predictions against targets, each row counted by its sample weight when there are weights
/// (scikit-learn's `sample_weight`: weighted means, and R² around the weighted mean).
public struct RegressionMetrics: Sendable, Codable, Equatable {
    public let rmse: Double
    public let mae: Double
    /// 1 − SS_res / SS_tot, with SS_tot around the mean of the targets scored.
    public let r2: Double
    /// Mean of |y − ŷ| / max(1, |y|) (LightGBM's definition: finite when a count is 0).
    public let mape: Double

    public init(predictions: [Double], targets: [Double], weights: [Double]? = nil) {
        precondition(predictions.count == targets.count && !targets.isEmpty, "need one prediction per target")
        precondition(weights.map { $0.count == targets.count } ?? true, "need one weight per target")
        let weight = { (i: Int) in weights?[i] ?? 1 }
        let n = weights.map { $0.reduce(0, +) } ?? Double(targets.count)
        let mean = targets.indices.reduce(0) { $0 + weight($1) * targets[$1] } / n
        var squared = 0.0, absolute = 0.0, total = 0.0, relative = 0.0
        for i in targets.indices {
            let y = targets[i], w = weight(i)
            let error = y - predictions[i]
            squared += w * error * error
            absolute += w * abs(error)
            total += w * (y - mean) * (y - mean)
            relative += w * abs(error) / max(1, abs(y))
        }
        rmse = (squared / n).squareRoot()
        mae = absolute / n
        // Rows of total weight 0 have no metric (not a perfect one).
        r2 = n > 0 ? (total > 0 ? 1 - squared / total : (squared == 0 ? 1 : 0)) : .nan
        mape = relative / n
    }

    /// Metrics by Katib metric name.
    public var named: [(name: String, value: Double)] {
        [("rmse", rmse), ("mae", mae), ("r2", r2), ("mape", mape)]
    }

    /// The names `named` reports, in order.
    public static let names = ["rmse", "mae", "r2", "mape"]
}

extension RegressionMetrics {
    var modelMetrics: ModelMetrics { ModelMetrics(named) }
}
