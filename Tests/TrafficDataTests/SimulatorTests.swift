import TestSupport
import Testing
@testable import TrafficData

@Suite struct SimulatorTests {
    let simulator = TrafficSimulator(seed: 5)

    @Test func sameSeedSameMonthAndMonthsAreIndependent() {
        let month = YearMonth("2024-09")!
        #expect(simulator.csv(for: month) == TrafficSimulator(seed: 5).csv(for: month))
        #expect(simulator.csv(for: month) != TrafficSimulator(seed: 6).csv(for: month))
    }

    @Test func refusesMonthsWithoutACalendar() {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        #expect {
            try simulator.write(from: YearMonth("2025-12")!, months: 2, to: directory.path)
        } throws: { error in
            "\(error)".contains("no holiday calendar for 2026-01")
        }
    }

    @Test func demandHasTheDocumentedShape() {
        let spot = TrafficSimulator.spots.first { $0.id == "A-08" }!
        let boundary = TrafficSimulator.spots.first { $0.id == "C-02" }!
        let tuesday = CivilDate(year: 2024, month: 10, day: 15)!, saturday = CivilDate(year: 2024, month: 10, day: 19)!
        func level(_ s: SpotProfile, _ d: CivilDate, _ h: Int, _ dir: Int = 1) -> Double { simulator.demand(spot: s, date: d, hour: h, direction: dir) }
        // Weekday double peak with a night trough of 10–20 % of the peak.
        let peak = level(spot, tuesday, 8)
        #expect(level(spot, tuesday, 4) / peak > 0.08)
        #expect(level(spot, tuesday, 4) / peak < 0.2)
        #expect(level(spot, tuesday, 18) > level(spot, tuesday, 13))
        #expect(peak > level(spot, tuesday, 11))
        // Saturday: one midday hump below the weekday peak.
        #expect(level(spot, saturday, 14) > level(spot, saturday, 8))
        #expect(level(spot, saturday, 14) < peak)
        // Boundary points: inflow peaks in the morning, outflow in the evening.
        #expect(level(boundary, tuesday, 8, 1) > level(boundary, tuesday, 8, 2))
        #expect(level(boundary, tuesday, 18, 2) > level(boundary, tuesday, 18, 1))
        // Chuseok: a holiday looks like a Sunday, and boundary outflow is high on its first day.
        let chuseok = CivilDate(year: 2024, month: 9, day: 16)!
        #expect(level(spot, chuseok, 8) < 0.5 * level(spot, tuesday, 8))
        #expect(level(boundary, chuseok, 14, 2) > level(boundary, chuseok, 14, 1))
    }
}
