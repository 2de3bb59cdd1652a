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

    /// The interval of the model axis that index k stands for, its cell: [k − ½, k + ½] on a linear grid; on a log
    /// grid the logarithms of the value ± half a step (the first cell's lower edge at most halving the first value).
    /// Every value of a log range gets its own cell, as in Optuna's TPE and in the random draws
    /// (`SearchParameter.sample`, whose range ends at `max` + half a step: the same cells when `max` is on the grid):
    /// the end values are as likely as their neighbours under a uniform prior, not half as likely.
    func cell(_ k: Int) -> (lower: Double, upper: Double) {
        guard isLogarithmic, let (v, halfStep) = valueAndHalfStep(k) else { return (Double(k) - 0.5, Double(k) + 0.5) }
        let lower = k == 0 ? max(v - halfStep, v / 2) : v - halfStep
        return (log(lower), log(v + halfStep))
    }

    /// The k-th value as a number and half the grid's step (nil for a list).
    private func valueAndHalfStep(_ k: Int) -> (Double, Double)? {
        switch (domain, value(at: k)) {
        case (.int(let range), .int(let value)): (Double(value), Double(range.step) / 2)
        case (.double(let range), .double(let value)): (value, (range.step ?? 0) / 2)
        default: nil
        }
    }

    /// The index whose cell holds `x` (the values' linear midpoints are the edges), by binary search over the cells'
    /// lower edges: exact where `exp` would round, on ranges past 10¹⁴; NaN lands on 0, ±∞ on an end.
    func nearestIndex(to x: Double) -> Int {
        guard isLogarithmic else { return gridIndex(x, count: count) }
        guard !x.isNaN else { return 0 }
        var lower = 0, upper = count - 1
        while lower < upper {
            let middle = lower + (upper - lower + 1) / 2
            if cell(middle).lower <= x { lower = middle } else { upper = middle - 1 }
        }
        return lower
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
