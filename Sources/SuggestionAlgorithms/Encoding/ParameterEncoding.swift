import ExperimentModel
import Foundation

/// How the models see one parameter: every algorithm converts between Katib values and numbers here and nowhere else
/// (the role of Optuna's `_SearchSpaceTransform`).
///
/// Two views. The *model axis* gives one number per parameter: a continuous double's value (its logarithm for a log
/// distribution), a finite numeric parameter's grid position (`GridAxis.position`: the index, or log(value) for a log
/// distribution) and a list's index — what the Parzen estimators work on. The *unit cube* rescales numeric axes to
/// [0, 1] and gives a list one coordinate per entry (one-hot; a list longer than `oneHotLimit` gets one ordinal
/// coordinate instead, so a 10,000-entry list cannot blow up the cube) — what the Gaussian process and CMA-ES work on.
/// Decoding always lands on a feasible value: clamped to the bounds, snapped to the nearest grid point, a list entry
/// chosen by the largest one-hot coordinate.
struct EncodedParameter {
    enum Kind {
        /// A double without a step; `low`/`high` on the model axis.
        case continuous(low: Double, high: Double, isLogarithmic: Bool, range: DoubleRange)
        /// An integer or stepped double.
        case grid(GridAxis)
        /// A discrete or categorical list of `count` entries.
        case categorical(count: Int)
    }

    let kind: Kind

    /// The longest list encoded one-hot in the unit cube.
    static let oneHotLimit = 32

    init(_ parameter: SearchParameter) {
        switch parameter.domain {
        case .discrete(let list), .categorical(let list):
            kind = .categorical(count: list.count)
        case .int:
            kind = .grid(GridAxis(parameter)!)
        case .double(let range) where range.step != nil:
            kind = .grid(GridAxis(parameter)!)
        case .double(let range):
            let isLog = range.distribution.isLogarithmic
            kind = .continuous(
                low: isLog ? log(range.lower) : range.lower, high: isLog ? log(range.upper) : range.upper,
                isLogarithmic: isLog, range: range)
        }
    }

    // MARK: Model axis

    /// The value's coordinate on the model axis.
    func coordinate(_ value: ParameterValue) -> Double {
        switch (kind, value) {
        case (.continuous(_, _, let isLog, _), .double(let v)): isLog ? log(v) : v
        case (.grid(let axis), _): axis.position(axis.index(of: value))
        case (.categorical, .choice(let k)): Double(k)
        default: preconditionFailure("value \(value) does not match the parameter")
        }
    }

    /// The grid or list index of a value (0 for a continuous parameter).
    func index(_ value: ParameterValue) -> Int {
        switch (kind, value) {
        case (.grid(let axis), _): axis.index(of: value)
        case (.categorical(let count), .choice(let k)): min(count - 1, max(0, k))
        default: 0
        }
    }

    /// The feasible value at a model-axis coordinate: a continuous double clamped to its bounds, the grid value whose
    /// cell holds it (`GridAxis.cell`), the nearest list index.
    func value(atCoordinate c: Double) -> ParameterValue {
        switch kind {
        case .continuous(let low, let high, let isLog, let range):
            let clamped = c.isNaN ? low : min(high, max(low, c))
            return .double(min(range.upper, max(range.lower, isLog ? exp(clamped) : clamped)))
        case .grid(let axis):
            return axis.value(at: axis.nearestIndex(to: c))
        case .categorical(let count):
            return .choice(gridIndex(c, count: count))
        }
    }

    /// The model-axis interval the parameter covers: a grid from its first cell's lower edge to its last cell's upper
    /// edge (`GridAxis.cell`: each point stands for its cell), a list its indices.
    var bounds: (low: Double, high: Double) {
        switch kind {
        case .continuous(let low, let high, _, _): return (low, high)
        case .grid(let axis): return (axis.cell(0).lower, axis.cell(axis.count - 1).upper)
        case .categorical(let count): return (0, Double(count - 1))
        }
    }

    /// The model-axis cell of the grid value nearest to `x`, over which densities are scored (nil when continuous or a
    /// list): a discrete value's probability is its cell's mass, as in Optuna's discrete distributions.
    func scoringCell(at x: Double) -> (lower: Double, upper: Double)? {
        guard case .grid(let axis) = kind else { return nil }
        return axis.cell(axis.nearestIndex(to: x))
    }

    /// A linear grid's span in parameter units (last value − first value).
    func valueSpan(_ axis: GridAxis) -> Double {
        switch (axis.value(at: 0), axis.value(at: axis.count - 1)) {
        case (.int(let first), .int(let last)): Double(last) - Double(first)
        case (.double(let first), .double(let last)): last - first
        default: Double(axis.count - 1)
        }
    }

    /// True for a discrete or categorical list.
    var isList: Bool { listCount > 0 }

    // MARK: Unit cube

    /// A grid cell's width in cube units (nil when continuous or a list).
    var cubeCell: Double? {
        guard case .grid(let axis) = kind else { return nil }
        return axis.count > 1 ? 1 / Double(axis.count - 1) : 1
    }

    /// Coordinates this parameter takes in the unit cube: one per list entry (up to `oneHotLimit`), else one.
    var cubeWidth: Int { isOneHot ? listCount : 1 }

    /// True for a list short enough to be one-hot in the cube.
    var isOneHot: Bool { listCount > 0 && listCount <= Self.oneHotLimit }

    /// A list's number of entries (0 for numbers).
    var listCount: Int {
        if case .categorical(let count) = kind { return count }
        return 0
    }

    /// Writes the value's cube coordinates at `offset`.
    func writeCube(_ value: ParameterValue, into x: inout [Double], at offset: Int) {
        switch kind {
        case .categorical(let count) where !isOneHot:
            x[offset] = Double(index(value)) / Double(count - 1)
        case .categorical(let count):
            for k in 0..<count { x[offset + k] = 0 }
            x[offset + index(value)] = 1
        case .continuous(let low, let high, _, _):
            x[offset] = high > low ? (coordinate(value) - low) / (high - low) : 0.5
        case .grid(let axis):
            let first = axis.position(0), last = axis.position(axis.count - 1)
            x[offset] = last > first ? (coordinate(value) - first) / (last - first) : 0.5
        }
    }

    /// The feasible value nearest to the cube coordinates at `offset`.
    func value(fromCube x: [Double], at offset: Int) -> ParameterValue {
        switch kind {
        case .categorical(let count) where !isOneHot:
            return .choice(gridIndex(x[offset] * Double(count - 1), count: count))
        case .categorical(let count):
            var best = 0
            for k in 1..<max(1, count) where x[offset + k] > x[offset + best] { best = k }
            return .choice(best)
        case .continuous(let low, let high, _, _):
            return value(atCoordinate: low + x[offset] * (high - low))
        case .grid(let axis):
            let first = axis.position(0), last = axis.position(axis.count - 1)
            return value(atCoordinate: first + x[offset] * (last - first))
        }
    }
}

extension EncodedParameter {
    /// The value a uniform number u ∈ [0, 1) stands for: equal sub-intervals for every linear grid value and list
    /// entry; on the model axis (log scale for log distributions) for continuous doubles and log grids, whose values
    /// get their cells' shares of the log axis, as log-uniform random draws give them.
    func value(atUniform u: Double) -> ParameterValue {
        switch kind {
        case .categorical(let count):
            return .choice(min(count - 1, Int(u * Double(count))))
        case .grid(let axis) where !axis.isLogarithmic:
            return axis.value(at: min(axis.count - 1, Int(u * Double(axis.count))))
        case .grid, .continuous:
            let (low, high) = bounds
            return value(atCoordinate: low + u * (high - low))
        }
    }
}

/// The encoding of a whole search space, parameter by parameter in declaration order.
struct ParameterEncoding {
    let parameters: [EncodedParameter]
    /// Where each parameter's cube coordinates start.
    let cubeOffsets: [Int]
    /// Total number of cube coordinates.
    let cubeWidth: Int

    init(_ space: SearchSpace) {
        parameters = space.parameters.map(EncodedParameter.init)
        var offsets: [Int] = [], width = 0
        for parameter in parameters {
            offsets.append(width)
            width += parameter.cubeWidth
        }
        cubeOffsets = offsets
        cubeWidth = width
    }

    /// The feasible point nearest to model-axis coordinates.
    func point(coordinates: [Double]) -> [ParameterValue] {
        zip(parameters, coordinates).map { $0.value(atCoordinate: $1) }
    }

    /// A point's unit-cube coordinates (lists one-hot).
    func cube(_ point: [ParameterValue]) -> [Double] {
        var x = [Double](repeating: 0, count: cubeWidth)
        for (d, parameter) in parameters.enumerated() { parameter.writeCube(point[d], into: &x, at: cubeOffsets[d]) }
        return x
    }

    /// The feasible point nearest to unit-cube coordinates.
    func point(cube x: [Double]) -> [ParameterValue] {
        parameters.indices.map { parameters[$0].value(fromCube: x, at: cubeOffsets[$0]) }
    }

    /// Cube coordinates moved onto the nearest feasible point.
    func snapped(cube x: [Double]) -> [Double] { cube(point(cube: x)) }
}
