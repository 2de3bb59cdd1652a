import Foundation

/// A validated search space: every bound parsed, every impossible range rejected, in declaration order.
public struct SearchSpace: Sendable, Equatable {
    public let parameters: [SearchParameter]

    /// The most values one stepped parameter may have (2^50): grid indices stay exact in a Double and their
    /// products are counted with overflow checks; nothing is ever sized from this number.
    public static let maxValuesPerParameter = 1 << 50

    /// Validates Katib parameter specs; the error names the parameter and says what to change.
    public init(specs: [ParameterSpec]) throws(ExperimentModelError) {
        guard !specs.isEmpty else { throw .invalidExperiment("the experiment declares no parameters") }
        var seen: Set<String> = []
        var parameters: [SearchParameter] = []
        for spec in specs {
            guard !spec.name.isEmpty else { throw .invalidExperiment("a parameter has an empty name") }
            guard seen.insert(spec.name).inserted else {
                throw .invalidParameter(name: spec.name, message: "declared twice; parameter names must be unique")
            }
            parameters.append(try SearchParameter(spec: spec))
        }
        self.parameters = parameters
    }

    /// Parameter names in declaration order.
    public var names: [String] { parameters.map(\.name) }

    /// The number of distinct points, or nil when some parameter is continuous (or the count overflows).
    public var finiteSize: Int? {
        var total = 1
        for parameter in parameters {
            guard let count = parameter.domain.finiteCount else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: count)
            if overflow { return nil }
            total = product
        }
        return total
    }
}

/// One validated parameter.
public struct SearchParameter: Sendable, Equatable {
    public let name: String
    public let domain: ParameterDomain
    /// Each list value's index (discrete and categorical), so reading a history value costs O(1), not O(list).
    let choiceIndex: [String: Int]

    init(spec: ParameterSpec) throws(ExperimentModelError) {
        name = spec.name
        domain = try ParameterDomain(spec: spec)
        switch domain {
        case .discrete(let list), .categorical(let list):
            choiceIndex = Dictionary(uniqueKeysWithValues: list.enumerated().map { ($1, $0) })
        case .double, .int:
            choiceIndex = [:]
        }
    }
}

/// The set of values a parameter can take.
public enum ParameterDomain: Sendable, Equatable {
    case double(DoubleRange)
    case int(IntRange)
    /// Numbers or strings used as labels (Katib treats `discrete` like `categorical`); kept byte for byte.
    case discrete([String])
    case categorical([String])

    /// How many values a finite domain has; nil for a continuous double.
    public var finiteCount: Int? {
        switch self {
        case .double(let range): range.gridCount
        case .int(let range): range.gridCount
        case .discrete(let list), .categorical(let list): list.count
        }
    }
}

/// A continuous (or stepped) double range.
public struct DoubleRange: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    /// Grid spacing from `lower` (values are `lower + k·step ≤ upper`), or nil for continuous.
    public let step: Double?
    public let distribution: Distribution
    /// Decimal places used to print grid values cleanly (from the `min` and `step` strings).
    public let decimals: Int?

    /// Number of grid points when stepped.
    public var gridCount: Int? {
        guard let step else { return nil }
        // Slack for rounding error only (0.3/0.1 is 2.9999999999999996): a max of 0.29999999999 with step 0.1 stops
        // at 0.2.
        let intervals = (upper - lower) / step
        return Int((intervals + 1e-12 + intervals * 4e-16).rounded(.down)) + 1
    }

    /// The k-th grid value, rounded to the printed precision.
    public func gridValue(_ k: Int) -> Double {
        guard let step else { return lower }
        let raw = Swift.min(upper, lower + Double(k) * step)
        guard let decimals, decimals <= 15 else { return raw }
        // k/10^d with k an exact integer: IEEE division rounds it to the double nearest the decimal value.
        let scale = (0..<decimals).reduce(1.0) { value, _ in value * 10 }
        let scaled = raw * scale
        guard scaled.isFinite else { return raw }
        // Rounding to the printed decimals never leaves [lower, upper].
        let rounded = scaled.rounded() / scale
        return rounded <= upper && rounded >= lower ? rounded : raw
    }
}

/// An integer range with a step (1 unless given).
public struct IntRange: Sendable, Equatable {
    public let lower: Int
    public let upper: Int
    public let step: Int
    public let distribution: Distribution

    /// Number of values `lower + k·step ≤ upper`.
    public var gridCount: Int { (upper - lower) / step + 1 }
}

extension ParameterDomain {
    init(spec: ParameterSpec) throws(ExperimentModelError) {
        let space = spec.feasibleSpace
        let name = spec.name
        func fail(_ message: String) -> ExperimentModelError { .invalidParameter(name: name, message: message) }
        switch spec.parameterType {
        case .discrete, .categorical:
            guard space.min == nil, space.max == nil, space.step == nil else {
                throw fail("a \(spec.parameterType.rawValue) parameter takes only 'list', not min/max/step")
            }
            guard !space.list.isEmpty else { throw fail("feasibleSpace.list is empty; give at least one value") }
            if let duplicate = firstDuplicate(space.list) {
                throw fail("feasibleSpace.list contains '\(duplicate)' twice")
            }
            self = spec.parameterType == .discrete ? .discrete(space.list) : .categorical(space.list)
        case .double:
            guard space.list.isEmpty else { throw fail("a double parameter takes min/max (and step), not 'list'") }
            let lower = try parseNumber(space.min, field: "min", name: name)
            let upper = try parseNumber(space.max, field: "max", name: name)
            try checkBounds(lower, upper, space.distribution, name: name, minText: space.min!, maxText: space.max!)
            guard (upper - lower).isFinite else { throw fail("the range from min to max is too wide to represent") }
            var step: Double?
            if let text = space.step, !text.isEmpty {
                let value = try parseNumber(text, field: "step", name: name)
                guard value > 0 else { throw fail("step \(text) must be positive") }
                let intervals = (upper - lower) / value
                guard intervals.isFinite, intervals < Double(SearchSpace.maxValuesPerParameter) else {
                    throw fail(
                        "step \(text) gives more than \(SearchSpace.maxValuesPerParameter) values between min and max; use a larger step or none")
                }
                step = value
            }
            // Grid values print with the decimals of min and step; beyond 15 a double cannot hold them, so they print in
            // shortest form instead.
            let places = step == nil ? nil : Swift.max(decimalPlaces(space.min ?? ""), decimalPlaces(space.step ?? ""))
            let decimals = places.flatMap { $0 <= 15 ? $0 : nil }
            self = .double(DoubleRange(
                lower: lower, upper: upper, step: step, distribution: space.distribution, decimals: decimals))
        case .int:
            guard space.list.isEmpty else { throw fail("an int parameter takes min/max (and step), not 'list'") }
            let lower = try parseInteger(space.min, field: "min", name: name)
            let upper = try parseInteger(space.max, field: "max", name: name)
            try checkBounds(
                Double(lower), Double(upper), space.distribution, name: name, minText: space.min!, maxText: space.max!)
            var step = 1
            if let text = space.step, !text.isEmpty {
                let value = try parseNumber(text, field: "step", name: name)
                guard value > 0 else { throw fail("step \(text) must be positive") }
                // Katib compatibility: a fractional INT step is treated as 1. A step wider than the range leaves only
                // `min`, exactly as the range's width plus one does (and fits an Int).
                let width = Double(upper - lower)
                step = value != value.rounded() ? 1 : value > width ? upper - lower + 1 : Int(value)
            }
            self = .int(IntRange(lower: lower, upper: upper, step: step, distribution: space.distribution))
        }
    }
}

private func parseNumber(_ text: String?, field: String, name: String) throws(ExperimentModelError) -> Double {
    guard let text, !text.isEmpty else {
        throw .invalidParameter(name: name, message: "feasibleSpace.\(field) is required")
    }
    guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
        throw .invalidParameter(name: name, message: "feasibleSpace.\(field) '\(text)' is not a finite number")
    }
    return value
}

private func parseInteger(_ text: String?, field: String, name: String) throws(ExperimentModelError) -> Int {
    let value = try parseNumber(text, field: field, name: name)
    guard value == value.rounded(), abs(value) < 9e15 else {
        throw .invalidParameter(name: name, message: "feasibleSpace.\(field) '\(text!)' is not an integer")
    }
    return Int(value)
}

private func checkBounds(
    _ lower: Double, _ upper: Double, _ distribution: Distribution, name: String, minText: String, maxText: String
) throws(ExperimentModelError) {
    guard lower <= upper else {
        throw .invalidParameter(name: name, message: "min \(minText) is not below max \(maxText); swap them")
    }
    if distribution.isLogarithmic, lower <= 0 {
        throw .invalidParameter(
            name: name, message: "distribution \(distribution.rawValue) needs min > 0, got min \(minText)")
    }
}

/// Digits after the decimal point of a number as written ("0.05" → 2, "1e-3" → 3, "10" → 0, "1e-17" → 17).
func decimalPlaces(_ text: String) -> Int {
    let lower = text.lowercased()
    let parts = lower.split(separator: "e", maxSplits: 1)
    let mantissa = parts.first.map(String.init) ?? lower
    let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    let fraction = mantissa.split(separator: ".", maxSplits: 1).dropFirst().first?.count ?? 0
    return Swift.max(0, fraction - exponent)
}

private func firstDuplicate(_ values: [String]) -> String? {
    var seen: Set<String> = []
    return values.first { !seen.insert($0).inserted }
}
