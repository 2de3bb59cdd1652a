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
    /// Probability mass of each component inside [low, high] (its truncation constant), computed once.
    let masses: [Double]
    /// log(σ √(2π) · mass) of each component: the normaliser of its truncated density.
    let logNormalisers: [Double]
    /// log(weight) − log normaliser of each component (−∞ for a component with no mass inside the bounds).
    let logScaledWeights: [Double]

    /// Builds the mixture from observations (already in the internal, possibly log-transformed space); component i is
    /// observation i, the last component is the prior.
    init(observations: [Double], low: Double, high: Double, priorWeight: Double) {
        self.low = low
        self.high = high
        let range = max(high - low, 1e-12)
        // Clip bandwidths to [range / min(100, components + 1), range]; the prior is one of the components.
        let minimum = range / min(100, 2 + Double(observations.count))
        // Bandwidth of each observation: the larger gap to its sorted neighbours; the outermost observations use the
        // gap to their single neighbour (not to the bound), which keeps edge kernels as sharp as inner ones.
        let order = observations.indices.sorted { (observations[$0], $0) < (observations[$1], $1) }
        var sigmas = [Double](repeating: range, count: observations.count)
        for (rank, index) in order.enumerated() {
            let point = observations[index]
            let left = rank > 0 ? point - observations[order[rank - 1]] : nil
            let right = rank + 1 < order.count ? observations[order[rank + 1]] - point : nil
            let gap = switch (left, right) {
            case let (l?, r?): max(l, r)
            case let (l?, nil): l
            case let (nil, r?): r
            case (nil, nil): max(point - low, high - point)
            }
            sigmas[index] = min(range, max(minimum, gap))
        }
        means = observations + [low + range / 2]
        self.sigmas = sigmas + [range]
        let weights = Array(repeating: 1.0, count: observations.count) + [priorWeight]
        let total = weights.reduce(0, +)
        self.weights = weights.map { $0 / total }
        masses = zip(means, self.sigmas).map { mean, sigma in
            let upper = (high - mean) / sigma, lower = (low - mean) / sigma
            // Both bounds beyond 8.5σ: the mass differs from 1 by less than 1e-17.
            return upper > 8.5 && lower < -8.5 ? 1 : normalProbability(from: lower, to: upper)
        }
        logNormalisers = zip(self.sigmas, masses).map { sigma, mass in log(sigma * (2 * Double.pi).squareRoot() * mass) }
        logScaledWeights = zip(self.weights, zip(masses, logNormalisers)).map { weight, pair in
            pair.0 > 0 ? log(weight) - pair.1 : -.infinity
        }
    }

    /// A draw from component `index` (a normal truncated to [low, high], by rejection; clamped after 100 tries).
    func sample(component index: Int, using rng: inout Xoshiro256) -> Double {
        for _ in 0..<100 {
            let x = means[index] + sigmas[index] * rng.nextStandardNormal()
            if x >= low, x <= high { return x }
        }
        return min(high, max(low, means[index]))
    }

    /// Adds each component's log density at `x` (with `cell`, the log probability of that interval, the cell of the
    /// grid value `x`) to `totals[component]`: the inner loop of a joint density, one pass over the components.
    func addLogComponentDensities(_ x: Double, cell: (lower: Double, upper: Double)? = nil, into totals: inout [Double]) {
        let cell = cell.flatMap(clipped)
        means.withUnsafeBufferPointer { means in
            sigmas.withUnsafeBufferPointer { sigmas in
                masses.withUnsafeBufferPointer { masses in
                    logNormalisers.withUnsafeBufferPointer { normalisers in
                        totals.withUnsafeMutableBufferPointer { totals in
                            for index in 0..<means.count {
                                guard masses[index] > 0 else { totals[index] = -.infinity; continue }
                                if let cell {
                                    let probability = normalProbability(
                                        from: (cell.lower - means[index]) / sigmas[index],
                                        to: (cell.upper - means[index]) / sigmas[index])
                                    totals[index] += log(probability / masses[index] + 1e-300)
                                } else {
                                    let z = (x - means[index]) / sigmas[index]
                                    totals[index] += -0.5 * z * z - normalisers[index]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// A draw from the mixture: a component by weight, then that component.
    func sample(using rng: inout Xoshiro256) -> Double {
        sample(component: pickComponent(weights, using: &rng), using: &rng)
    }

    /// log density at `x`; with `cell` (a discrete value's), the log probability of that interval.
    func logDensity(_ x: Double, cell: (lower: Double, upper: Double)? = nil) -> Double {
        guard let (a, b) = cell.flatMap(clipped) else { return logDensity(at: x) }
        // A component whose whole cell lies more than 8.5σ to one side gives less than 1e-17: skipped, unless every
        // component is that far (then all are summed).
        var total = cellProbability(a, b, skipFar: true)
        if total == 0 { total = cellProbability(a, b, skipFar: false) }
        return log(max(total, 1e-300))
    }

    /// A cell cut to [low, high]; nil when nothing of it is left — a cell that rounds to no width (a log grid past
    /// 10¹⁴) — which is then scored by the density at its point.
    private func clipped(_ cell: (lower: Double, upper: Double)) -> (lower: Double, upper: Double)? {
        let a = max(low, cell.lower), b = min(high, cell.upper)
        return a < b ? (a, b) : nil
    }

    private func cellProbability(_ a: Double, _ b: Double, skipFar: Bool) -> Double {
        var total = 0.0
        for index in means.indices {
            let mean = means[index], sigma = sigmas[index]
            let mass = masses[index]
            guard mass > 0 else { continue }
            let upper = (b - mean) / sigma, lower = (a - mean) / sigma
            if skipFar, upper < -8.5 || lower > 8.5 { continue }
            total += weights[index] * normalProbability(from: lower, to: upper) / mass
        }
        return total
    }

    /// log Σᵢ wᵢ φ((x − μᵢ)/σᵢ)/(σᵢ massᵢ) by log-sum-exp: each term's exponent first, then exponentials only for the
    /// terms within e⁻⁴⁰ of the largest (the others change the sum by less than 1e-17 of it) — most components of g
    /// lie far from a candidate drawn near the good points.
    private func logDensity(at x: Double) -> Double {
        let count = means.count
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { exponents in
            var top = -Double.infinity
            means.withUnsafeBufferPointer { means in
                sigmas.withUnsafeBufferPointer { sigmas in
                    logScaledWeights.withUnsafeBufferPointer { logWeights in
                        for index in 0..<count {
                            let z = (x - means[index]) / sigmas[index]
                            let exponent = logWeights[index] - 0.5 * z * z
                            exponents[index] = exponent
                            top = max(top, exponent)
                        }
                    }
                }
            }
            guard top.isFinite else { return log(1e-300) }
            var sum = 0.0
            for index in 0..<count where exponents[index] > top - 40 { sum += exp(exponents[index] - top) }
            return max(top + log(sum), log(1e-300))
        }
    }
}

/// An index drawn with probability proportional to `weights` (which sum to 1).
func pickComponent(_ weights: [Double], using rng: inout Xoshiro256) -> Int {
    var u = rng.nextUnit()
    for (index, weight) in weights.enumerated() {
        if u < weight { return index }
        u -= weight
    }
    return weights.count - 1
}

/// Φ(z), the standard normal CDF.
func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

/// Φ(upper) − Φ(lower) ≥ 0 without cancellation: in the upper tail as Φ(−lower) − Φ(−upper), and for an interval
/// narrower than 10⁻⁶ (a cell of a wide log grid) as φ(midpoint) × width, off by a relative width²(z² + 1)/24.
func normalProbability(from lower: Double, to upper: Double) -> Double {
    let width = upper - lower
    if width < 1e-6 {
        let middle = lower + width / 2
        return max(0, width) * exp(-0.5 * middle * middle) / (2 * Double.pi).squareRoot()
    }
    return max(0, lower > 0 ? normalCDF(-lower) - normalCDF(-upper) : normalCDF(upper) - normalCDF(lower))
}
