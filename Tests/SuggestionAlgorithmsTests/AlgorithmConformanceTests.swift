import ExperimentModel
import SuggestionAlgorithms
import Testing

/// One suite over every algorithm (NIO's verifier / Optuna's sampler suite): feasibility, step grid, types,
/// determinism, exact counts, distinctness, empty and all-failed histories, both directions.
@Suite struct AlgorithmConformanceTests {
    static let algorithms = SuggestionService.supportedNames

    /// A mixed space every algorithm accepts (grid needs steps on doubles).
    static let specs: [ParameterSpec] = [
        ParameterSpec(name: "lr", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0.001", max: "0.1", step: "0.001", distribution: .logUniform)),
        ParameterSpec(name: "momentum", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0.5", max: "0.95", step: "0.05", distribution: .normal)),
        ParameterSpec(name: "layers", parameterType: .int, feasibleSpace: FeasibleSpace(min: "1", max: "9", step: "2")),
        ParameterSpec(name: "batch", parameterType: .int, feasibleSpace: FeasibleSpace(min: "16", max: "512", distribution: .logNormal)),
        ParameterSpec(name: "optimizer", parameterType: .categorical, feasibleSpace: FeasibleSpace(list: ["sgd", "adam", "ftrl"])),
        ParameterSpec(name: "dropout", parameterType: .discrete, feasibleSpace: FeasibleSpace(list: ["0.10", "0.2", "5e-1"])),
    ]

    static func experiment(_ algorithm: String, type: ObjectiveType = .minimize, seed: String? = "7") throws -> Experiment {
        try Experiment(
            name: "conformance", objective: Objective(type: type, objectiveMetricName: "loss"),
            algorithm: AlgorithmSpec(algorithmName: algorithm, algorithmSettings: seed.map { [AlgorithmSetting(name: "random_state", value: $0)] } ?? []),
            parameters: specs, parallelTrialCount: 1, maxTrialCount: 50)
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
        #expect(assignments.map(\.name) == specs.map(\.name))
        let values = Dictionary(uniqueKeysWithValues: assignments.map { ($0.name, $0.value) })
        let lr = Double(values["lr"]!)!, momentum = Double(values["momentum"]!)!
        #expect(lr >= 0.001 && lr <= 0.1)
        #expect(abs((lr - 0.001) / 0.001 - ((lr - 0.001) / 0.001).rounded()) < 1e-6, "lr \(lr) is off its step grid")
        #expect(momentum >= 0.5 && momentum <= 0.95)
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
}
