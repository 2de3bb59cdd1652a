import Foundation

/// Katib's parameter types (`parameterType`).
public enum ParameterType: String, Sendable, CaseIterable, Codable {
    case double, int, discrete, categorical

    /// Accepts the YAML spelling (`double`), the protobuf enum name (`DOUBLE`) or its number (1…4).
    public init?(katibName: String) {
        switch katibName.lowercased() {
        case "double", "1": self = .double
        case "int", "2": self = .int
        case "discrete", "3": self = .discrete
        case "categorical", "4": self = .categorical
        default: return nil
        }
    }
}

/// Katib's sampling distributions (`feasibleSpace.distribution`).
public enum Distribution: String, Sendable, CaseIterable, Codable {
    case uniform, logUniform, normal, logNormal

    /// Accepts the YAML spelling (`logUniform`), the protobuf name (`LOG_UNIFORM`) or its number; unspecified means uniform.
    public init?(katibName: String) {
        switch katibName.replacingOccurrences(of: "_", with: "").lowercased() {
        case "", "distributionunspecified", "0", "uniform", "1": self = .uniform
        case "loguniform", "2": self = .logUniform
        case "normal", "3": self = .normal
        case "lognormal", "4": self = .logNormal
        default: return nil
        }
    }

    /// True for the two distributions defined on the logarithm of the value.
    public var isLogarithmic: Bool { self == .logUniform || self == .logNormal }
}

/// A parameter's feasible space exactly as written: Katib keeps every bound as a string.
public struct FeasibleSpace: Sendable, Equatable {
    public var min: String?
    public var max: String?
    public var step: String?
    public var list: [String]
    public var distribution: Distribution

    public init(
        min: String? = nil, max: String? = nil, step: String? = nil, list: [String] = [],
        distribution: Distribution = .uniform
    ) {
        self.min = min
        self.max = max
        self.step = step
        self.list = list
        self.distribution = distribution
    }
}

/// One tunable parameter as declared in an experiment (`spec.parameters[]`).
public struct ParameterSpec: Sendable, Equatable {
    public var name: String
    public var parameterType: ParameterType
    public var feasibleSpace: FeasibleSpace

    public init(name: String, parameterType: ParameterType, feasibleSpace: FeasibleSpace) {
        self.name = name
        self.parameterType = parameterType
        self.feasibleSpace = feasibleSpace
    }
}
