import ExperimentModel
import KatibWire
import SuggestionAlgorithms
import Testing

@Suite struct RandomSearchTests {
    static func experiment(_ specs: [ParameterSpec], algorithm: String = "random", settings: [AlgorithmSetting] = [], maxTrials: Int? = nil) throws -> Experiment {
        try Experiment(
            name: "e", objective: Objective(type: .minimize, objectiveMetricName: "loss"),
            algorithm: AlgorithmSpec(algorithmName: algorithm, algorithmSettings: settings), parameters: specs,
            parallelTrialCount: 1, maxTrialCount: maxTrials)
    }

    static func run(_ experiment: Experiment, trials: [TrialRecord] = [], count: Int, issuedBefore: Int = 0, seed: UInt64 = 1) throws -> [[String]] {
        try SuggestionService.makeAlgorithm(for: experiment).suggest(SuggestionContext(
            searchSpace: experiment.searchSpace, objective: experiment.objective, trials: trials, count: count,
            issuedBefore: issuedBefore, seed: seed)).map { experiment.searchSpace.assignments(for: $0).map(\.value) }
    }

    @Test func integersAreUniformIncludingTheEnds() throws {
        // Hyperopt gives the end values half weight; we must not.
        let experiment = try Self.experiment([ParameterSpec(name: "n", parameterType: .int, feasibleSpace: FeasibleSpace(min: "2", max: "5"))])
        var counts: [String: Int] = [:]
        for i in 0..<4000 { counts[try Self.run(experiment, count: 1, issuedBefore: i)[0][0], default: 0] += 1 }
        #expect(Set(counts.keys) == ["2", "3", "4", "5"])
        #expect(counts.values.allSatisfy { abs($0 - 1000) < 150 })
    }

    @Test func normalAndLogUniformRespectBoundsAndShape() throws {
        let experiment = try Self.experiment([
            ParameterSpec(name: "n", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0", max: "6", distribution: .normal)),
            ParameterSpec(name: "l", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0.001", max: "1000", distribution: .logUniform)),
        ])
        let points = try Self.run(experiment, count: 2000)
        let normal = points.map { Double($0[0])! }, log = points.map { Double($0[1])! }
        #expect(normal.allSatisfy { (0...6).contains($0) })
        let inner = normal.filter { (2...4).contains($0) }.count
        #expect(inner > 1250, "N(3, 1) truncated to [0, 6] puts ~68 % within one σ; got \(inner) of 2000")
        #expect(log.allSatisfy { (0.001...1000).contains($0) })
        let belowOne = log.filter { $0 < 1 }.count
        #expect(abs(belowOne - 1000) < 130, "log-uniform puts half the mass below the geometric midpoint")
    }

    @Test func aRepeatedRequestGetsTheSameReplyAndTheStreamMovesOn() throws {
        let experiment = try Self.experiment([ParameterSpec(name: "x", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0", max: "1"))])
        #expect(try Self.run(experiment, count: 3, issuedBefore: 5) == Self.run(experiment, count: 3, issuedBefore: 5))
        #expect(try Self.run(experiment, count: 3, issuedBefore: 5) != Self.run(experiment, count: 3, issuedBefore: 6))
        #expect(try Self.run(experiment, count: 1, seed: 1) != Self.run(experiment, count: 1, seed: 2))
    }

    @Test func aSmallSpaceIsCoveredBeforeAnyRepeatThenKeepsAnswering() throws {
        let experiment = try Self.experiment([
            ParameterSpec(name: "a", parameterType: .categorical, feasibleSpace: FeasibleSpace(list: ["x", "y", "z"])),
            ParameterSpec(name: "b", parameterType: .int, feasibleSpace: FeasibleSpace(min: "0", max: "1")),
        ])
        let batch = try Self.run(experiment, count: 6)
        #expect(Set(batch).count == 6)
        let more = try Self.run(experiment, count: 8)
        #expect(more.count == 8)
        #expect(Set(more).count == 6)
    }

    @Test func settingsAreValidatedWithKatibsMessages() throws {
        let specs = [ParameterSpec(name: "x", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0", max: "1"))]
        #expect(throws: SuggestionError("random_state should be great or equal than zero")) {
            try SuggestionService.makeAlgorithm(for: Self.experiment(specs, settings: [AlgorithmSetting(name: "random_state", value: "-1")]))
        }
        #expect(throws: SuggestionError("unknown setting n_EI_candidates for algorithm random")) {
            try SuggestionService.makeAlgorithm(for: Self.experiment(specs, settings: [AlgorithmSetting(name: "n_EI_candidates", value: "5")]))
        }
        #expect(throws: SuggestionError("pbt is a Katib algorithm (its PBT service; population-based training needs checkpoint volumes shared between trials) that tunekit does not implement; tunekit implements random, grid, tpe, multivariate-tpe, bayesianoptimization, cmaes, sobol, hyperband, bohb")) {
            try SuggestionService.makeAlgorithm(for: Self.experiment(specs, algorithm: "pbt"))
        }
        #expect(throws: SuggestionError("unknown algorithm name hyperbandd; supported: random, grid, tpe, multivariate-tpe, bayesianoptimization, cmaes, sobol, hyperband, bohb")) {
            try SuggestionService.makeAlgorithm(for: Self.experiment(specs, algorithm: "hyperbandd"))
        }
    }
}

@Suite struct GridSearchTests {
    static let specs = [
        ParameterSpec(name: "lr", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0.01", max: "0.05", step: "0.01")),
        ParameterSpec(name: "opt", parameterType: .categorical, feasibleSpace: FeasibleSpace(list: ["sgd", "adam"])),
    ]

    @Test func visitsTheCartesianProductInOrderThenReissues() throws {
        let experiment = try RandomSearchTests.experiment(Self.specs, algorithm: "grid")
        #expect(experiment.searchSpace.finiteSize == 10)
        var history: [TrialRecord] = []
        var seen: [[String]] = []
        for _ in 0..<4 {
            let batch = try RandomSearchTests.run(experiment, trials: history, count: 3, issuedBefore: history.count)
            #expect(batch.count == 3)
            seen += batch
            history += batch.map { values in
                TrialRecord(name: "t", assignments: zip(["lr", "opt"], values).map { ParameterAssignment(name: $0, value: $1) }, condition: .running)
            }
        }
        #expect(Array(seen.prefix(4)) == [["0.01", "sgd"], ["0.01", "adam"], ["0.02", "sgd"], ["0.02", "adam"]])
        #expect(Set(seen.prefix(10)).count == 10, "every grid point once before any repeat")
        #expect(seen[10] == ["0.01", "sgd"], "an exhausted grid re-issues points in order")
    }

    @Test func randomStatePermutesEveryPointExactlyOnce() throws {
        let experiment = try RandomSearchTests.experiment(Self.specs, algorithm: "grid", settings: [AlgorithmSetting(name: "random_state", value: "3")])
        let all = try RandomSearchTests.run(experiment, count: 10)
        #expect(Set(all).count == 10)
        #expect(all[0] != ["0.01", "sgd"] || all[1] != ["0.01", "adam"])
    }

    @Test func validationMatchesKatib() {
        let continuous = [ParameterSpec(name: "lr", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0", max: "1"))]
        #expect(throws: SuggestionError("failed to validate parameters(lr): Param lr step is nil; For discrete search space, all parameters must include step")) {
            try SuggestionService.makeAlgorithm(for: RandomSearchTests.experiment(continuous, algorithm: "grid"))
        }
        #expect(throws: SuggestionError("Max Trial Count: 11 > all possible search combinations: 10")) {
            try SuggestionService.makeAlgorithm(for: RandomSearchTests.experiment(Self.specs, algorithm: "grid", maxTrials: 11))
        }
    }
}

@Suite struct SuggestionServiceTests {
    static let exampleJSON = """
            {"experiment": {"name": "random", "spec": {
               "parameterSpecs": {"parameters": [
                 {"name": "lr", "parameterType": "DOUBLE", "feasibleSpace": {"min": "0.01", "max": "0.05"}},
                 {"name": "num-layers", "parameterType": "INT", "feasibleSpace": {"min": "2", "max": "5"}},
                 {"name": "optimizer", "parameterType": "CATEGORICAL", "feasibleSpace": {"list": ["sgd", "adam", "ftrl"]}}]},
               "objective": {"type": "MAXIMIZE", "objectiveMetricName": "accuracy"},
               "algorithm": {"algorithmName": "random", "algorithmSettings": [{"name": "random_state", "value": "10"}]}}},
             "trials": [], "currentRequestNumber": 2, "totalRequestNumber": 4}
            """

    @Test func answersKatibsExampleRequestWithExactlyTheRequestedSets() throws {
        let request = try KatibJSON.decode(GetSuggestionsRequest.self, from: Data(Self.exampleJSON.utf8))
        let reply = try SuggestionService.getSuggestions(request, fallbackSeed: 99)
        #expect(reply.parameterAssignments.count == 2)
        #expect(reply.parameterAssignments.allSatisfy { $0.assignments.map(\.name) == ["lr", "num-layers", "optimizer"] })
        // random_state wins over the fallback seed.
        #expect(try SuggestionService.getSuggestions(request, fallbackSeed: 1) == reply)
    }

    /// A cached experiment answers exactly as a fresh conversion; the cache stays within its capacity; a request whose
    /// experiment is invalid is refused every time (failures are not kept).
    @Test func preparedExperimentsAnswerAsFreshOnes() throws {
        let prepared = PreparedExperiments(capacity: 2)
        for algorithm in ["random", "tpe", "bayesianoptimization"] {
            for seed in 0..<3 {
                var json = Self.exampleJSON.replacingOccurrences(of: "\"random\"", with: "\"\(algorithm)\"")
                json = json.replacingOccurrences(of: "\"10\"", with: "\"\(seed)\"")
                let request = try KatibJSON.decode(GetSuggestionsRequest.self, from: Data(json.utf8))
                let fresh = try SuggestionService.getSuggestions(request, fallbackSeed: 5)
                #expect(try SuggestionService.getSuggestions(request, fallbackSeed: 5, prepared: prepared) == fresh)
                #expect(try SuggestionService.getSuggestions(request, fallbackSeed: 5, prepared: prepared) == fresh)
            }
        }
        #expect(prepared.count <= 2)
        let invalid = try KatibJSON.decode(GetSuggestionsRequest.self, from: Data(#"{"experiment": {"spec": {"algorithm": {"algorithmName": "tpe"}}}, "currentRequestNumber": 1}"#.utf8))
        for _ in 0..<2 {
            #expect(throws: KatibStatus.invalidArgument("the experiment declares no parameters")) {
                try SuggestionService.getSuggestions(invalid, fallbackSeed: 1, prepared: prepared)
            }
        }
    }

    @Test func invalidRequestsAreInvalidArgument() throws {
        let json = #"{"experiment": {"spec": {"algorithm": {"algorithmName": "random"}}}, "currentRequestNumber": 1}"#
        let request = try KatibJSON.decode(GetSuggestionsRequest.self, from: Data(json.utf8))
        #expect(throws: KatibStatus.invalidArgument("the experiment declares no parameters")) {
            try SuggestionService.getSuggestions(request, fallbackSeed: 1)
        }
    }
}

import Foundation
