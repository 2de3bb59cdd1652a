import Foundation
public import Trainers

/// How raw VolInfo rows become a supervised table, and how it is split in time.
public struct TrafficFeaturizerSettings: Sendable, Codable, Equatable {
    /// Months (the latest ones) held out for testing.
    public var testMonths: Int
    /// Months just before the test months used for validation.
    public var validMonths: Int
    /// Lagged-volume features, in hours (same hour yesterday, same hour last week).
    public var lagHours: [Int]
    /// A lane reporting 0 while the other lanes of its direction average at least this many vehicles is an outage.
    public var laneOutageThreshold: Int

    public init(testMonths: Int = 1, validMonths: Int = 1, lagHours: [Int] = [24, 168], laneOutageThreshold: Int = 50) {
        self.testMonths = testMonths
        self.validMonths = validMonths
        self.lagHours = lagHours
        self.laneOutageThreshold = laneOutageThreshold
    }

    /// The name of the target column.
    public static let target = "volume"
}

/// What the featurizer read, dropped and kept, by cause. Nothing is filled in or invented.
public struct DataQualityReport: Sendable, Codable, Equatable {
    public var files = 0
    public var rowsRead = 0
    public var spots = 0
    public var months: [String] = []
    /// Exact repeats of a (spot, day, hour, direction, lane) row, e.g. from a retried download; one copy kept.
    public var duplicateRowsRemoved = 0
    /// Spot-hours dropped because a lane was reported twice with different counts.
    public var conflictingDuplicateHours = 0
    /// Rows whose `vol` is not a non-negative integer.
    public var unusableVolumeRows = 0
    /// Spot-hours dropped because one of their rows had an unusable `vol`.
    public var hoursWithUnusableVolume = 0
    /// Spot-hours dropped because a lane read 0 while its neighbours carried traffic (sensor or lane outage).
    public var laneOutageHours = 0
    /// Spot-hours dropped because some of the spot's lanes had no row.
    public var incompleteHours = 0
    /// Spot-hours with no rows at all, between a spot's first and last reported hour.
    public var missingHours = 0
    /// Usable spot-hours dropped because a lagged volume was unavailable, by lag feature.
    public var noLagHistory: [String: Int] = [:]
    /// Rows of the final table, and per split.
    public var usableRows = 0
    public var trainRows = 0
    public var validRows = 0
    public var testRows = 0

    public init() {}

    /// A short multi-line summary for terminals.
    public var summary: String {
        let lags = noLagHistory.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return """
            read \(rowsRead) rows from \(files) files (\(spots) spots, months \(months.first ?? "-")…\(months.last ?? "-"))
            removed \(duplicateRowsRemoved) duplicate rows; dropped spot-hours: \(missingHours) missing, \
            \(incompleteHours) incomplete, \(hoursWithUnusableVolume) with non-numeric vol (\(unusableVolumeRows) rows), \
            \(laneOutageHours) lane outage, \(conflictingDuplicateHours) conflicting duplicates, no lag history: \(lags.isEmpty ? "0" : lags)
            kept \(usableRows) spot-hours: train \(trainRows), valid \(validRows), test \(testRows)
            """
    }
}

/// The three time-ordered splits as tables (`date` and `spot_num` text columns, target `volume`), plus the report.
public struct FeaturizedTraffic: Sendable {
    public let train: DataTable
    public let validation: DataTable
    public let test: DataTable
    public let report: DataQualityReport

    /// Columns that identify a row but are not features.
    public static let identifierColumns: Set<String> = ["date"]

    /// Encodes the tables as datasets (spot codes learned on the training split).
    public func datasets() throws(TrainerError) -> (splits: DatasetSplits, encoding: FeatureEncoding) {
        let encoding = try FeatureEncoding.fit(train, target: TrafficFeaturizerSettings.target, ignoring: Self.identifierColumns)
        return (
            DatasetSplits(
                train: try encoding.dataset(from: train), validation: try encoding.dataset(from: validation),
                test: try encoding.dataset(from: test)),
            encoding
        )
    }
}

/// Turns VolInfo rows into one row per spot and hour with calendar and lag features (see seoul-traffic-data.md).
public enum TrafficFeaturizer {
    public static func featurize(
        path: String, settings: TrafficFeaturizerSettings = TrafficFeaturizerSettings(),
        calendar: HolidayCalendar = .korea2024_2025
    ) throws(TrafficDataError) -> FeaturizedTraffic {
        guard settings.testMonths >= 1, settings.validMonths >= 1 else {
            throw .invalidSettings("test and validation need at least one month each")
        }
        guard settings.lagHours.allSatisfy({ $0 > 0 }) else { throw .invalidSettings("lag hours must be positive") }
        var report = DataQualityReport()
        let files = try VolInfoReader.files(at: path)
        // Each spot's cells by hour. Rows come in runs of one spot: its index is looked up once per run.
        var spotIndices: [String: Int] = [:], spotNames: [String] = [], spotCells: [[Int: HourCell]] = []
        var lastSpot: (name: String, index: Int)?
        for file in files {
            report.files += 1
            try VolInfoReader.read(file) { row in
                report.rowsRead += 1
                let spot: Int
                if let lastSpot, lastSpot.name == row.spot {
                    spot = lastSpot.index
                } else {
                    if let known = spotIndices[row.spot] {
                        spot = known
                    } else {
                        spot = spotNames.count
                        spotIndices[row.spot] = spot
                        spotNames.append(row.spot)
                        spotCells.append([:])
                    }
                    lastSpot = (row.spot, spot)
                }
                let hourIndex = row.date.daysSinceEpoch * 24 + row.hour
                spotCells[spot][hourIndex, default: HourCell()].add(row, report: &report)
            }
        }
        let cells = Dictionary(uniqueKeysWithValues: zip(spotNames, spotCells))
        let volumes = hourlyTotals(cells, settings: settings, report: &report)
        let rows = featureRows(volumes, settings: settings, report: &report)
        let months = Array(Set(rows.map { YearMonth(year: $0.date.year, month: $0.date.month)! })).sorted()
        for month in months where !calendar.covers(month) {
            throw .invalidSettings("no holiday calendar for \(month.year); pass a calendar file covering it")
        }
        report.spots = cells.count
        report.months = months.map(\.description)
        guard months.count > settings.testMonths + settings.validMonths else {
            throw .invalidSettings(
                "\(path): \(months.count) usable month(s); need more than \(settings.testMonths) test + \(settings.validMonths) validation months")
        }
        let testStart = months[months.count - settings.testMonths]
        let validStart = months[months.count - settings.testMonths - settings.validMonths]
        var train: [FeatureRow] = [], valid: [FeatureRow] = [], test: [FeatureRow] = []
        for row in rows {
            let month = YearMonth(year: row.date.year, month: row.date.month)!
            if month >= testStart { test.append(row) } else if month >= validStart { valid.append(row) } else { train.append(row) }
        }
        report.usableRows = rows.count
        (report.trainRows, report.validRows, report.testRows) = (train.count, valid.count, test.count)
        let source = files.count == 1 ? files[0] : path
        return FeaturizedTraffic(
            train: table(train, settings: settings, calendar: calendar, file: source),
            validation: table(valid, settings: settings, calendar: calendar, file: source),
            test: table(test, settings: settings, calendar: calendar, file: source), report: report)
    }

    /// Valid hourly totals per spot; every dropped hour is counted by cause.
    private static func hourlyTotals(
        _ cells: [String: [Int: HourCell]], settings: TrafficFeaturizerSettings, report: inout DataQualityReport
    ) -> [String: [Int: Int]] {
        var totals: [String: [Int: Int]] = [:]
        for (spot, hours) in cells {
            let lanes = Set(hours.values.flatMap { $0.lanes.map(\.key) })
            let indices = hours.keys.sorted()
            report.missingHours += (indices.last! - indices.first! + 1) - indices.count
            var spotTotals: [Int: Int] = [:]
            for (hour, cell) in hours {
                if cell.conflict { report.conflictingDuplicateHours += 1; continue }
                if cell.unusable { report.hoursWithUnusableVolume += 1; continue }
                if cell.lanes.count < lanes.count { report.incompleteHours += 1; continue }
                if cell.hasLaneOutage(threshold: settings.laneOutageThreshold) { report.laneOutageHours += 1; continue }
                spotTotals[hour] = cell.lanes.reduce(0) { $0 + $1.volume }
            }
            totals[spot] = spotTotals
        }
        return totals
    }

    private static func featureRows(
        _ totals: [String: [Int: Int]], settings: TrafficFeaturizerSettings, report: inout DataQualityReport
    ) -> [FeatureRow] {
        var rows: [FeatureRow] = []
        for (spot, hours) in totals {
            hourLoop: for (hour, volume) in hours {
                var lags: [Double] = []
                for lag in settings.lagHours {
                    guard let value = hours[hour - lag] else {
                        report.noLagHistory["lag_\(lag)h", default: 0] += 1
                        continue hourLoop
                    }
                    lags.append(Double(value))
                }
                rows.append(FeatureRow(
                    spot: spot, hourIndex: hour, date: CivilDate(daysSinceEpoch: hour.floorDiv(24)), lags: lags,
                    volume: Double(volume)))
            }
        }
        return rows.sorted { ($0.hourIndex, $0.spot) < ($1.hourIndex, $1.spot) }
    }

    /// Column names of the featurized table, in order.
    public static func columnNames(_ settings: TrafficFeaturizerSettings) -> [String] {
        ["date", "spot_num", "hour", "weekday", "month", "holiday", "hour_sin", "hour_cos", "weekday_sin", "weekday_cos"]
            + settings.lagHours.map { "lag_\($0)h" } + [TrafficFeaturizerSettings.target]
    }

    static func table(
        _ rows: [FeatureRow], settings: TrafficFeaturizerSettings, calendar: HolidayCalendar, file: String
    ) -> DataTable {
        var numeric = Array(repeating: [Double](), count: 8 + settings.lagHours.count + 1)
        for row in rows {
            let hour = Double(row.hourIndex.floorMod(24)), weekday = Double(row.date.weekday)
            let values = [
                hour, weekday, Double(row.date.month), calendar.isHoliday(row.date) ? 1 : 0,
                sin(2 * .pi * hour / 24), cos(2 * .pi * hour / 24), sin(2 * .pi * weekday / 7), cos(2 * .pi * weekday / 7),
            ] + row.lags + [row.volume]
            for (index, value) in values.enumerated() { numeric[index].append(value) }
        }
        let columns: [DataTable.Column] = [.text(rows.map { "\($0.date)T\(pad2($0.hourIndex.floorMod(24)))" }), .text(rows.map(\.spot))]
            + numeric.map { .numeric($0) }
        return DataTable(
            file: file, names: columnNames(settings), columns: columns, lines: Array(repeating: 0, count: rows.count))
    }
}

struct FeatureRow {
    let spot: String
    let hourIndex: Int
    let date: CivilDate
    let lags: [Double]
    let volume: Double
}

/// The rows of one spot and hour, one per direction and lane.
struct HourCell {
    /// key = direction × 100 + lane.
    var lanes: [(key: Int, volume: Int)] = []
    var unusable = false
    var conflict = false

    mutating func add(_ row: VolInfoRow, report: inout DataQualityReport) {
        let key = row.direction * 100 + row.lane
        guard let volume = row.volume else {
            report.unusableVolumeRows += 1
            unusable = true
            if !lanes.contains(where: { $0.key == key }) { lanes.append((key, 0)) }
            return
        }
        if let existing = lanes.first(where: { $0.key == key }) {
            if existing.volume == volume { report.duplicateRowsRemoved += 1 } else { conflict = true }
            return
        }
        lanes.append((key, volume))
    }

    func hasLaneOutage(threshold: Int) -> Bool {
        for direction in [1, 2] {
            let counts = lanes.filter { $0.key / 100 == direction }.map(\.volume)
            guard counts.count >= 2, let zero = counts.firstIndex(of: 0) else { continue }
            var others = counts
            others.remove(at: zero)
            if Double(others.reduce(0, +)) / Double(others.count) >= Double(threshold) { return true }
        }
        return false
    }
}

extension Int {
    func floorDiv(_ divisor: Int) -> Int { (self - floorMod(divisor)) / divisor }
    func floorMod(_ divisor: Int) -> Int { ((self % divisor) + divisor) % divisor }
}

private func pad2(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

extension TrafficFeaturizer {
    /// True when `path` is a single file with the VolInfo header.
    public static func isVolInfoFile(_ path: String) -> Bool { VolInfoReader.looksLikeVolInfo(path) }

    /// The CSV files that `featurize(path:)` reads, in order.
    public static func inputFiles(_ path: String) throws(TrafficDataError) -> [String] { try VolInfoReader.files(at: path) }
}
