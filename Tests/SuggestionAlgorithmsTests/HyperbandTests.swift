import ExperimentModel
@testable import SuggestionAlgorithms
import Testing

@Suite struct HyperbandTests {
    static let specs = [
        ParameterSpec(name: "lr", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0.01", max: "0.05")),
        ParameterSpec(name: "momentum", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0.5", max: "0.9")),
        ParameterSpec(name: "epochs", parameterType: .int, feasibleSpace: FeasibleSpace(min: "1", max: "1")),
    ]

    static func experiment(_ settings: [(String, String)], parallel: Int = 9, specs: [ParameterSpec] = specs) throws -> Experiment {
        try Experiment(
            name: "e", objective: Objective(type: .minimize, objectiveMetricName: "loss"),
            algorithm: AlgorithmSpec(algorithmName: "hyperband", algorithmSettings: settings.map { AlgorithmSetting(name: $0.0, value: $0.1) }),
            parameters: specs, parallelTrialCount: parallel)
    }

    @Test(arguments: [
        ([("r_l", "9")], 9, "r_l and resource_name must be set."),
        ([("r_l", "-2"), ("resource_name", "epochs")], 9, "r_l must be a positive float number."),
        ([("r_l", "many"), ("resource_name", "epochs")], 9, "r_l must be a positive float number."),
        ([("r_l", "9"), ("resource_name", "epochs")], 8, "parallelTrialCount must be not less than 9."),
        ([("r_l", "9"), ("resource_name", "steps")], 9, "value of resource_name setting must be in parameters."),
        ([("r_l", "1e300"), ("resource_name", "epochs"), ("eta", "2")], 9, "r_l 1e300 with eta 2 schedules more than 100000 trials; lower r_l or raise eta"),
    ])
    func validationUsesKatibsMessages(settings: [(String, String)], parallel: Int, message: String) throws {
        #expect(throws: SuggestionError(message)) {
            try SuggestionService.makeAlgorithm(for: Self.experiment(settings, parallel: parallel))
        }
    }

    @Test func theScheduleIsHyperbands() throws {
        let schedule = try #require(HyperbandSchedule(maxResource: 9, eta: 3, trialLimit: 1000))
        #expect(schedule.sMax == 2)
        #expect(schedule.brackets.map { $0.rungs.map(\.size) } == [[9, 3, 1], [5, 2], [3]])
        #expect(schedule.brackets.map { $0.rungs.map(\.resource) } == [[1, 3, 9], [3, 9], [9]])
        #expect(schedule.totalTrials == 23)
        #expect(HyperbandSchedule(maxResource: 1000, eta: 10, trialLimit: 10_000)?.sMax == 3)
    }

    /// The whole schedule through stateless calls: a rung waits for the one before, keeps its best configurations at
    /// eta times the resource, and the search ends with an empty reply.
    @Test func runsTheBracketsFromTheHistory() throws {
        let experiment = try Self.experiment([("r_l", "9"), ("resource_name", "epochs"), ("random_state", "4")])
        let algorithm = try SuggestionService.makeAlgorithm(for: experiment)
        let space = try #require(algorithm.contextSpace)
        var trials: [TrialRecord] = []
        func ask(_ count: Int) -> [[ParameterAssignment]] {
            algorithm.suggest(SuggestionContext(
                searchSpace: space, objective: experiment.objective, trials: trials, count: count,
                issuedBefore: trials.count, seed: 4)).map(space.assignments(for:))
        }
        func finish(_ batch: [[ParameterAssignment]]) {
            for values in batch {
                let lr = Double(values[0].value)!
                trials.append(TrialRecord(
                    name: "t\(trials.count)", assignments: values, condition: .succeeded,
                    metrics: [MetricValue(name: "loss", value: String(lr))]))
            }
        }
        let first = ask(20)
        #expect(first.count == 9, "the first rung is the first bracket's 9 configurations")
        #expect(first.allSatisfy { $0[2].value == "1" })
        trials = first.enumerated().map { TrialRecord(name: "t\($0.offset)", assignments: $0.element, condition: .running) }
        #expect(ask(3).isEmpty, "the next rung waits for the running trials")
        trials = []
        finish(first)
        let second = ask(9)
        #expect(second.count == 3)
        let best = first.sorted { Double($0[0].value)! < Double($1[0].value)! }.prefix(3)
        #expect(second.map { $0.prefix(2).map(\.value) } == best.map { $0.prefix(2).map(\.value) })
        #expect(second.allSatisfy { $0[2].value == "3" })
        finish(second)
        var rungs = [first.count, second.count]
        while true {
            let next = ask(9)
            if next.isEmpty { break }
            rungs.append(next.count)
            finish(next)
        }
        // A finished rung frees the next bracket's first rung in the same reply.
        #expect(rungs == [9, 3, 1 + 5, 2 + 3])
        #expect(trials.count == 23)
        let settings = algorithm.replySettings(SuggestionContext(
            searchSpace: space, objective: experiment.objective, trials: trials, count: 1, issuedBefore: trials.count, seed: 4),
            issued: 0)
        #expect(settings.first { $0.name == "current_s" }?.value == "-1")
    }

    /// The smallest resource is never 0: 729·3⁻⁶ is 0.99999… in floating point, and r_l below 1 is refused.
    @Test func resourcesAreWholeCountsOfAtLeastOne() throws {
        for (rl, eta) in [(729.0, 3), (19683, 3), (49, 7), (1000, 10)] {
            let schedule = try #require(HyperbandSchedule(maxResource: rl, eta: eta, trialLimit: 100_000))
            #expect(schedule.brackets.first?.rungs.first?.resource == 1, "r_l \(rl), eta \(eta)")
            #expect(schedule.brackets.first?.rungs.last?.resource == Int(rl))
        }
        #expect(throws: SuggestionError("r_l must be at least 1; the resource is given as an integer")) {
            try SuggestionService.makeAlgorithm(for: Self.experiment([("r_l", "0.5"), ("resource_name", "epochs")]))
        }
    }

    /// A double resource parameter with bounds beyond Int's range is widened without converting them.
    @Test func aResourceWithHugeBoundsIsAccepted() throws {
        var specs = Self.specs
        specs[2] = ParameterSpec(name: "epochs", parameterType: .double, feasibleSpace: FeasibleSpace(min: "-1e300", max: "1e19"))
        let algorithm = try SuggestionService.makeAlgorithm(for: Self.experiment([("r_l", "9"), ("resource_name", "epochs")], specs: specs))
        let space = try #require(algorithm.contextSpace)
        let points = algorithm.suggest(SuggestionContext(
            searchSpace: space, objective: Objective(type: .minimize, objectiveMetricName: "loss"), trials: [], count: 9,
            issuedBefore: 0, seed: 1))
        #expect(points.count == 9 && points.allSatisfy { $0[2] == .double(1) })
    }

    @Test func katibStateSettingsAreAccepted() throws {
        _ = try SuggestionService.makeAlgorithm(for: Self.experiment([
            ("r_l", "9"), ("resource_name", "epochs"), ("current_s", "1"), ("current_i", "0"), ("evaluating_trials", "0"),
            ("s_max", "2"), ("b_l", "27"), ("r", "3"), ("n", "5"), ("eta", "3"),
        ]))
    }
}

@Suite struct BOHBTests {
    /// A loss whose best configuration (lr 0.02, momentum 0.6) does not depend on the resource.
    static func loss(_ values: [ParameterAssignment]) -> Double {
        abs(Double(values[0].value)! - 0.02) / 0.04 + abs(Double(values[1].value)! - 0.6) / 0.4
    }

    /// A whole schedule (r_l 27, eta 3: brackets of 27, 12, 6 and 4 first configurations), every rung finishing as
    /// soon as it is issued; the trials in the order they were issued.
    static func run(_ algorithmName: String, seed: UInt64, settings: [(String, String)] = []) throws -> [TrialRecord] {
        var experiment = try HyperbandTests.experiment(
            [("r_l", "27"), ("resource_name", "epochs")] + settings, parallel: 27)
        experiment.algorithm.algorithmName = algorithmName
        let algorithm = try SuggestionService.makeAlgorithm(for: experiment)
        let space = try #require(algorithm.contextSpace)
        var trials: [TrialRecord] = []
        while true {
            let points = algorithm.suggest(SuggestionContext(
                searchSpace: space, objective: experiment.objective, trials: trials, count: 100, issuedBefore: trials.count,
                seed: seed))
            if points.isEmpty { return trials }
            for values in points.map(space.assignments(for:)) {
                trials.append(TrialRecord(
                    name: "t\(trials.count)", assignments: values, condition: .succeeded,
                    metrics: [MetricValue(name: "loss", value: String(loss(values)))]))
            }
        }
    }

    /// The first configurations of the brackets after the first (slots after the first bracket's 27 + 9 + 3 + 1).
    static func laterFirstRungs(_ trials: [TrialRecord]) -> [Double] {
        let schedule = HyperbandSchedule(maxResource: 27, eta: 3, trialLimit: 1000)!
        return (1..<schedule.brackets.count).flatMap { bracket in
            let start = schedule.firstSlot(bracket: bracket, rung: 0)
            return trials[start..<(start + schedule.brackets[bracket].rungs[0].size)].map { loss($0.assignments) }
        }
    }

    /// Hyperband's schedule and resources; the first bracket, before any trial has finished, is hyperband's exactly.
    @Test func keepsHyperbandsScheduleAndFirstBracket() throws {
        let bohb = try Self.run("bohb", seed: 3), hyperband = try Self.run("hyperband", seed: 3)
        #expect(bohb.count == hyperband.count)
        #expect(bohb.map { $0.assignments[2].value } == hyperband.map { $0.assignments[2].value })
        #expect(bohb.prefix(27).map(\.assignments) == hyperband.prefix(27).map(\.assignments))
        #expect(try Self.run("bohb", seed: 3).map(\.assignments) == bohb.map(\.assignments), "same seed, same run")
    }

    /// Later brackets start where the finished trials were good: over 10 seeds, their first configurations' median
    /// loss is well below that of hyperband's random draws (a third of them stay random); with random_fraction 1 they are
    /// random draws again.
    @Test func laterBracketsStartFromTheModel() throws {
        var bohb: [Double] = [], hyperband: [Double] = [], allRandom: [Double] = []
        for seed in UInt64(0)..<10 {
            bohb += Self.laterFirstRungs(try Self.run("bohb", seed: seed))
            hyperband += Self.laterFirstRungs(try Self.run("hyperband", seed: seed))
            allRandom += Self.laterFirstRungs(try Self.run("bohb", seed: seed, settings: [("random_fraction", "1")]))
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        #expect(median(bohb) < 0.7 * median(hyperband), "BOHB \(median(bohb)), hyperband \(median(hyperband))")
        #expect(median(allRandom) > 0.8 * median(hyperband))
    }

    @Test func checksItsSettings() throws {
        var experiment = try HyperbandTests.experiment([("r_l", "9"), ("resource_name", "epochs"), ("random_fraction", "1.5")])
        experiment.algorithm.algorithmName = "bohb"
        #expect(throws: SuggestionError("random_fraction must be in [0, 1]")) { try SuggestionService.makeAlgorithm(for: experiment) }
        // Katib's hyperband takes no random_fraction.
        experiment.algorithm.algorithmName = "hyperband"
        #expect(throws: SuggestionError("unknown setting random_fraction for algorithm hyperband")) {
            try SuggestionService.makeAlgorithm(for: experiment)
        }
    }
}
