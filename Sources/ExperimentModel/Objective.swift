/// Whether the objective is minimised or maximised (`objective.type`).
public enum ObjectiveType: String, Sendable, Codable {
    case minimize, maximize

    /// Accepts `minimize`/`MINIMIZE`/`1`, `maximize`/`MAXIMIZE`/`2`; `UNKNOWN` (0) behaves as minimise, as in Katib's Python services.
    public init?(katibName: String) {
        switch katibName.lowercased() {
        case "minimize", "1", "unknown", "0", "": self = .minimize
        case "maximize", "2": self = .maximize
        default: return nil
        }
    }

    /// True when `candidate` is strictly better than `incumbent`.
    public func isBetter(_ candidate: Double, than incumbent: Double) -> Bool {
        self == .minimize ? candidate < incumbent : candidate > incumbent
    }

    /// True when `value` reaches `goal` (≤ for minimise, ≥ for maximise).
    public func reaches(_ value: Double, goal: Double) -> Bool {
        self == .minimize ? value <= goal : value >= goal
    }
}

/// How a metric's many reports reduce to one value (`metricStrategies[].value`).
public enum MetricStrategy: String, Sendable, Codable {
    case min, max, latest
}

/// The experiment's objective.
public struct Objective: Sendable, Equatable {
    public var type: ObjectiveType
    public var goal: Double?
    public var objectiveMetricName: String
    public var additionalMetricNames: [String]
    /// One strategy per metric, defaulted as Katib does (min when minimising, max when maximising).
    public var metricStrategies: [String: MetricStrategy]

    public init(
        type: ObjectiveType, goal: Double? = nil, objectiveMetricName: String, additionalMetricNames: [String] = [],
        metricStrategies: [String: MetricStrategy] = [:]
    ) {
        self.type = type
        self.goal = goal
        self.objectiveMetricName = objectiveMetricName
        self.additionalMetricNames = additionalMetricNames
        var strategies = metricStrategies
        for name in [objectiveMetricName] + additionalMetricNames where strategies[name] == nil {
            strategies[name] = type == .minimize ? .min : .max
        }
        self.metricStrategies = strategies
    }

    /// Every collected metric, objective first.
    public var allMetricNames: [String] { [objectiveMetricName] + additionalMetricNames }

    func validate() throws(ExperimentModelError) {
        guard !objectiveMetricName.isEmpty else {
            throw .invalidField(path: "spec.objective.objectiveMetricName", line: nil, message: "is required")
        }
        if additionalMetricNames.contains(objectiveMetricName) {
            throw .invalidField(
                path: "spec.objective.additionalMetricNames", line: nil,
                message: "must not contain the objective metric '\(objectiveMetricName)'")
        }
    }
}

/// One `{name, value}` algorithm setting; Katib keeps every value as a string.
public struct AlgorithmSetting: Sendable, Hashable, Codable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The search (or early-stopping) algorithm and its settings.
public struct AlgorithmSpec: Sendable, Equatable {
    public var algorithmName: String
    public var algorithmSettings: [AlgorithmSetting]

    public init(algorithmName: String, algorithmSettings: [AlgorithmSetting] = []) {
        self.algorithmName = algorithmName
        self.algorithmSettings = algorithmSettings
    }

    /// The last value given for `name`, if any.
    public func setting(_ name: String) -> String? {
        algorithmSettings.last { $0.name == name }?.value
    }
}
