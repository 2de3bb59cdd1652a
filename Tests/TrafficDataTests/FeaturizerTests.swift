import TestSupport
import Testing
import Trainers
@testable import TrafficData

/// A tiny hand-made feed with one fault of each kind, so every count in the report is known.
@Suite struct FeaturizerTests {
    /// One spot, one direction, two lanes, every hour of the first `days` days of three months (vol 100 and 200).
    static func feed(faults: Bool) -> [String: String] {
        var files: [String: String] = [:]
        for month in ["2025-01", "2025-02", "2025-03"] {
            var text = "spot_num,ymd,hh,io_type,lane_num,vol\n"
            for day in 1...3 {
                let ymd = month.replacingOccurrences(of: "-", with: "") + "0\(day)"
                for hour in 0..<24 {
                    let hh = hour < 10 ? "0\(hour)" : "\(hour)"
                    if faults, month == "2025-01", day == 2, hour == 5 { continue }  // missing hour
                    var lane1 = "100", lane2 = "200"
                    if faults, month == "2025-01", day == 2, hour == 6 { lane1 = "N/A" }  // non-numeric vol
                    if faults, month == "2025-01", day == 2, hour == 7 { lane1 = "0" }  // lane outage
                    text += "B-32,\(ymd),\(hh),1,1,\(lane1)\n"
                    if faults, month == "2025-01", day == 2, hour == 8 { continue }  // lane 2 missing: incomplete
                    text += "B-32,\(ymd),\(hh),1,2,\(lane2)\n"
                    if faults, month == "2025-01", day == 2, hour == 9 { text += "B-32,\(ymd),\(hh),1,2,\(lane2)\n" }  // duplicate
                    if faults, month == "2025-01", day == 2, hour == 10 { text += "B-32,\(ymd),\(hh),1,2,999\n" }  // conflict
                }
            }
            files["volinfo_\(month).csv"] = text
        }
        return files
    }

    static func write(_ files: [String: String]) -> TemporaryDirectory {
        let directory = TemporaryDirectory()
        for (name, text) in files { directory.write(name, text) }
        return directory
    }

    @Test func reportCountsEveryFaultByCause() throws {
        let directory = Self.write(Self.feed(faults: true))
        defer { directory.remove() }
        let result = try TrafficFeaturizer.featurize(path: directory.path, settings: TrafficFeaturizerSettings(lagHours: [24]))
        let report = result.report
        #expect(report.files == 3)
        #expect(report.spots == 1)
        #expect(report.months == ["2025-01", "2025-02", "2025-03"])
        // The missing hour, plus the gaps between the months' first three days (Jan 4–31, Feb 4–28).
        #expect(report.missingHours == 1 + 28 * 24 + 25 * 24)
        #expect(report.unusableVolumeRows == 1)
        #expect(report.hoursWithUnusableVolume == 1)
        #expect(report.laneOutageHours == 1)
        #expect(report.incompleteHours == 1)
        #expect(report.duplicateRowsRemoved == 1)
        #expect(report.conflictingDuplicateHours == 1)
        // 216 hours: 1 missing, 4 dropped for faults (the duplicate is kept once); day 1 of each month has no 24 h
        // history (72), and the 5 hours of January 3 whose January 2 hour is gone lose their lag too.
        #expect(report.noLagHistory == ["lag_24h": 72 + 5])
        #expect(report.usableRows == 216 - 1 - 4 - 72 - 5)
        #expect(report.trainRows + report.validRows + report.testRows == report.usableRows)
        #expect(report.testRows == 48)
        #expect(report.validRows == 48)
    }

    @Test func featuresFollowTheReferencePipeline() throws {
        let directory = Self.write(Self.feed(faults: false))
        defer { directory.remove() }
        let result = try TrafficFeaturizer.featurize(path: directory.path, settings: TrafficFeaturizerSettings(lagHours: [24]))
        #expect(result.train.names == ["date", "spot_num", "hour", "weekday", "month", "holiday", "hour_sin", "hour_cos",
                                      "weekday_sin", "weekday_cos", "lag_24h", "volume"])
        guard case .numeric(let volume) = result.train.column(named: "volume")!,
              case .numeric(let holiday) = result.train.column(named: "holiday")!,
              case .numeric(let hourCos) = result.train.column(named: "hour_cos")!
        else { Issue.record("numeric columns expected"); return }
        #expect(volume.allSatisfy { $0 == 300 })
        #expect(holiday.first == 0)  // 2025-01-02 is no holiday
        #expect(hourCos.first == 1)  // hour 0
        let (splits, encoding) = try result.datasets()
        #expect(encoding.featureNames.first == "spot_num" && !encoding.featureNames.contains("date"))
        #expect(splits.test?.rowCount == 48)
    }

    @Test(arguments: [
        ("B-32,2025011,00,1,1,5", "ymd", "'2025011' is not a valid YYYYMMDD date"),
        ("B-32,20250101,24,1,1,5", "hh", "'24' is not an hour 00–23"),
        ("B-32,20250101,00,3,1,5", "io_type", "'3' is not 1 (inflow) or 2 (outflow)"),
        ("B-32,20250101,00,1,x,5", "lane_num", "'x' is not a lane number 1–99"),
    ])
    func malformedRowsNameFileLineAndField(row: String, field: String, message: String) {
        let directory = Self.write(["volinfo_2025-01.csv": "spot_num,ymd,hh,io_type,lane_num,vol\nB-32,20250101,00,1,1,5\n\(row)\n"])
        defer { directory.remove() }
        let file = directory.file("volinfo_2025-01.csv")
        #expect(throws: TrafficDataError.malformed(file: file, line: 3, field: field, message: message)) {
            try TrafficFeaturizer.featurize(path: directory.path)
        }
    }

    @Test func aFileWithAnotherHeaderIsRefused() {
        let directory = Self.write(["other.csv": "a,b\n1,2\n"])
        defer { directory.remove() }
        #expect { try TrafficFeaturizer.featurize(path: directory.path) } throws: { "\($0)".contains("not a VolInfo file") }
    }

    @Test func simulatedMonthsFeaturizeEndToEnd() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        _ = try TrafficSimulator(seed: 9).write(from: YearMonth("2024-10")!, months: 3, to: directory.path)
        let result = try TrafficFeaturizer.featurize(path: directory.path)
        #expect(result.report.spots == 10)
        #expect(result.report.duplicateRowsRemoved > 0)
        #expect(result.report.laneOutageHours > 0)
        #expect(result.report.missingHours > 0)
        #expect(result.report.testRows > 6000)
    }
}

import Foundation
