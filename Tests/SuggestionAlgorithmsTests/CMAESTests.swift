import ExperimentModel
import Foundation
import NumericKernels
@testable import SuggestionAlgorithms
import Testing

@Suite struct CMAESTests {
    static func experiment(_ specs: [ParameterSpec], settings: [AlgorithmSetting] = []) throws -> Experiment {
        try Experiment(
            name: "e", objective: Objective(type: .minimize, objectiveMetricName: "loss"),
            algorithm: AlgorithmSpec(algorithmName: "cmaes", algorithmSettings: settings), parameters: specs,
            parallelTrialCount: 1)
    }

    static func double(_ name: String, _ min: String = "0", _ max: String = "1") -> ParameterSpec {
        ParameterSpec(name: name, parameterType: .double, feasibleSpace: FeasibleSpace(min: min, max: max))
    }

    @Test(arguments: [
        ([AlgorithmSetting(name: "restart_strategy", value: "rpop")], "restart_strategy rpop is not supported in CMAES optimization"),
        ([AlgorithmSetting(name: "sigma", value: "-0.1")], "sigma should be greate or equal than zero"),
        ([AlgorithmSetting(name: "sigma", value: "wide")], "failed to validate sigma(wide): could not convert string to float: 'wide'"),
        ([AlgorithmSetting(name: "popsize", value: "8")], "unknown setting popsize for algorithm cmaes"),
    ])
    func settingsUseKatibsMessages(settings: [AlgorithmSetting], message: String) throws {
        #expect(throws: SuggestionError(message)) {
            try SuggestionService.makeAlgorithm(for: Self.experiment([Self.double("a"), Self.double("b")], settings: settings))
        }
    }

    @Test func needsTwoNumericParameters() throws {
        let list = ParameterSpec(name: "c", parameterType: .categorical, feasibleSpace: FeasibleSpace(list: ["x", "y"]))
        #expect(throws: SuggestionError("CMA-ES only supports two or more dimensional continuous search space.")) {
            try SuggestionService.makeAlgorithm(for: Self.experiment([Self.double("a"), list]))
        }
        for strategy in ["none", "None", "ipop", "bipop"] {
            _ = try SuggestionService.makeAlgorithm(for: Self.experiment(
                [Self.double("a"), Self.double("b")], settings: [AlgorithmSetting(name: "restart_strategy", value: strategy)]))
        }
    }

    /// Runs a whole experiment through stateless calls (each rebuilding the distribution from the history).
    static func minimise(
        _ experiment: Experiment, budget: Int, batch: Int, seed: UInt64, _ f: ([Double]) -> Double
    ) throws -> Double {
        let algorithm = try SuggestionService.makeAlgorithm(for: experiment)
        var trials: [TrialRecord] = []
        var best = Double.infinity
        while trials.count < budget {
            let points = algorithm.suggest(SuggestionContext(
                searchSpace: experiment.searchSpace, objective: experiment.objective, trials: trials, count: batch,
                issuedBefore: trials.count, seed: seed))
            for point in points {
                let assignments = experiment.searchSpace.assignments(for: point)
                let value = f(assignments.map { Double($0.value)! })
                best = min(best, value)
                trials.append(TrialRecord(
                    name: "t\(trials.count)", assignments: assignments, condition: .succeeded,
                    metrics: [MetricValue(name: "loss", value: String(value))]))
            }
        }
        return best
    }

    @Test func convergesOnAnIllConditionedEllipsoidWhereRandomSearchDoesNot() throws {
        let specs = (0..<4).map { Self.double("x\($0)", "-2", "2") }
        let ellipsoid = { (x: [Double]) in
            x.enumerated().reduce(0) { $0 + pow(10, Double($1.offset)) * ($1.element - 0.5) * ($1.element - 0.5) }
        }
        var cma: [Double] = [], random: [Double] = []
        for seed: UInt64 in 1...5 {
            cma.append(try Self.minimise(Self.experiment(specs), budget: 480, batch: 3, seed: seed, ellipsoid))
            let randomExperiment = try Experiment(
                name: "e", objective: Objective(type: .minimize, objectiveMetricName: "loss"),
                algorithm: AlgorithmSpec(algorithmName: "random"), parameters: specs, parallelTrialCount: 1)
            random.append(try Self.minimise(randomExperiment, budget: 480, batch: 3, seed: seed, ellipsoid))
        }
        #expect(cma.sorted()[cma.count / 2] < 1e-2, "CMA-ES best values \(cma)")
        #expect(zip(cma, random).allSatisfy { $0 < $1 / 10 }, "CMA-ES \(cma) vs random \(random)")
    }

    @Test func oneGenerationMovesTheMeanTowardsTheBestMembers() {
        var state = CMAState(mean: [0.5, 0.5], sigma: 0.2, population: 6)
        // Ranked best first: the best half lies to the upper right.
        state.update(ranked: [[0.7, 0.7], [0.65, 0.6], [0.6, 0.65], [0.4, 0.4], [0.3, 0.5], [0.5, 0.3]])
        #expect(state.mean[0] > 0.6 && state.mean[1] > 0.6)
        // Recombination weights for λ = 6 (μ = 3): ln(3.5) − ln(i), normalised.
        let raw = (1...3).map { log(3.5) - log(Double($0)) }
        let w = raw.map { $0 / raw.reduce(0, +) }
        #expect(abs(state.mean[0] - (w[0] * 0.7 + w[1] * 0.65 + w[2] * 0.6)) < 1e-12)
        #expect(abs(state.covariance[0, 1] - state.covariance[1, 0]) < 1e-15)
    }

    /// A flat objective stalls every generation: after Hansen's window of 10 + ⌈30n/λ⌉ generations IPOP restarts with
    /// twice the population; without a restart strategy the population stays.
    @Test(arguments: [("ipop", 12), ("none", 6)])
    func ipopDoublesThePopulationWhenTheSearchStalls(strategy: String, population: Int) throws {
        let experiment = try Self.experiment(
            [Self.double("a"), Self.double("b")], settings: [AlgorithmSetting(name: "restart_strategy", value: strategy)])
        let trials = (0..<150).map { i in
            TrialRecord(
                name: "t\(i)",
                assignments: [ParameterAssignment(name: "a", value: String(Double(i % 10) / 10)), ParameterAssignment(name: "b", value: "0.5")],
                condition: .succeeded, metrics: [MetricValue(name: "loss", value: "1")])
        }
        let context = SuggestionContext(
            searchSpace: experiment.searchSpace, objective: experiment.objective, trials: trials, count: 1, issuedBefore: 150,
            seed: 2)
        let encoding = ParameterEncoding(experiment.searchSpace)
        var search = CMASearch(encoding: encoding, numeric: [0, 1], lists: [], initialSigma: 1.0 / 6, restarts: CMAES.RestartStrategy(rawValue: strategy)!, seed: 2)
        #expect(search.population == 6)
        search.replay(context)
        #expect(search.population == population)
    }

    /// `sigma` is in parameter units (log units for a log distribution), whatever the step: σ = 10 on [0, 1000] step
    /// 100 is 1 % of the range, not 10 % (the range counted in steps).
    @Test func sigmaIsInParameterUnits() throws {
        let int = ParameterSpec(name: "a", parameterType: .int, feasibleSpace: FeasibleSpace(min: "0", max: "1000", step: "100"))
        let double = ParameterSpec(name: "b", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0", max: "2000"))
        let experiment = try Self.experiment([int, double], settings: [AlgorithmSetting(name: "sigma", value: "10")])
        let cmaes = try CMAES(experiment: experiment)
        #expect(abs(cmaes.initialStepSize(encoding: ParameterEncoding(experiment.searchSpace), numeric: [0, 1]) - 0.01) < 1e-12)
    }

    @Test func integerParametersKeepMovingThanksToTheMargin() throws {
        let specs = [
            ParameterSpec(name: "a", parameterType: .int, feasibleSpace: FeasibleSpace(min: "0", max: "20")),
            ParameterSpec(name: "b", parameterType: .int, feasibleSpace: FeasibleSpace(min: "0", max: "20")),
        ]
        let best = try Self.minimise(Self.experiment(specs), budget: 120, batch: 2, seed: 5) { x in
            (x[0] - 13) * (x[0] - 13) + (x[1] - 4) * (x[1] - 4)
        }
        #expect(best == 0)
    }
}

@Suite struct EncodingBoundsTests {
    /// A 5,000-entry list is one ordinal coordinate for the GP, not 5,000 one-hot ones; CMA-ES draws it from counts.
    @Test(arguments: ["bayesianoptimization", "cmaes"])
    func aLongListDoesNotBlowUpTheModels(_ algorithm: String) throws {
        let specs = [
            ParameterSpec(name: "x", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0", max: "1")),
            ParameterSpec(name: "y", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0", max: "1")),
            ParameterSpec(name: "c", parameterType: .categorical, feasibleSpace: FeasibleSpace(list: (0..<5000).map { "v\($0)" })),
        ]
        let settings = algorithm == "cmaes" ? [] : [AlgorithmSetting(name: "n_initial_points", value: "2")]
        let experiment = try Experiment(
            name: "e", objective: Objective(type: .minimize, objectiveMetricName: "loss"),
            algorithm: AlgorithmSpec(algorithmName: algorithm, algorithmSettings: settings), parameters: specs,
            parallelTrialCount: 1)
        #expect(ParameterEncoding(experiment.searchSpace).cubeWidth == 3)
        let trials = (0..<20).map { i in
            TrialRecord(
                name: "t\(i)",
                assignments: [
                    ParameterAssignment(name: "x", value: String(Double(i) / 20)), ParameterAssignment(name: "y", value: "0.5"),
                    ParameterAssignment(name: "c", value: "v\(i * 97 % 5000)"),
                ],
                condition: .succeeded, metrics: [MetricValue(name: "loss", value: String(Double(i % 7)))])
        }
        let points = try SuggestionService.makeAlgorithm(for: experiment).suggest(SuggestionContext(
            searchSpace: experiment.searchSpace, objective: experiment.objective, trials: trials, count: 3,
            issuedBefore: 20, seed: 1))
        #expect(points.count == 3)
    }

    @Test func cmaesBoundsItsDimension() throws {
        let specs = (0...CMAES.maxDimensions).map {
            ParameterSpec(name: "p\($0)", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0", max: "1"))
        }
        let experiment = try Experiment(
            name: "e", objective: Objective(type: .minimize, objectiveMetricName: "loss"),
            algorithm: AlgorithmSpec(algorithmName: "cmaes"), parameters: specs, parallelTrialCount: 1)
        #expect(throws: SuggestionError("cmaes supports at most 100 int and double parameters; the experiment has 101")) {
            try SuggestionService.makeAlgorithm(for: experiment)
        }
    }
}
