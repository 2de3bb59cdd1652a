import Foundation

/// Korean public holidays, with the long holidays (Seollal, Chuseok) marked as blocks.
public struct HolidayCalendar: Sendable {
    public let holidays: Set<CivilDate>
    /// Multi-day holiday blocks (first and last day inclusive), for travel-pattern simulation.
    public let longHolidays: [ClosedRange<CivilDate>]
    /// Years the calendar is known to be complete for.
    public let coveredYears: Set<Int>

    public init(holidays: Set<CivilDate>, longHolidays: [ClosedRange<CivilDate>] = [], coveredYears: Set<Int>) {
        self.holidays = holidays
        self.longHolidays = longHolidays
        self.coveredYears = coveredYears
    }

    public func isHoliday(_ date: CivilDate) -> Bool { holidays.contains(date) }

    public func covers(_ month: YearMonth) -> Bool { coveredYears.contains(month.year) }

    /// The long-holiday block containing `date`, if any.
    public func longHoliday(containing date: CivilDate) -> ClosedRange<CivilDate>? {
        longHolidays.first { $0.contains(date) }
    }

    /// The built-in calendar for 2024–2025 (substitute and temporary holidays and election days included).
    public static let korea2024_2025: HolidayCalendar = {
        let days: [(Int, Int, Int)] = [
            (2024, 1, 1), (2024, 2, 9), (2024, 2, 10), (2024, 2, 11), (2024, 2, 12), (2024, 3, 1), (2024, 4, 10),
            (2024, 5, 5), (2024, 5, 6), (2024, 5, 15), (2024, 6, 6), (2024, 8, 15), (2024, 9, 16), (2024, 9, 17),
            (2024, 9, 18), (2024, 10, 1), (2024, 10, 3), (2024, 10, 9), (2024, 12, 25),
            (2025, 1, 1), (2025, 1, 27), (2025, 1, 28), (2025, 1, 29), (2025, 1, 30), (2025, 3, 1), (2025, 3, 3),
            (2025, 5, 5), (2025, 5, 6), (2025, 6, 3), (2025, 6, 6), (2025, 8, 15), (2025, 10, 3), (2025, 10, 5),
            (2025, 10, 6), (2025, 10, 7), (2025, 10, 8), (2025, 10, 9), (2025, 12, 25),
        ]
        func date(_ y: Int, _ m: Int, _ d: Int) -> CivilDate { CivilDate(year: y, month: m, day: d)! }
        return HolidayCalendar(
            holidays: Set(days.map { date($0.0, $0.1, $0.2) }),
            longHolidays: [
                date(2024, 2, 9)...date(2024, 2, 12), date(2024, 9, 16)...date(2024, 9, 18),
                date(2025, 1, 25)...date(2025, 1, 30), date(2025, 10, 3)...date(2025, 10, 9),
            ],
            coveredYears: [2024, 2025])
    }()

    /// Reads a calendar file: one `YYYY-MM-DD` per line (optionally `YYYY-MM-DD..YYYY-MM-DD` for a long holiday
    /// block), `#` comments; it covers every year that has at least one date.
    public static func load(path: String) throws(TrafficDataError) -> HolidayCalendar {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .unreadable(file: path, reason: "no such file or not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// A calendar file's text (see `load`); `file` names it in errors.
    public static func parse(_ text: String, file path: String) throws(TrafficDataError) -> HolidayCalendar {
        var holidays: Set<CivilDate> = []
        var blocks: [ClosedRange<CivilDate>] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?
                .trimmingCharacters(in: .whitespaces) ?? ""
            if line.isEmpty { continue }
            let ends = line.components(separatedBy: "..")
            guard let first = CivilDate(ends[0]), let last = CivilDate(ends.count > 1 ? ends[1] : ends[0]), first <= last,
                  ends.count <= 2
            else {
                throw .malformed(file: path, line: index + 1, field: "date", message: "expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, found '\(line)'")
            }
            for day in first.daysSinceEpoch...last.daysSinceEpoch { holidays.insert(CivilDate(daysSinceEpoch: day)) }
            if ends.count == 2 { blocks.append(first...last) }
        }
        return HolidayCalendar(holidays: holidays, longHolidays: blocks, coveredYears: Set(holidays.map(\.year)))
    }
}
