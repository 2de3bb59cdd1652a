import TestSupport
import Testing
import TrafficData

@Suite struct CalendarTests {
    @Test func civilDatesRoundTripAndKnowTheirWeekday() {
        let date = CivilDate(year: 2024, month: 7, day: 1)!
        #expect(date.weekday == 0, "2024-07-01 was a Monday")
        #expect(CivilDate(year: 2025, month: 1, day: 1)!.weekday == 2)
        #expect(CivilDate(daysSinceEpoch: date.daysSinceEpoch) == date)
        #expect(CivilDate("20240229") == CivilDate(year: 2024, month: 2, day: 29))
        #expect(CivilDate("20250229") == nil)
        #expect(CivilDate("2025-13-01") == nil)
        #expect(CivilDate("2024071") == nil)
        #expect(date.compact == "20240701")
        #expect(date.description == "2024-07-01")
        #expect(YearMonth("2024-12")!.next == YearMonth("2025-01"))
    }

    @Test func builtInCalendarHasTheReferenceHolidays() {
        let calendar = HolidayCalendar.korea2024_2025
        for (y, m, d) in [(2024, 2, 12), (2024, 10, 1), (2025, 1, 27), (2025, 6, 3), (2025, 10, 8)] {
            #expect(calendar.isHoliday(CivilDate(year: y, month: m, day: d)!))
        }
        #expect(!calendar.isHoliday(CivilDate(year: 2025, month: 10, day: 10)!))
        #expect(calendar.covers(YearMonth("2025-06")!) && !calendar.covers(YearMonth("2026-01")!))
    }

    @Test func calendarFilesLoadAndBadLinesAreLocated() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let good = directory.write("h.txt", "# 2026\n2026-01-01\n2026-02-16..2026-02-18  # Seollal\n")
        let calendar = try HolidayCalendar.load(path: good)
        #expect(calendar.isHoliday(CivilDate(year: 2026, month: 2, day: 17)!))
        #expect(calendar.longHolidays.count == 1 && calendar.coveredYears == [2026])
        let bad = directory.write("bad.txt", "2026-01-01\n2026-13-01\n")
        #expect {
            try HolidayCalendar.load(path: bad)
        } throws: { error in
            "\(error)".hasPrefix("\(bad), line 2, field 'date'")
        }
    }
}
