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
            let k = sampleGridIndex(
                lower: Double(range.lower), upper: Double(range.upper), step: Double(range.step),
                count: range.gridCount, distribution: range.distribution, rng: &rng)
            return .int(range.lower + k * range.step)
        case .double(let range):
            if let step = range.step, let count = range.gridCount {
                let k = sampleGridIndex(
                    lower: range.lower, upper: range.upper, step: step, count: count,
                    distribution: range.distribution, rng: &rng)
                return .double(range.gridValue(k))
            }
            return .double(sampleContinuous(range.lower, range.upper, range.distribution, rng: &rng))
        }
    }
}

/// A grid index: uniform over the grid points for `uniform`, else a continuous draw over the points' cells, rounded.
private func sampleGridIndex(
    lower: Double, upper: Double, step: Double, count: Int, distribution: Distribution, rng: inout Xoshiro256
) -> Int {
    if distribution == .uniform { return rng.nextIndex(below: count) }
    var cellLower = lower - step / 2
    if distribution.isLogarithmic { cellLower = max(cellLower, lower / 2) }
    let x = sampleContinuous(cellLower, upper + step / 2, distribution, rng: &rng)
    return gridIndex((x - lower) / step, count: count)
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
