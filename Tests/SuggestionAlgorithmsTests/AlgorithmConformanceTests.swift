import Foundation
import ExperimentModel
import SuggestionAlgorithms
import Testing

/// One suite over every algorithm (NIO's verifier / Optuna's sampler suite): feasibility, step grid, types,
/// determinism, exact counts, distinctness, empty and all-failed histories, both directions — with start-up counts of
/// 1–2 and histories of 36 trials, so the model-based branches run, not only the random start. Hyperband and BOHB
/// answer in rungs (fewer points while a rung runs) and have their own suites.
@Suite struct AlgorithmConformanceTests {
    static let algorithms = SuggestionService.supportedNames.filter { !["hyperband", "bohb"].contains($0) }

    /// Settings that make every model-based algorithm leave its random start after one or two observations.
    static let modelSettings: [String: [AlgorithmSetting]] = [
        "tpe": [AlgorithmSetting(name: "n_startup_trials", value: "2")],
        "multivariate-tpe": [AlgorithmSetting(name: "n_startup_trials", value: "1")],
        "bayesianoptimization": [AlgorithmSetting(name: "n_initial_points", value: "2")],
        "cmaes": [AlgorithmSetting(name: "restart_strategy", value: "ipop")],
    ]

    /// A mixed space every algorithm accepts (grid needs steps on doubles).
    static let specs: [ParameterSpec] = [
        ParameterSpec(name: "lr", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0.001", max: "0.1", step: "0.001", distribution: .logUniform)),
        ParameterSpec(name: "momentum", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0.5", max: "0.95", step: "0.05", distribution: .normal)),
        ParameterSpec(name: "layers", parameterType: .int, feasibleSpace: FeasibleSpace(min: "1", max: "9", step: "2")),
        ParameterSpec(name: "batch", parameterType: .int, feasibleSpace: FeasibleSpace(min: "16", max: "512", distribution: .logNormal)),
        ParameterSpec(name: "optimizer", parameterType: .categorical, feasibleSpace: FeasibleSpace(list: ["sgd", "adam", "ftrl"])),
        ParameterSpec(name: "dropout", parameterType: .discrete, feasibleSpace: FeasibleSpace(list: ["0.10", "0.2", "5e-1"])),
    ]

    /// A continuous log-scaled double, for every algorithm but grid (which needs steps).
    static let continuous = ParameterSpec(
        name: "scale", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0.01", max: "100", distribution: .logUniform))

    static func specs(for algorithm: String) -> [ParameterSpec] { algorithm == "grid" ? specs : specs + [continuous] }

    static func experiment(_ algorithm: String, type: ObjectiveType = .minimize, seed: String? = "7") throws -> Experiment {
        let settings = (seed.map { [AlgorithmSetting(name: "random_state", value: $0)] } ?? []) + (modelSettings[algorithm] ?? [])
        return try Experiment(
            name: "conformance", objective: Objective(type: type, objectiveMetricName: "loss"),
            algorithm: AlgorithmSpec(algorithmName: algorithm, algorithmSettings: settings),
            parameters: specs(for: algorithm), parallelTrialCount: 1, maxTrialCount: 50)
    }

    static func suggest(
        _ algorithm: String, trials: [TrialRecord] = [], count: Int, issuedBefore: Int = 0, type: ObjectiveType = .minimize
    ) throws -> [[ParameterAssignment]] {
        let experiment = try experiment(algorithm, type: type)
        let points = try SuggestionService.makeAlgorithm(for: experiment).suggest(SuggestionContext(
            searchSpace: experiment.searchSpace, objective: experiment.objective, trials: trials, count: count,
            issuedBefore: issuedBefore, seed: 7))
        return points.map(experiment.searchSpace.assignments(for:))
    }

    static func checkFeasible(_ assignments: [ParameterAssignment]) {
        #expect(Array(assignments.map(\.name).prefix(specs.count)) == specs.map(\.name))
        if let scale = assignments.first(where: { $0.name == "scale" }) {
            #expect(Double(scale.value).map { (0.01...100).contains($0) } == true, "scale \(scale.value)")
        }
        let values = Dictionary(uniqueKeysWithValues: assignments.map { ($0.name, $0.value) })
        let lr = Double(values["lr"]!)!, momentum = Double(values["momentum"]!)!
        #expect(lr >= 0.001)
        #expect(lr <= 0.1)
        #expect(abs((lr - 0.001) / 0.001 - ((lr - 0.001) / 0.001).rounded()) < 1e-6, "lr \(lr) is off its step grid")
        #expect(momentum >= 0.5)
        #expect(momentum <= 0.95)
        #expect(abs((momentum - 0.5) / 0.05 - ((momentum - 0.5) / 0.05).rounded()) < 1e-6)
        let layers = Int(values["layers"]!)!, batch = Int(values["batch"]!)!
        #expect([1, 3, 5, 7, 9].contains(layers))
        #expect((16...512).contains(batch))
        #expect(["sgd", "adam", "ftrl"].contains(values["optimizer"]!))
        #expect(["0.10", "0.2", "5e-1"].contains(values["dropout"]!))
    }

    static func history(_ assignments: [[ParameterAssignment]], condition: TrialCondition, loss: (Int) -> Double) -> [TrialRecord] {
        assignments.enumerated().map { index, values in
            TrialRecord(
                name: "t\(index)", assignments: values, condition: condition,
                metrics: [MetricValue(name: "loss", value: String(loss(index)))])
        }
    }

    /// Each algorithm says how much work its suggestions take; servers answer only the cheap ones inline.
    @Test func algorithmsDeclareTheirCost() {
        let cheap = Set(SuggestionService.algorithms.filter { $0.cost == .cheap }.map { $0.algorithmName })
        #expect(cheap == ["random", "grid", "sobol"])
        #expect(SuggestionService.cost(ofAlgorithm: "tpe") == .modelBased)
        #expect(SuggestionService.cost(ofAlgorithm: "bayesianoptimization") == .modelBased)
        #expect(SuggestionService.cost(ofAlgorithm: "no-such-algorithm") == nil)
    }

    @Test(arguments: algorithms)
    func emptyHistoryGivesExactlyTheRequestedFeasiblePoints(_ algorithm: String) throws {
        let batch = try Self.suggest(algorithm, count: 5)
        #expect(batch.count == 5)
        batch.forEach(Self.checkFeasible)
        #expect(Set(batch.map { $0.map(\.value) }).count == 5, "a batch must not repeat a point")
    }

    @Test(arguments: algorithms)
    func sameInputsSameOutput(_ algorithm: String) throws {
        let first = try Self.suggest(algorithm, count: 4)
        let history = Self.history(first, condition: .succeeded) { Double($0) }
        #expect(try Self.suggest(algorithm, trials: history, count: 3, issuedBefore: 4)
            == Self.suggest(algorithm, trials: history, count: 3, issuedBefore: 4))
    }

    @Test(arguments: algorithms, [ObjectiveType.minimize, .maximize])
    func historyPointsAreNotRepeated(_ algorithm: String, type: ObjectiveType) throws {
        var history: [TrialRecord] = []
        for round in 0..<5 {
            let batch = try Self.suggest(algorithm, trials: history, count: 4, issuedBefore: history.count, type: type)
            batch.forEach(Self.checkFeasible)
            let seen = Set(history.map { $0.assignments.map(\.value) })
            #expect(batch.allSatisfy { !seen.contains($0.map(\.value)) }, "round \(round) repeated a point")
            history += Self.history(batch, condition: round % 2 == 0 ? .succeeded : .running) { Double($0 * 7 % 5) }
        }
    }

    @Test(arguments: algorithms)
    func allFailedHistoryStillSuggests(_ algorithm: String) throws {
        let first = try Self.suggest(algorithm, count: 3)
        let failed = Self.history(first, condition: .failed) { _ in .nan }
        let next = try Self.suggest(algorithm, trials: failed, count: 3, issuedBefore: 3)
        #expect(next.count == 3)
        next.forEach(Self.checkFeasible)
    }

    @Test(arguments: algorithms)
    func garbageInTheHistoryIsIgnored(_ algorithm: String) throws {
        let junk = [
            TrialRecord(name: "a", assignments: [ParameterAssignment(name: "lr", value: "oops")], condition: .succeeded,
                        metrics: [MetricValue(name: "loss", value: "unavailable")]),
            TrialRecord(name: "b", assignments: [], condition: .unknown),
        ]
        #expect(try Self.suggest(algorithm, trials: junk, count: 2).count == 2)
    }

    /// A smooth loss over every parameter, so the models have something to learn.
    static func loss(_ assignments: [ParameterAssignment]) -> Double {
        let values = Dictionary(uniqueKeysWithValues: assignments.map { ($0.name, $0.value) })
        let lr = Double(values["lr"]!)!, momentum = Double(values["momentum"]!)!
        let layers = Double(values["layers"]!)!, batch = Double(values["batch"]!)!
        let scale = values["scale"].flatMap(Double.init) ?? 1
        var loss = (log10(lr) + 2) * (log10(lr) + 2) + (momentum - 0.8) * (momentum - 0.8) + abs(layers - 5) / 10
        loss += abs(log2(batch) - 7) / 5 + abs(log10(scale)) / 3
        loss += values["optimizer"] == "adam" ? 0 : 0.3
        loss += values["dropout"] == "0.2" ? 0 : 0.1
        return loss
    }

    /// 36 trials from the algorithm itself (batches of 4; every seventh failed, the last batch still running), then
    /// a batch from the models: feasible, new, distinct and the same when asked again.
    @Test(arguments: algorithms, [ObjectiveType.minimize, .maximize])
    func modelBasedBranchesKeepTheInvariants(_ algorithm: String, type: ObjectiveType) throws {
        var history: [TrialRecord] = []
        let sign: Double = type == .minimize ? 1 : -1
        for round in 0..<9 {
            let batch = try Self.suggest(algorithm, trials: history, count: 4, issuedBefore: history.count, type: type)
            #expect(batch.count == 4)
            batch.forEach(Self.checkFeasible)
            for values in batch {
                let index = history.count
                let condition: TrialCondition = round == 8 ? .running : index % 7 == 6 ? .failed : .succeeded
                history.append(TrialRecord(
                    name: "t\(index)", assignments: values, condition: condition,
                    metrics: condition == .succeeded ? [MetricValue(name: "loss", value: String(sign * Self.loss(values)))] : []))
            }
        }
        let next = try Self.suggest(algorithm, trials: history, count: 4, issuedBefore: history.count, type: type)
        #expect(next.count == 4)
        next.forEach(Self.checkFeasible)
        let seen = Set(history.map { $0.assignments.map(\.value) })
        #expect(next.allSatisfy { !seen.contains($0.map(\.value)) }, "a model-based point repeated the history")
        #expect(Set(next.map { $0.map(\.value) }).count == 4, "a model-based batch repeated a point")
        #expect(try Self.suggest(algorithm, trials: history, count: 4, issuedBefore: history.count, type: type) == next)
    }
}
