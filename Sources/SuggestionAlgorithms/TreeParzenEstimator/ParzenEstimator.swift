import Foundation
import NumericKernels

/// A one-dimensional Parzen estimator on [low, high]: a weighted mixture of normals truncated to the interval, one per
/// observation plus a wide prior component (Bergstra et al. 2011; bandwidths as in Optuna's `_ParzenEstimator`).
struct ParzenEstimator {
    let low: Double
    let high: Double
    let means: [Double]
    let sigmas: [Double]
    let weights: [Double]

    /// Builds the mixture from observations (already in the internal, possibly log-transformed space).
    init(observations: [Double], low: Double, high: Double, priorWeight: Double) {
        self.low = low
        self.high = high
        let range = max(high - low, 1e-12)
        let prior = (mean: low + range / 2, sigma: range)
        var points = observations.sorted()
        var sigmas: [Double] = []
        let minimum = range / min(100, 1 + Double(points.count))
        for (index, point) in points.enumerated() {
            let left = index > 0 ? point - points[index - 1] : point - low
            let right = index + 1 < points.count ? points[index + 1] - point : high - point
            sigmas.append(min(range, max(minimum, max(left, right))))
        }
        points.append(prior.mean)
        sigmas.append(prior.sigma)
        var weights = Array(repeating: 1.0, count: observations.count) + [priorWeight]
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        means = points
        self.sigmas = sigmas
        self.weights = weights
    }

    /// A draw from the mixture (component by weight, then a truncated normal by rejection, clamped after 100 tries).
    func sample(using rng: inout Xoshiro256) -> Double {
        var u = rng.nextUnit(), component = weights.count - 1
        for (index, weight) in weights.enumerated() {
            if u < weight { component = index; break }
            u -= weight
        }
        for _ in 0..<100 {
            let x = means[component] + sigmas[component] * rng.nextStandardNormal()
            if x >= low, x <= high { return x }
        }
        return min(high, max(low, means[component]))
    }

    /// log density at `x`; with `cell` (discrete values), the log probability of [x − cell/2, x + cell/2].
    func logDensity(_ x: Double, cell: Double? = nil) -> Double {
        var total = 0.0
        for index in means.indices {
            let mean = means[index], sigma = sigmas[index]
            let mass = normalCDF((high - mean) / sigma) - normalCDF((low - mean) / sigma)
            guard mass > 0 else { continue }
            let value: Double
            if let cell {
                let a = max(low, x - cell / 2), b = min(high, x + cell / 2)
                value = max(0, normalCDF((b - mean) / sigma) - normalCDF((a - mean) / sigma))
            } else {
                let z = (x - mean) / sigma
                value = exp(-0.5 * z * z) / (sigma * (2 * Double.pi).squareRoot())
            }
            total += weights[index] * value / mass
        }
        return log(max(total, 1e-300))
    }
}

/// Φ(z), the standard normal CDF.
func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }
