import Foundation

/// Regression scores of predictions against targets.
public struct RegressionMetrics: Sendable, Codable, Equatable {
    public let rmse: Double
    public let mae: Double
    /// 1 − SS_res / SS_tot, with SS_tot around the mean of the targets scored.
    public let r2: Double
    /// Mean of |y − ŷ| / max(1, |y|) (LightGBM's definition: finite when a count is 0).
    public let mape: Double

    public init(predictions: [Double], targets: [Double]) {
        precondition(predictions.count == targets.count && !targets.isEmpty, "need one prediction per target")
        let n = Double(targets.count)
        let mean = targets.reduce(0, +) / n
        var squared = 0.0, absolute = 0.0, total = 0.0, relative = 0.0
        for (p, y) in zip(predictions, targets) {
            let error = y - p
            squared += error * error
            absolute += abs(error)
            total += (y - mean) * (y - mean)
            relative += abs(error) / max(1, abs(y))
        }
        rmse = (squared / n).squareRoot()
        mae = absolute / n
        r2 = total > 0 ? 1 - squared / total : (squared == 0 ? 1 : 0)
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
