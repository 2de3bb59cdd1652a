public import ExperimentModel
import Foundation
import ModelTraining
import StrictJSON

/// One metric report found in a trial's output.
public struct MetricRecord: Sendable, Equatable {
    public let name: String
    /// The value as printed (may be non-numeric).
    public let value: String
    /// The line's RFC 3339 timestamp, when it started with one.
    public let timestamp: Date?
}

/// Katib's metrics collection: TEXT lines through the filter regexes, or JSON lines; then reduction by strategy.
public struct MetricsLogParser {
    private let metricNames: [String]
    private let filters: [Regex<AnyRegexOutput>]

    /// Compiles the collector's filters (Katib's default `name=value` filter when none are given).
    public init(metricNames: [String], filters: [String]) throws(TunekitError) {
        self.metricNames = metricNames
        var compiled: [Regex<AnyRegexOutput>] = []
        for pattern in filters.isEmpty ? [MetricsCollectorSpec.defaultFilter] : filters {
            do { compiled.append(try Regex(pattern)) } catch {
                throw .notRunnable("metricsFormat '\(pattern)' is not a valid regular expression")
            }
        }
        self.filters = compiled
    }

    /// TEXT format: every filter match on a line whose name is a wanted metric.
    public func parseText(_ text: String) -> [MetricRecord] {
        var records: [MetricRecord] = []
        for line in text.split(whereSeparator: \.isNewline) where metricNames.contains(where: { line.contains($0) }) {
            let timestamp = line.split(separator: " ", maxSplits: 1).first.flatMap { Self.parseTimestamp(String($0)) }
            for filter in filters {
                for match in line.matches(of: filter) where match.output.count >= 3 {
                    guard let name = match.output[1].substring?.trimmingCharacters(in: .whitespaces),
                          metricNames.contains(name)
                    else { continue }
                    let value = match.output[2].substring.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                    records.append(MetricRecord(name: name, value: value, timestamp: timestamp))
                }
            }
        }
        return records
    }

    /// JSON format: one object per non-empty line; string values are metrics (numbers accepted too, unlike Katib #2162).
    public func parseJSONLines(_ text: String) throws(TunekitError) -> [MetricRecord] {
        var records: [MetricRecord] = []
        for (index, line) in text.split(separator: "\n").enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let object = (try? JSONValue.parse(Data(line.utf8)))?.objectValue else {
                throw .data("metrics file line \(index + 1) is not a JSON object")
            }
            var timestamp: Date?
            if let text = object["timestamp"]?.stringValue { timestamp = Self.parseTimestamp(text) }
            if let seconds = object["timestamp"]?.numberValue { timestamp = Date(timeIntervalSince1970: seconds) }
            for name in metricNames {
                if let value = object[name]?.stringValue {
                    records.append(MetricRecord(name: name, value: value, timestamp: timestamp))
                } else if let value = object[name]?.numberValue {
                    records.append(MetricRecord(name: name, value: String(value), timestamp: timestamp))
                }
            }
        }
        return records
    }

    /// Reduces records to one value per metric with each metric's strategy; an objective never seen is `unavailable`.
    public static func observation(_ records: [MetricRecord], objective: Objective) -> [MetricValue] {
        var reduction = MetricReduction()
        for record in records { reduction.add(record) }
        return reduction.observation(objective: objective)
    }

    static func parseTimestamp(_ text: String) -> Date? {
        guard text.count >= 20, text.contains("T") else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

/// Katib's reduction of a trial's metric reports, fed one report at a time as the output is read: what it keeps is a
/// few values per metric name, whatever the length of the output.
public struct MetricReduction: Sendable {
    /// Per metric: the latest report (greatest timestamp, reports without one first, later reports win ties) and the
    /// smallest and largest finite numbers reported.
    private var latest: [String: (value: String, timestamp: Date)] = [:]
    private var smallest: [String: Double] = [:]
    private var largest: [String: Double] = [:]

    public init() {}

    public mutating func add(_ record: MetricRecord) {
        let timestamp = record.timestamp ?? .distantPast
        if let current = latest[record.name], current.timestamp > timestamp {} else {
            latest[record.name] = (record.value, timestamp)
        }
        if let number = Double(record.value), number.isFinite {
            smallest[record.name] = min(smallest[record.name] ?? number, number)
            largest[record.name] = max(largest[record.name] ?? number, number)
        }
    }

    /// One value per reported metric with each metric's strategy; an objective never reported is `unavailable`.
    public func observation(objective: Objective) -> [MetricValue] {
        guard latest[objective.objectiveMetricName] != nil else {
            return [MetricValue(name: objective.objectiveMetricName, value: "unavailable")]
        }
        return objective.allMetricNames.compactMap { name in
            guard let last = latest[name]?.value else { return nil }
            let value: String
            switch objective.metricStrategies[name] ?? .latest {
            case .min: value = smallest[name].map { String($0) } ?? last
            case .max: value = largest[name].map { String($0) } ?? last
            case .latest: value = last
            }
            return MetricValue(name: name, value: value)
        }
    }
}
