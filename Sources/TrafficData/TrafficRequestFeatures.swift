public import Trainers

/// One spot and hour to predict, as a raw request names it.
public struct TrafficQuery: Sendable, Equatable {
    public let spot: String
    public let date: CivilDate
    public let hour: Int

    public init(spot: String, date: CivilDate, hour: Int) {
        self.spot = spot
        self.date = date
        self.hour = hour
    }
}

/// One observed hourly total (all lanes and directions summed) of a spot.
public struct HourlyVolume: Sendable, Equatable {
    public let spot: String
    public let date: CivilDate
    public let hour: Int
    public let volume: Double

    public init(spot: String, date: CivilDate, hour: Int, volume: Double) {
        self.spot = spot
        self.date = date
        self.hour = hour
        self.volume = volume
    }
}

extension TrafficFeaturizer {
    /// A date as `2025-06-01`, `20250601` or `2025-06-01T08` (the featurized table's form), with the hour from the
    /// text or from `hour`; nil when either is missing or out of range.
    public static func dateAndHour(_ text: String, hour: Double?) -> (date: CivilDate, hour: Int)? {
        let parts = text.split(separator: "T", maxSplits: 1)
        guard let first = parts.first else { return nil }
        let digits = first.filter { $0 != "-" }
        guard digits.count == 8, first.count == 8 || first.count == 10, let date = CivilDate(digits) else { return nil }
        let textHour = parts.count == 2 ? Int(parts[1]) : nil
        guard let value = textHour ?? hour.flatMap({ Int(exactly: $0) }), (0...23).contains(value) else { return nil }
        if let textHour, let hour, Double(textHour) != hour { return nil }
        return (date, value)
    }

    /// The featurized table's rows (target NaN) for raw queries: calendar features from the date and hour, lagged
    /// volumes looked up in `history` — the same features `featurize` computes from VolInfo files. A query whose lag
    /// hour is not in the history is an error naming it (training never saw a missing lag).
    public static func features(
        queries: [TrafficQuery], history: [HourlyVolume], settings: TrafficFeaturizerSettings, calendar: HolidayCalendar,
        source: String
    ) throws(TrafficDataError) -> DataTable {
        var volumes: [String: [Int: Double]] = [:]
        for entry in history {
            guard entry.volume.isFinite, entry.volume >= 0 else {
                throw .invalidSettings("\(source): history volume \(entry.volume) for \(entry.spot) at \(entry.date)T\(entry.hour < 10 ? "0" : "")\(entry.hour) is not a count")
            }
            volumes[entry.spot, default: [:]][entry.date.daysSinceEpoch * 24 + entry.hour] = entry.volume
        }
        var rows: [FeatureRow] = []
        rows.reserveCapacity(queries.count)
        for (index, query) in queries.enumerated() {
            guard let month = YearMonth(year: query.date.year, month: query.date.month), calendar.covers(month) else {
                throw .invalidSettings("\(source): row \(index): no holiday calendar for \(query.date.year)")
            }
            let hourIndex = query.date.daysSinceEpoch * 24 + query.hour
            var lags: [Double] = []
            for lag in settings.lagHours {
                guard let volume = volumes[query.spot]?[hourIndex - lag] else {
                    let then = hourIndex - lag
                    let when = "\(CivilDate(daysSinceEpoch: then.floorDiv(24)))T\(then.floorMod(24) < 10 ? "0" : "")\(then.floorMod(24))"
                    throw .invalidSettings("\(source): row \(index): lag_\(lag)h needs the volume of \(query.spot) at \(when), which the history does not have")
                }
                lags.append(volume)
            }
            rows.append(FeatureRow(spot: query.spot, hourIndex: hourIndex, date: query.date, lags: lags, volume: .nan))
        }
        return table(rows, settings: settings, calendar: calendar, file: source)
    }
}
