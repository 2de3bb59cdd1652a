import ExperimentModel
import Foundation

/// The values of one finite parameter as grid indices `0..<count`, computed on demand: a grid over `0..2e9` costs no
/// more memory than one over `0..9`. The one place where values and grid indices are converted.
struct GridAxis {
    let domain: ParameterDomain
    let count: Int

    /// The k-th value, `0 ≤ k < count`.
    func value(at k: Int) -> ParameterValue {
        switch domain {
        case .discrete, .categorical: .choice(k)
        case .int(let range): .int(range.lower + k * range.step)
        case .double(let range): .double(range.gridValue(k))
        }
    }

    /// The index of a value of this parameter (the grid point nearest to it, for numbers read from a history).
    func index(of value: ParameterValue) -> Int {
        switch value {
        case .choice(let k): min(count - 1, max(0, k))
        case .int(let v): index(nearestNumber: Double(v))
        case .double(let v): index(nearestNumber: v)
        }
    }

    /// The grid index whose value is nearest to the number `v` (on the linear scale), clamped to the grid.
    func index(nearestNumber v: Double) -> Int {
        switch domain {
        case .int(let range): gridIndex((v - Double(range.lower)) / Double(range.step), count: count)
        case .double(let range): gridIndex((v - range.lower) / (range.step ?? 1), count: count)
        case .discrete, .categorical: gridIndex(v, count: count)
        }
    }

    /// True when the models work on log(value) (a logarithmic INT or stepped DOUBLE).
    var isLogarithmic: Bool {
        switch domain {
        case .int(let range): range.distribution.isLogarithmic
        case .double(let range): range.distribution.isLogarithmic
        case .discrete, .categorical: false
        }
    }

    /// Where index k sits on the axis the models work on: log(value) for a logarithmic distribution, else k.
    func position(_ k: Int) -> Double {
        guard isLogarithmic else { return Double(k) }
        return switch value(at: k) {
        case .int(let v): log(Double(v))
        case .double(let v): log(v)
        case .choice: Double(k)
        }
    }

    /// The index whose position is nearest to `x` (positions increase with k), by binary search; NaN lands on 0.
    func nearestIndex(to x: Double) -> Int {
        guard isLogarithmic else { return gridIndex(x, count: count) }
        var lower = 0, upper = count - 1
        while upper - lower > 1 {
            let middle = lower + (upper - lower) / 2
            if position(middle) <= x { lower = middle } else { upper = middle }
        }
        return abs(position(upper) - x) < abs(position(lower) - x) ? upper : lower
    }
}

extension GridAxis {
    /// Nil for a continuous double (no step).
    init?(_ parameter: SearchParameter) {
        guard let count = parameter.domain.finiteCount else { return nil }
        self.init(domain: parameter.domain, count: count)
    }
}

/// The grid index nearest to the fractional position `t`, clamped to `0..<count`; NaN and infinities (ranges near the
/// largest doubles overflow) land on an end instead of trapping.
func gridIndex(_ t: Double, count: Int) -> Int {
    guard count > 1, !t.isNaN else { return 0 }
    return Int(min(Double(count - 1), max(0, t.rounded())))
}
