import ExperimentModel
import KatibWire
@testable import SuggestionAlgorithms
import Testing

@Suite struct EarlyStoppingTests {
    static func spec(_ name: String, _ settings: [(String, String)]) -> AlgorithmSpec {
        AlgorithmSpec(algorithmName: name, algorithmSettings: settings.map { AlgorithmSetting(name: $0.0, value: $0.1) })
    }

    /// Katib's medianstop: the mean over succeeded trials of the average of their first start_step reports.
    @Test func medianStopRuleIsTheMeanOfEarlyAverages() throws {
        let stop = try MedianStop(Self.spec("medianstop", [("min_trials_required", "2"), ("start_step", "2")]))
        #expect(stop.rule(succeeded: [[4, 2, 1]], objective: .minimize) == nil, "one trial is fewer than min_trials_required")
        // Averages of the first two reports: (4+2)/2 = 3 and (6+4)/2 = 5; their mean is 4.
        let rule = try #require(stop.rule(succeeded: [[4, 2, 1], [6, 4, 3, 2]], objective: .minimize))
        #expect(rule.checkpoints == [.init(step: 2, threshold: 4)])
        #expect(!rule.shouldStop([5]), "checked only at the start_step-th report")
        #expect(rule.shouldStop([5, 4.5]), "best 4.5 is worse than 4")
        #expect(!rule.shouldStop([5, 3.9]))
        #expect(!rule.shouldStop([5, 4]), "equal is not worse")
        let maximize = try #require(stop.rule(succeeded: [[0.5, 0.7], [0.6, 0.8]], objective: .maximize))
        #expect(maximize.shouldStop([0.5, 0.6]) && !maximize.shouldStop([0.9, 0.1]))
    }

    @Test(arguments: [
        ([("min_trials_required", "0")], "min_trials_required must be greater than zero (>0)"),
        ([("start_step", "0")], "start_step must be greater or equal than one (>=1)"),
        ([("start_step", "x")], "failed to validate start_step(x): invalid literal for int() with base 10: 'x'"),
        ([("patience", "3")], "unknown setting patience for algorithm medianstop"),
        ([("start_step", "4294967296")], "start_step must be at most 2147483647, got 4294967296"),
    ])
    func medianStopSettingsUseKatibsMessages(settings: [(String, String)], message: String) {
        #expect(throws: SuggestionError(message)) { try MedianStop(Self.spec("medianstop", settings)) }
    }

    /// Successive halving: at rungs 1, 3, 9 a trial must be within the best third of the finished trials there.
    @Test func ashaKeepsTheBestFractionAtEachRung() throws {
        let asha = try SuccessiveHalving(Self.spec("asha", [("min_resource", "1"), ("reduction_factor", "3"), ("min_trials_required", "3")]))
        let curves: [ObjectiveCurve] = (1...6).map { k in (1...10).map { step in Double(k) + 10 / Double(step) } }
        let rule = try #require(asha.rule(succeeded: curves, objective: .minimize))
        // At step s the best of trial k is k + 10/s; six trials, keep the best 6/3 = 2: threshold is trial 2's value.
        #expect(rule.checkpoints.map(\.step) == [1, 3, 9])
        let expected: [Double] = [12, 2 + 10.0 / 3, 2 + 10.0 / 9]
        #expect(rule.checkpoints.map(\.threshold) == expected)
        #expect(rule.shouldStop([12.5]) && !rule.shouldStop([11.9]))
        #expect(throws: SuggestionError("reduction_factor must be greater or equal than two (>=2)")) {
            try SuccessiveHalving(Self.spec("asha", [("reduction_factor", "1")]))
        }
    }

    /// Optuna's MedianPruner: after the start-up trials, each report past the warm-up is compared with the median of
    /// the succeeded trials' values at that same report (those that reached it).
    @Test func medianPrunerComparesAtTheSameStep() throws {
        let pruner = try MedianPruner(Self.spec("medianpruner", [("n_startup_trials", "3"), ("n_warmup_steps", "1")]))
        #expect(pruner.rule(succeeded: [[5, 4], [6, 5]], objective: .minimize) == nil, "fewer than n_startup_trials")
        let rule = try #require(pruner.rule(succeeded: [[9, 5, 3], [8, 6, 4, 2], [7, 7]], objective: .minimize))
        // Report 1 is warm-up; report 2: median(5, 6, 7) = 6; report 3: median(3, 4) = 3.5; report 4: 2.
        #expect(rule.checkpoints == [.init(step: 2, threshold: 6), .init(step: 3, threshold: 3.5), .init(step: 4, threshold: 2)])
        #expect(!rule.shouldStop([100]), "warm-up")
        #expect(rule.shouldStop([10, 6.5]) && !rule.shouldStop([10, 6]) && !rule.shouldStop([10, 5.9]))
        #expect(rule.shouldStop([10, 5, 3.6]) && !rule.shouldStop([10, 3.4, 9]), "the best value so far counts, as in Optuna")
        let every = try MedianPruner(Self.spec("medianpruner", [("n_startup_trials", "1"), ("interval_steps", "2")]))
        #expect(try #require(every.rule(succeeded: [[1, 2, 3, 4, 5]], objective: .maximize)).checkpoints.map(\.step) == [1, 3, 5])
        #expect(throws: SuggestionError("interval_steps must be greater or equal than one (>=1)")) {
            try MedianPruner(Self.spec("medianpruner", [("interval_steps", "0")]))
        }
    }

    /// `finished_trials: best_so_far`: finished trials count with their best value up to the step, and with their
    /// final best after their last report, so a slow trial still meets a threshold after the fast ones have ended.
    @Test func medianPrunerCanCarryFinishedTrialsForward() throws {
        let pruner = try MedianPruner(Self.spec("medianpruner", [
            ("n_startup_trials", "3"), ("finished_trials", "best_so_far"), ("interval_steps", "2"),
        ]))
        #expect(pruner.bestSoFar && pruner.intervalSteps == 2)
        // Best so far: [9, 5, 3, 3, 3], [8, 6, 4, 2], [7, 7]; steps 1, 3, 5 (the longest curve's length).
        let rule = try #require(pruner.rule(succeeded: [[9, 5, 3, 4, 3.5], [8, 6, 4, 2], [7, 7]], objective: .minimize))
        // Step 1: median(9, 8, 7) = 8; step 3: median(3, 4, 7) = 4; step 5: median(3, 2, 7) = 3.
        #expect(rule.checkpoints == [.init(step: 1, threshold: 8), .init(step: 3, threshold: 4), .init(step: 5, threshold: 3)])
        #expect(rule.continuing == .init(from: 7, every: 2, threshold: 3))
        // After the longest curve, every second step compares with the median of the final bests (3, 2, 7).
        #expect(rule.shouldStop(step: 7, best: 3.1) && rule.shouldStop(step: 401, best: 3.1))
        #expect(!rule.shouldStop(step: 6, best: 3.1), "not an interval step")
        #expect(!rule.shouldStop(step: 7, best: 3))
        // Optuna's default leaves a trial alone after the longest finished curve, and uses the reported values.
        let reported = try MedianPruner(Self.spec("medianpruner", [("n_startup_trials", "3"), ("interval_steps", "2")]))
        let optuna = try #require(reported.rule(succeeded: [[9, 5, 3, 4, 3.5], [8, 6, 4, 2], [7, 7]], objective: .minimize))
        #expect(optuna.checkpoints == [.init(step: 1, threshold: 8), .init(step: 3, threshold: 3.5), .init(step: 5, threshold: 3.5)])
        #expect(!optuna.shouldStop(step: 7, best: 100))
        let maximize = try #require(pruner.rule(succeeded: [[1, 3, 2], [2, 2], [0, 1, 4]], objective: .maximize))
        // Best so far: [1, 3, 3], [2, 2, 2], [0, 1, 4]: step 1 median(1, 2, 0) = 1; step 3 median(3, 2, 4) = 3.
        #expect(maximize.checkpoints == [.init(step: 1, threshold: 1), .init(step: 3, threshold: 3)])
        // A longest curve off the interval grid: checkpoints at 1 and 3, then the final bests' median (2, 2, 7) from 5.
        let offGrid = try #require(pruner.rule(succeeded: [[9, 5, 3, 2], [8, 6, 4, 2], [7, 7]], objective: .minimize))
        #expect(offGrid.checkpoints.map(\.step) == [1, 3] && offGrid.continuing == .init(from: 5, every: 2, threshold: 2))
        #expect(offGrid.shouldStop(step: 5, best: 2.5) && !offGrid.shouldStop(step: 4, best: 2.5))
        // Every finished curve ended within the warm-up: no checkpoint, but the final bests still judge later reports.
        let warm = try MedianPruner(Self.spec("medianpruner", [
            ("n_startup_trials", "2"), ("n_warmup_steps", "10"), ("finished_trials", "best_so_far"),
        ]))
        let ended = try #require(warm.rule(succeeded: [[5, 4], [6, 3, 3.5]], objective: .minimize))
        #expect(ended.checkpoints.isEmpty && ended.continuing == .init(from: 11, every: 1, threshold: 3.5))
        #expect(!ended.shouldStop(step: 10, best: 9) && ended.shouldStop(step: 11, best: 3.6) && !ended.shouldStop(step: 12, best: 3.5))
        #expect(try MedianPruner(Self.spec("medianpruner", [("n_startup_trials", "2"), ("n_warmup_steps", "10")]))
            .rule(succeeded: [[5, 4], [6, 3, 3.5]], objective: .minimize) == nil, "Optuna's comparison: nothing after the curves")
        #expect(throws: SuggestionError("finished_trials must be as_reported or best_so_far, got last")) {
            try MedianPruner(Self.spec("medianpruner", [("finished_trials", "last")]))
        }
    }

    @Test func serviceRulesReadObservationLogs() throws {
        let log = { (values: [Double]) in values.map { MetricValue(name: "loss", value: String($0)) } }
        let trial = { (name: String, condition: String, values: [Double]) in
            KatibTrial(
                name: name, spec: .init(parameterAssignments: .init(assignments: [])),
                status: .init(condition: ProtoEnum(stringLiteral: condition), observation: .init(metrics: [])),
                observationLog: log(values))
        }
        let experiment = KatibExperiment(name: "e", spec: KatibExperimentSpec(
            objective: KatibObjective(type: "MINIMIZE", objectiveMetricName: "loss"),
            earlyStopping: KatibAlgorithm(algorithmName: "medianstop", algorithmSettings: [
                AlgorithmSetting(name: "min_trials_required", value: "2"), AlgorithmSetting(name: "start_step", value: "2"),
            ])))
        let request = GetEarlyStoppingRulesRequest(
            experiment: experiment,
            trials: [trial("a", "SUCCEEDED", [4, 2, 1]), trial("b", "RUNNING", [9, 9]), trial("c", "SUCCEEDED", [6, 4])],
            dbManagerAddress: "katib-db-manager.kubeflow:6789")
        let reply = try EarlyStoppingService.rules(request)
        #expect(reply.earlyStoppingRules == [KatibEarlyStoppingRule(name: "loss", value: "4.0", comparison: "GREATER", startStep: 2)])
        // Averages that overflow to infinity give no rule rather than a value of "inf".
        let huge = GetEarlyStoppingRulesRequest(
            experiment: experiment,
            trials: [trial("a", "SUCCEEDED", [1.7e308, 1.7e308]), trial("c", "SUCCEEDED", [1.7e308, 1.7e308])],
            dbManagerAddress: "")
        #expect(try EarlyStoppingService.rules(huge).earlyStoppingRules.isEmpty)
        // medianpruner's threshold changes every report: Katib's collector cannot apply it, so the service refuses it.
        let pruned = KatibExperiment(name: "e", spec: KatibExperimentSpec(
            objective: KatibObjective(type: "MINIMIZE", objectiveMetricName: "loss"),
            earlyStopping: KatibAlgorithm(algorithmName: "medianpruner", algorithmSettings: [])))
        #expect(throws: KatibStatus.self) {
            try EarlyStoppingService.rules(GetEarlyStoppingRulesRequest(experiment: pruned, trials: [], dbManagerAddress: ""))
        }
    }

    /// A rule with a checkpoint at every report is checked by step (binary search) and the running best: the same
    /// answers as the whole curve gives.
    @Test func checkingByStepAgreesWithTheWholeCurve() throws {
        let pruner = try MedianPruner(Self.spec("medianpruner", [("n_startup_trials", "3"), ("interval_steps", "3")]))
        let finished: [ObjectiveCurve] = (1...4).map { k in (1...300).map { Double(k) + 100 / Double($0) } }
        let rule = try #require(pruner.rule(succeeded: finished, objective: .minimize))
        let running: [Double] = (1...300).map { step in
            let bump: Double = step % 7 == 0 ? 3 : 0
            return 2.4 + 100 / Double(step) + bump
        }
        var best = Double.infinity
        for step in 1...running.count {
            best = min(best, running[step - 1])
            #expect(rule.shouldStop(step: step, best: best) == rule.shouldStop(Array(running.prefix(step))), "step \(step)")
        }
    }
}
