import Foundation
import HTTPTypes
import ModelRegistry
import StrictJSON
import TrafficData
import Trainers

/// The Seoul traffic featurizer as a model's own input transform: for a model trained on VolInfo data, requests may
/// send raw rows — `spot_num`, `date` and `hour` (or `date` as `2025-06-01T08`) — with a `history` of hourly volumes
/// (`spot_num`, `date`, `hour`, `volume`) to take the lags from, instead of computed features.
enum TrafficTransform {
    /// Whether rows with these columns are raw traffic rows for this model.
    static func applies(to model: ServedModel, columns: Set<String>) -> Bool {
        model.holidayCalendar != nil && columns.contains("spot_num") && columns.contains("date") && !columns.contains("weekday")
    }

    /// Raw rows and history as cells (`value(column, row)`), featurized.
    static func table(
        model: ServedModel, rows: Int, value: (String, Int) -> JSONValue?, historyRows: Int, history: (String, Int) -> JSONValue?,
        limits: InferenceLimits
    ) throws(InferenceFailure) -> DataTable {
        guard historyRows <= limits.maxRows else {
            throw InferenceFailure(.contentTooLarge, "\(historyRows) history rows exceed the limit of \(limits.maxRows)")
        }
        let queries = try (0..<rows).map { row throws(InferenceFailure) in
            let (spot, date, hour) = try spotDateHour(value, row: row, what: "row")
            return TrafficQuery(spot: spot, date: date, hour: hour)
        }
        let volumes = try (0..<historyRows).map { row throws(InferenceFailure) in
            let (spot, date, hour) = try spotDateHour(history, row: row, what: "history row")
            guard let volume = number(history("volume", row)) else { throw .invalid("history row \(row): \"volume\" must be a number") }
            return HourlyVolume(spot: spot, date: date, hour: hour, volume: volume)
        }
        do {
            return try TrafficFeaturizer.features(
                queries: queries, history: volumes, settings: model.record.featurizer ?? TrafficFeaturizerSettings(),
                calendar: model.holidayCalendar ?? .korea2024_2025, source: "instances")
        } catch {
            throw .invalid(error.description)
        }
    }

    private static func spotDateHour(
        _ value: (String, Int) -> JSONValue?, row: Int, what: String
    ) throws(InferenceFailure) -> (String, CivilDate, Int) {
        guard let spot = value("spot_num", row)?.stringValue, !spot.isEmpty else { throw .invalid("\(what) \(row): \"spot_num\" must be text") }
        guard let text = value("date", row)?.stringValue,
              let (date, hour) = TrafficFeaturizer.dateAndHour(text, hour: number(value("hour", row))) else {
            throw .invalid("\(what) \(row): \"date\" must be 2025-06-01 with \"hour\" 0-23, or 2025-06-01T08")
        }
        return (spot, date, hour)
    }

    private static func number(_ value: JSONValue?) -> Double? {
        if let text = value?.stringValue { return Double(text) }
        return value?.numberOrFlag
    }
}
