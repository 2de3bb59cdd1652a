public import ExperimentModel

/// A searched parameter as the run journal records it, for reports, importances and plots: in the journal as
/// `{"name", "low", "high"[, "log": true]}` or `{"name", "choices"}`.
public struct RecordedParameter: Sendable, Equatable, Codable {
    /// Where a parameter lives.
    public enum Domain: Sendable, Equatable {
        case numeric(low: Double, high: Double)
        case categorical(choices: [String])
    }

    public var name: String
    public var domain: Domain
    /// Sampled on a log scale (Katib's logUniform/logNormal): plots use a log axis; fANOVA, like Optuna's, does not.
    public var logScale: Bool

    public init(name: String, domain: Domain, logScale: Bool = false) {
        self.name = name
        self.domain = domain
        self.logScale = logScale
    }

    /// An experiment's parameter: doubles and ints by their bounds, a discrete list of numbers by its smallest
    /// and largest value, other lists as categories.
    public init(_ parameter: SearchParameter) {
        name = parameter.name
        logScale = false
        switch parameter.domain {
        case let .double(range):
            domain = .numeric(low: range.lower, high: range.upper)
            logScale = range.distribution.isLogarithmic && range.lower > 0
        case let .int(range):
            domain = .numeric(low: Double(range.lower), high: Double(range.upper))
            logScale = range.distribution.isLogarithmic && range.lower > 0
        case let .discrete(list):
            let numbers = list.compactMap(Double.init).filter(\.isFinite)
            domain = numbers.count == list.count && !list.isEmpty
                ? .numeric(low: numbers.min()!, high: numbers.max()!) : .categorical(choices: list)
        case let .categorical(list): domain = .categorical(choices: list)
        }
    }

    private enum CodingKeys: String, CodingKey { case name, low, high, log, choices }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        if let choices = try container.decodeIfPresent([String].self, forKey: .choices) {
            domain = .categorical(choices: choices)
        } else {
            domain = .numeric(low: try container.decode(Double.self, forKey: .low), high: try container.decode(Double.self, forKey: .high))
        }
        logScale = try container.decodeIfPresent(Bool.self, forKey: .log) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        switch domain {
        case let .numeric(low, high):
            try container.encode(low, forKey: .low)
            try container.encode(high, forKey: .high)
            if logScale { try container.encode(true, forKey: .log) }
        case let .categorical(choices): try container.encode(choices, forKey: .choices)
        }
    }
}
