import Foundation
import NumericKernels

/// A seeded simulator of monthly VolInfo files with the shape and faults of the real Seoul feed.
///
/// Reproduces (seoul-traffic-data.md): weekday double peaks (07–09, broader 17–19) with a 03–05 trough near 15 % of
/// the peak; a Saturday midday hump and lower Sundays; holidays like Sundays, long holidays with outbound boundary
/// traffic on their first days and inbound on the last; boundary (`C-`) inflow peaking in the morning and outflow in
/// the evening; bridges and expressways 3–10× a city-centre point; rain and snow days 5–15 % lower; slightly lower
/// winter months; Poisson-like count noise. Faults: outage hours with no rows, duplicated days (retried download), a
/// lane reading zero during repairs, and occasional non-numeric `vol`. Every random draw comes from a stream derived
/// from `(seed, purpose, …)`, so a month's file does not depend on which other months are generated.
public struct TrafficSimulator: Sendable {
    public let seed: UInt64
    public let calendar: HolidayCalendar
    /// Every spot's traffic level times this: a new traffic pattern (growth, a detour) for drift checks; 1 is the
    /// bundled data.
    public let volumeScale: Double

    public init(seed: UInt64, calendar: HolidayCalendar = .korea2024_2025, volumeScale: Double = 1) {
        self.seed = seed
        self.calendar = calendar
        self.volumeScale = volumeScale
    }

    /// The survey points simulated: id, family, lanes per direction, peak vehicles per hour per direction.
    static let spots: [SpotProfile] = [
        SpotProfile(id: "A-01", lanes: 2, peak: 420), SpotProfile(id: "A-08", lanes: 3, peak: 610),
        SpotProfile(id: "A-15", lanes: 2, peak: 360), SpotProfile(id: "B-03", lanes: 4, peak: 2700),
        SpotProfile(id: "B-12", lanes: 4, peak: 3300), SpotProfile(id: "C-02", lanes: 3, peak: 1550),
        SpotProfile(id: "C-07", lanes: 3, peak: 1250), SpotProfile(id: "D-10", lanes: 4, peak: 3900),
        SpotProfile(id: "D-21", lanes: 3, peak: 2950), SpotProfile(id: "F-05", lanes: 2, peak: 310),
    ]

    /// Writes one `volinfo_YYYY-MM.csv` per month into `directory`; refuses months the calendar does not cover.
    public func write(from first: YearMonth, months: Int, to directory: String) throws(TrafficDataError) -> [String] {
        guard months >= 1 else { throw .invalidSettings("--months must be at least 1") }
        var month: YearMonth? = first
        var targets: [YearMonth] = []
        for _ in 0..<months {
            guard let current = month else {
                throw .invalidSettings("\(months) months from \(first) go past 9999-12")
            }
            guard calendar.covers(current) else {
                throw .invalidSettings("no holiday calendar for \(current) (built-in: 2024–2025); pass --calendar FILE")
            }
            targets.append(current)
            month = current.next
        }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw .unreadable(file: directory, reason: "cannot create directory: \(error.localizedDescription)")
        }
        var written: [String] = []
        for month in targets {
            let path = (directory as NSString).appendingPathComponent("volinfo_\(month).csv")
            let text = csv(for: month)
            let temporary = path + ".tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)),
                  rename(temporary, path) == 0
            else { throw .unreadable(file: path, reason: "cannot write") }
            written.append(path)
        }
        return written
    }

    /// The VolInfo CSV text of one month.
    public func csv(for month: YearMonth) -> String {
        let faults = MonthFaults(month: month, seed: seed, spots: Self.spots)
        var text = VolInfoReader.header.joined(separator: ",") + "\n"
        for (spotIndex, spot) in Self.spots.enumerated() {
            for day in 1...month.dayCount {
                let date = CivilDate(year: month.year, month: month.month, day: day)!
                let rows = dayRows(spot: spot, spotIndex: spotIndex, date: date, faults: faults)
                text += rows
                if faults.duplicatedDays.contains(SpotDay(spot: spotIndex, day: day)) { text += rows }
            }
        }
        return text
    }

    private func dayRows(spot: SpotProfile, spotIndex: Int, date: CivilDate, faults: MonthFaults) -> String {
        var rng = Xoshiro256(seed: seed, stream: StreamDerivation.code("counts"), UInt64(spotIndex), UInt64(date.daysSinceEpoch))
        let weather = weatherFactor(date)
        let outage = faults.outages[SpotDay(spot: spotIndex, day: date.day)]
        var text = ""
        for hour in 0..<24 {
            let missing = outage.map { $0.contains(hour) } ?? false
            for direction in 1...2 {
                let level = spot.peak * demand(spot: spot, date: date, hour: hour, direction: direction) * weather
                    * exp(0.05 * rng.nextStandardNormal()) * volumeScale
                for lane in 1...spot.lanes {
                    let mean = level * spot.laneShare(lane)
                    var volume = max(0, Int((mean + mean.squareRoot() * rng.nextStandardNormal()).rounded()))
                    let corrupt = rng.nextUnit() < 6e-5
                    if missing { continue }
                    if faults.repair?.matches(spot: spotIndex, date: date, direction: direction, lane: lane) == true { volume = 0 }
                    let vol = corrupt ? ["", "-", "N/A"][rng.nextIndex(below: 3)] : String(volume)
                    text += "\(spot.id),\(date.compact),\(hour < 10 ? "0" : "")\(hour),\(direction),\(lane),\(vol)\n"
                }
            }
        }
        return text
    }

    /// Relative demand (≈1 at a weekday peak) for one spot, hour and direction.
    func demand(spot: SpotProfile, date: CivilDate, hour: Int, direction: Int) -> Double {
        let h = Double(hour)
        func bump(_ centre: Double, _ width: Double) -> Double { exp(-0.5 * pow((h - centre) / width, 2)) }
        let daytime = 1 / (1 + exp(-(h - 6.5) * 1.6)) * (1 / (1 + exp((h - 22.5) * 1.2)))
        let holiday = calendar.isHoliday(date)
        let weekday = date.weekday
        var morning = 0.55 * bump(8, 0.9), evening = 0.5 * bump(18, 1.5)
        if spot.family == "C" {
            // Boundary points: commuters come in the morning and leave in the evening.
            morning *= direction == 1 ? 1.45 : 0.55
            evening *= direction == 1 ? 0.6 : 1.4
        }
        var value: Double
        if holiday || weekday == 6 {
            value = 0.1 + 0.56 * bump(15, 3.6)
        } else if weekday == 5 {
            value = 0.11 + 0.7 * bump(14, 3.4)
        } else {
            value = 0.13 + 0.42 * daytime + morning + evening
        }
        if let block = calendar.longHoliday(containing: date) {
            value *= longHolidayFactor(spot: spot, date: date, block: block, direction: direction)
        }
        let seasonal = [0.94, 0.95, 1.0, 1.02, 1.03, 1.0, 0.98, 0.96, 1.0, 1.03, 1.01, 0.97][date.month - 1]
        return value * seasonal * spot.directionBias(direction)
    }

    private func longHolidayFactor(spot: SpotProfile, date: CivilDate, block: ClosedRange<CivilDate>, direction: Int) -> Double {
        let fromStart = date.daysSinceEpoch - block.lowerBound.daysSinceEpoch
        let isLast = date == block.upperBound
        switch spot.family {
        case "A": return fromStart <= 1 ? 0.45 : 0.6
        case "C":
            if fromStart <= 1 { return direction == 2 ? 1.7 : 0.7 }
            if isLast { return direction == 1 ? 1.7 : 0.8 }
            return 0.85
        case "D": return fromStart <= 1 || isLast ? 1.25 : 0.8
        default: return 0.75
        }
    }

    /// City-wide weather for a day: heavy rain (monsoon in July–August) or snow (December–February) lowers volume 5–15 %.
    func weatherFactor(_ date: CivilDate) -> Double {
        var rng = Xoshiro256(seed: seed, stream: StreamDerivation.code("weather"), UInt64(date.daysSinceEpoch))
        let rainChance = [0.04, 0.04, 0.08, 0.1, 0.1, 0.16, 0.32, 0.26, 0.12, 0.07, 0.08, 0.05][date.month - 1]
        let snowChance = [1, 2, 12].contains(date.month) ? 0.08 : 0
        let draw = rng.nextUnit()
        return draw < rainChance + snowChance ? 0.85 + 0.1 * rng.nextUnit() : 1
    }
}

struct SpotProfile: Sendable {
    let id: String
    let lanes: Int
    let peak: Double

    var family: String { String(id.prefix(1)) }

    /// Lane 1 (the passing lane) carries a little less than the others.
    func laneShare(_ lane: Int) -> Double {
        let weights = (1...lanes).map { $0 == 1 ? 0.8 : 1.0 }
        return weights[lane - 1] / weights.reduce(0, +)
    }

    /// A fixed small asymmetry between directions at non-boundary points.
    func directionBias(_ direction: Int) -> Double {
        guard family != "C" else { return 1 }
        let skew = Double(id.utf8.reduce(0) { $0 &+ Int($1) } % 7) / 100
        return direction == 1 ? 1 + skew : 1 - skew
    }
}

struct SpotDay: Hashable {
    let spot: Int
    let day: Int
}

/// The faults injected into one month, drawn from the month's own stream.
struct MonthFaults {
    struct Repair {
        let spot: Int
        let days: ClosedRange<Int>
        let direction: Int
        let lane: Int

        func matches(spot: Int, date: CivilDate, direction: Int, lane: Int) -> Bool {
            spot == self.spot && days.contains(date.day) && direction == self.direction && lane == self.lane
        }
    }

    var outages: [SpotDay: ClosedRange<Int>] = [:]
    var duplicatedDays: Set<SpotDay> = []
    var repair: Repair?

    init(month: YearMonth, seed: UInt64, spots: [SpotProfile]) {
        var rng = Xoshiro256(seed: seed, stream: StreamDerivation.code("faults"), UInt64(month.year * 12 + month.month))
        for spot in spots.indices {
            for day in 1...month.dayCount where rng.nextUnit() < 0.02 {
                let start = rng.nextIndex(below: 24)
                outages[SpotDay(spot: spot, day: day)] = start...min(23, start + rng.nextIndex(below: 6))
            }
        }
        for _ in 0..<2 {
            duplicatedDays.insert(SpotDay(spot: rng.nextIndex(below: spots.count), day: 1 + rng.nextIndex(below: month.dayCount)))
        }
        let spot = rng.nextIndex(below: spots.count)
        let start = 1 + rng.nextIndex(below: month.dayCount - 3)
        repair = Repair(
            spot: spot, days: start...(start + rng.nextIndex(below: 3)), direction: 1 + rng.nextIndex(below: 2),
            lane: 1 + rng.nextIndex(below: spots[spot].lanes))
    }
}
