import ExperimentModel
import Foundation
import Testing
@testable import SuggestionAlgorithms

@Suite struct TPETests {
    @Test func parzenDensityIntegratesToOne() {
        let estimator = ParzenEstimator(observations: [0.1, 0.15, 0.7, 2.4], low: -1, high: 3, priorWeight: 1)
        let steps = 40_000
        let width = 4.0 / Double(steps)
        let integral = (0..<steps).reduce(0.0) { $0 + exp(estimator.logDensity(-1 + (Double($1) + 0.5) * width)) * width }
        #expect(abs(integral - 1) < 1e-3)
        // Grid cells of width 1 over [−0.5, 4.5] hold all the mass too.
        let grid = ParzenEstimator(observations: [0, 1, 1, 3], low: -0.5, high: 4.5, priorWeight: 1)
        let mass = (0...4).reduce(0.0) { $0 + exp(grid.logDensity(Double($1), cell: (Double($1) - 0.5, Double($1) + 0.5))) }
        #expect(abs(mass - 1) < 1e-9)
    }

    @Test func componentDensitiesMixToTheDensity() {
        // Σⱼ wⱼ exp(log pⱼ(x)) is the mixture density, both for points and for grid cells.
        let estimator = ParzenEstimator(observations: [0.1, 0.15, 0.7, 2.4], low: -1, high: 3, priorWeight: 1)
        for (x, cell) in [(0.3, nil), (2.9, nil), (1.0, (0.75, 1.25))] as [(Double, (lower: Double, upper: Double)?)] {
            var logs = [Double](repeating: 0, count: estimator.weights.count)
            estimator.addLogComponentDensities(x, cell: cell, into: &logs)
            let mixed = zip(estimator.weights, logs).reduce(0.0) { $0 + $1.0 * exp($1.1) }
            #expect(abs(log(mixed) - estimator.logDensity(x, cell: cell)) < 1e-12)
        }
    }

    @Test func logIntegersOwnTheirLinearCells() throws {
        // Each integer of a log range stands for [v − ½, v + ½] on the log axis, as in the random draws and Optuna's
        // TPE: the end value 2 of 2...64 is as likely under a log-uniform prior as it is for random search.
        let space = try SearchSpace(specs: [
            ParameterSpec(name: "n", parameterType: .int, feasibleSpace: FeasibleSpace(min: "2", max: "64", distribution: .logUniform)),
        ])
        let parameter = ParameterEncoding(space).parameters[0]
        guard case .grid(let axis) = parameter.kind else { Issue.record("an int is a grid"); return }
        #expect(abs(axis.cell(0).lower - log(1.5)) < 1e-12 && abs(axis.cell(0).upper - log(2.5)) < 1e-12)
        #expect(abs(parameter.bounds.high - log(64.5)) < 1e-12)
        for k in 0..<(axis.count - 1) { #expect(abs(axis.cell(k).upper - axis.cell(k + 1).lower) < 1e-12) }
        #expect(axis.nearestIndex(to: log(2.49)) == 0 && axis.nearestIndex(to: log(2.51)) == 1)
        #expect(axis.nearestIndex(to: log(1.0)) == 0 && axis.nearestIndex(to: log(100.0)) == axis.count - 1)
        // The cells partition the axis: a Parzen estimator's cell masses sum to one.
        let (low, high) = parameter.bounds
        let estimator = ParzenEstimator(observations: [log(2), log(5), log(40)], low: low, high: high, priorWeight: 1)
        let mass = (0..<axis.count).reduce(0.0) { $0 + exp(estimator.logDensity(axis.position($1), cell: axis.cell($1))) }
        #expect(abs(mass - 1) < 1e-9)
    }

    /// Every grid value reads back as itself, the cells tile the axis, and the first cell's lower edge never crosses 0:
    /// steps above 1, a first value below half a step, a stepped log double, ranges up to 2·10⁹.
    @Test(arguments: [
        ("int", "2", "64", nil), ("int", "1", "1000", "3"), ("double", "0.01", "1", "0.01"),
        ("int", "1", "2000000000", nil),
    ] as [(String, String, String, String?)])
    func logGridValuesRoundTripThroughTheirCells(type: String, min: String, max: String, step: String?) throws {
        let space = try SearchSpace(specs: [
            ParameterSpec(
                name: "v", parameterType: type == "int" ? .int : .double,
                feasibleSpace: FeasibleSpace(min: min, max: max, step: step, distribution: .logUniform)),
        ])
        let parameter = ParameterEncoding(space).parameters[0]
        guard case .grid(let axis) = parameter.kind else { Issue.record("\(type) with a step is a grid"); return }
        let indices = axis.count <= 10_000 ? Array(0..<axis.count) : [0, 1, 2, 3, 1000, axis.count / 2, axis.count - 2, axis.count - 1]
        for k in indices {
            #expect(axis.nearestIndex(to: axis.position(k)) == k, "value \(axis.value(at: k))")
            let cell = axis.cell(k)
            #expect(cell.lower < axis.position(k) && axis.position(k) < cell.upper)
            if k + 1 < axis.count { #expect(abs(cell.upper - axis.cell(k + 1).lower) < 1e-12) }
            #expect(axis.nearestIndex(to: cell.lower) == k)
        }
        #expect(axis.cell(0).lower.isFinite)
    }

    @Test func multivariateTPEScoresLogGridValuesByTheirCells() throws {
        // One dimension: the joint estimator's density of a grid value is its cell's mass under the same mixture.
        let space = try SearchSpace(specs: [
            ParameterSpec(name: "n", parameterType: .int, feasibleSpace: FeasibleSpace(min: "2", max: "64", distribution: .logUniform)),
        ])
        let encoding = ParameterEncoding(space)
        let parameter = encoding.parameters[0]
        guard case .grid(let axis) = parameter.kind else { Issue.record("an int is a grid"); return }
        let joint = JointParzen(encoding: encoding, points: [[.int(2)], [.int(3)], [.int(40)]], priorWeight: 1)
        let (low, high) = parameter.bounds
        let single = ParzenEstimator(observations: [log(2), log(3), log(40)], low: low, high: high, priorWeight: 1)
        for k in [0, 1, 5, 38, axis.count - 1] {
            let x = axis.position(k)
            #expect(abs(joint.logDensity([x]) - single.logDensity(x, cell: axis.cell(k))) < 1e-9)
        }
    }

    @Test func intervalProbabilitiesKeepTheirDigits() {
        // Values from mpmath at 40 digits: an upper tail, where Φ(b) − Φ(a) would cancel to 0, and a narrow interval.
        #expect(abs(normalProbability(from: 9, to: 10) / 1.128512207423599e-19 - 1) < 1e-9)
        // 1 + 2⁻²⁷ is exact in binary, so the interval's width is too.
        #expect(abs(normalProbability(from: 1, to: 1 + 0x1p-27) / 1.8028223784098935e-9 - 1) < 1e-10)
        #expect(normalProbability(from: 2, to: 2) == 0)
        // A cell too narrow to have width (a log grid past 10¹⁴) is scored at its point, not floored.
        let estimator = ParzenEstimator(observations: [33.0, 34.0], low: 30, high: 37, priorWeight: 1)
        #expect(abs(estimator.logDensity(34, cell: (34, 34)) - estimator.logDensity(34)) < 1e-12)
    }

    @Test func normalCDFKnownValues() {
        #expect(abs(normalCDF(0) - 0.5) < 1e-15)
        #expect(abs(normalCDF(1.959963984540054) - 0.975) < 1e-12)
    }

    static func experiment(_ algorithm: String, settings: [AlgorithmSetting] = []) throws -> Experiment {
        try Experiment(
            name: "quadratic", objective: Objective(type: .minimize, objectiveMetricName: "loss"),
            algorithm: AlgorithmSpec(algorithmName: algorithm, algorithmSettings: settings),
            parameters: [
                ParameterSpec(name: "x", parameterType: .double, feasibleSpace: FeasibleSpace(min: "-5", max: "5")),
                ParameterSpec(name: "y", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0.001", max: "1000", distribution: .logUniform)),
                ParameterSpec(name: "n", parameterType: .int, feasibleSpace: FeasibleSpace(min: "1", max: "40")),
                ParameterSpec(name: "c", parameterType: .categorical, feasibleSpace: FeasibleSpace(list: ["a", "b", "c", "d"])),
            ], parallelTrialCount: 1, maxTrialCount: 60)
    }

    /// Runs a sequential experiment and returns the best loss: (x − 1)² + (log10 y − 1)² + ((n − 30)/10)² + [c ≠ "c"].
    static func bestLoss(_ algorithm: String, seed: UInt64, trials: Int = 60) throws -> Double {
        let experiment = try experiment(algorithm)
        let search = try SuggestionService.makeAlgorithm(for: experiment)
        var history: [TrialRecord] = []
        var best = Double.infinity
        for index in 0..<trials {
            let point = search.suggest(SuggestionContext(
                searchSpace: experiment.searchSpace, objective: experiment.objective, trials: history, count: 1,
                issuedBefore: index, seed: seed))[0]
            let assignments = experiment.searchSpace.assignments(for: point)
            let v = Dictionary(uniqueKeysWithValues: assignments.map { ($0.name, $0.value) })
            let x = Double(v["x"]!)!, y = log10(Double(v["y"]!)!), n = Double(v["n"]!)!
            let loss = (x - 1) * (x - 1) + (y - 1) * (y - 1) + ((n - 30) / 10) * ((n - 30) / 10) + (v["c"] == "c" ? 0 : 1)
            best = min(best, loss)
            history.append(TrialRecord(name: "t\(index)", assignments: assignments, condition: .succeeded,
                                       metrics: [MetricValue(name: "loss", value: String(loss))]))
        }
        return best
    }

    @Test(arguments: ["tpe", "multivariate-tpe"])
    func beatsRandomSearchOnAMixedQuadratic(algorithm: String) throws {
        let seeds: [UInt64] = [1, 2, 3, 4, 5, 6, 7]
        let tpe = try seeds.map { try Self.bestLoss(algorithm, seed: $0) }.sorted()
        let random = try seeds.map { try Self.bestLoss("random", seed: $0) }.sorted()
        #expect(tpe[3] < random[3], "median best loss: tpe \(tpe[3]) vs random \(random[3])")
    }

    @Test(arguments: [
        ("gamma", "1.5", "gamma should be in the range of (0, 1)"),
        ("prior_weight", "0", "prior_weight should be great than zero"),
        ("n_EI_candidates", "0", "n_EI_candidates should be great than zero"),
        ("n_startup_trials", "-1", "n_startup_trials should be greate or equal than zero"),
        ("n_trees", "3", "unknown setting n_trees for algorithm tpe"),
    ])
    func settingsAreValidatedWithKatibsMessages(name: String, value: String, message: String) {
        #expect(throws: SuggestionError(message)) {
            try SuggestionService.makeAlgorithm(for: Self.experiment("tpe", settings: [AlgorithmSetting(name: name, value: value)]))
        }
    }

    @Test(arguments: [
        ("n_ei_candidates", "-1", "n_ei_candidates should be greate or equal than zero"),
        ("gamma", "0.2", "unknown setting gamma for algorithm multivariate-tpe"),
    ])
    func multivariateSettingsFollowKatibsOptunaService(name: String, value: String, message: String) {
        #expect(throws: SuggestionError(message)) {
            try SuggestionService.makeAlgorithm(for: Self.experiment("multivariate-tpe", settings: [AlgorithmSetting(name: name, value: value)]))
        }
    }

    /// An early-stopped trial's value is where its curve was cut: TPE ranks it after every finished trial however
    /// good the value (Optuna's pruned trials), and the GP leaves it out.
    @Test func earlyStoppedTrialsRankAfterFinishedOnes() throws {
        let space = try SearchSpace(specs: [
            ParameterSpec(name: "x", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0", max: "1")),
        ])
        func trial(_ name: String, _ x: Double, _ loss: Double, _ condition: TrialCondition) -> TrialRecord {
            TrialRecord(
                name: name, assignments: [ParameterAssignment(name: "x", value: String(x))], condition: condition,
                metrics: [MetricValue(name: "loss", value: String(loss))])
        }
        let trials = [trial("a", 0.1, 5, .succeeded), trial("b", 0.2, 0.5, .earlyStopped), trial("c", 0.3, 4, .succeeded), trial("d", 0.4, 1, .earlyStopped)]
        let context = SuggestionContext(
            searchSpace: space, objective: Objective(type: .minimize, objectiveMetricName: "loss"), trials: trials, count: 1,
            issuedBefore: 4, seed: 1)
        let history = ObservationHistory(context)
        #expect(history.ranked.map(\.loss) == [4, 5, 0.5, 1])
        #expect(history.rankedCount == 4)
        #expect(history.observed.count == 2)
        #expect(history.stopped.count == 2)
        #expect(history.split(goodCount: 1).good == [[.double(0.3)]])
    }
}
