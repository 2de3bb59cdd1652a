import ExperimentModel
import Foundation
import NumericKernels

/// Draws one value of a parameter from its declared distribution, always inside the domain and on its step grid.
extension SearchParameter {
    func sample(using rng: inout Xoshiro256) -> ParameterValue {
        switch domain {
        case .discrete(let list), .categorical(let list):
            return .choice(rng.nextIndex(below: list.count))
        case .int(let range):
            return sampleOnGrid(
                lower: Double(range.lower), upper: Double(range.upper), step: Double(range.step),
                distribution: range.distribution, rng: &rng)
        case .double(let range):
            if let step = range.step {
                return sampleOnGrid(
                    lower: range.lower, upper: range.upper, step: step, distribution: range.distribution, rng: &rng)
            }
            return .double(sampleContinuous(range.lower, range.upper, range.distribution, rng: &rng))
        }
    }

    /// A grid value: uniform over the grid points for `uniform`, else a continuous draw over the points' cells,
    /// rounded to the nearest point.
    private func sampleOnGrid(
        lower: Double, upper: Double, step: Double, distribution: Distribution, rng: inout Xoshiro256
    ) -> ParameterValue {
        let axis = GridAxis(self)!
        if distribution == .uniform { return axis.value(at: rng.nextIndex(below: axis.count)) }
        var cellLower = lower - step / 2
        if distribution.isLogarithmic { cellLower = max(cellLower, lower / 2) }
        let x = sampleContinuous(cellLower, upper + step / 2, distribution, rng: &rng)
        return axis.value(at: axis.index(nearestNumber: x))
    }
}

/// A draw on [lower, upper]: uniform, log-uniform, or normal / log-normal (μ = midpoint, σ = range/6) truncated by resampling.
private func sampleContinuous(_ lower: Double, _ upper: Double, _ distribution: Distribution, rng: inout Xoshiro256) -> Double {
    guard upper > lower else { return lower }
    let (a, b) = distribution.isLogarithmic ? (log(lower), log(upper)) : (lower, upper)
    var t: Double
    switch distribution {
    case .uniform, .logUniform:
        t = a + rng.nextUnit() * (b - a)
    case .normal, .logNormal:
        let mean = a / 2 + b / 2, sigma = b / 6 - a / 6  // halves first: a + b may overflow
        t = mean
        for _ in 0..<100 {
            let draw = mean + sigma * rng.nextStandardNormal()
            if draw >= a, draw <= b { t = draw; break }
        }
    }
    let value = distribution.isLogarithmic ? exp(t) : t
    return min(upper, max(lower, value))
}
