import Foundation

/// Katib's trial conditions (`TrialStatus.condition`).
public enum TrialCondition: String, Sendable, Codable, CaseIterable {
    case created = "CREATED"
    case running = "RUNNING"
    case succeeded = "SUCCEEDED"
    case killed = "KILLED"
    case failed = "FAILED"
    case metricsUnavailable = "METRICSUNAVAILABLE"
    case earlyStopped = "EARLYSTOPPED"
    case unknown = "UNKNOWN"

    /// Accepts the protobuf name or number; absent means CREATED.
    public init?(katibName: String) {
        if let exact = Self(rawValue: katibName) {  // the common case: Katib's own spelling
            self = exact
            return
        }
        let name = katibName.isEmpty ? "CREATED" : (Self.enumNumbers[katibName] ?? katibName.uppercased())
        self.init(rawValue: name)
    }

    /// Proto enum numbers of Katib's trial conditions.
    private static let enumNumbers = [
        "0": "CREATED", "1": "RUNNING", "2": "SUCCEEDED", "3": "KILLED", "4": "FAILED", "5": "METRICSUNAVAILABLE",
        "6": "EARLYSTOPPED", "7": "UNKNOWN",
    ]

    /// Still holding a slot (CREATED or RUNNING).
    public var isActive: Bool { self == .created || self == .running }
}

/// One parameter value as Katib passes it around (a string).
public struct ParameterAssignment: Sendable, Equatable, Codable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// One reported metric value, kept as text (`"unavailable"` when never reported).
public struct MetricValue: Sendable, Equatable, Codable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A trial as seen by a suggestion algorithm: what was tried, its state and its (strategy-reduced) metrics.
public struct TrialRecord: Sendable, Equatable {
    public var name: String
    public var assignments: [ParameterAssignment]
    public var condition: TrialCondition
    public var metrics: [MetricValue]

    public init(name: String, assignments: [ParameterAssignment], condition: TrialCondition, metrics: [MetricValue] = []) {
        self.name = name
        self.assignments = assignments
        self.condition = condition
        self.metrics = metrics
    }

    /// The objective value when the trial counts as an observation: SUCCEEDED or EARLYSTOPPED with a numeric, finite metric.
    public func observedValue(of metricName: String) -> Double? {
        guard condition == .succeeded || condition == .earlyStopped else { return nil }
        guard let text = metrics.last(where: { $0.name == metricName })?.value,
              let value = SearchParameter.number(text), value.isFinite
        else { return nil }
        return value
    }
}
