// Runs each tunekit algorithm on the benchmark problems (problems.json, shared with the Python peers) sequentially,
// one suggestion per trial, and prints one JSON line per run: regret at 25/50/100 % of the budget and the mean
// wall time of the last 10 suggestions.
import ExperimentModel
import Foundation
import ModelTraining
import SuggestionAlgorithms

struct Problem: Decodable {
    struct Parameter: Decodable {
        let name: String
        let type: String
        let min: String?
        let max: String?
        let step: String?
        let log: Bool?
        let list: [String]?
    }
    let name: String
    let budget: Int
    /// The optimum's value; nil for a table problem (its smallest entry).
    let optimum: Double?
    /// A table of cached trainings (seoul-gbdt-table.py, heldout-tables.py), relative to the problems file.
    let table: String?
    let parameters: [Parameter]
}

/// Cached trainings: each parameter's grid values and the loss at each grid point, keyed by the points' grid indices
/// ("i,j,k,l"). seoul-gbdt-table.py stores its losses as `rmse`, heldout-tables.py as `loss`.
struct Table: Decodable {
    let grid: [String: [String]]
    let losses: [String: Double]

    enum CodingKeys: String, CodingKey { case grid, rmse, loss }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        grid = try container.decode([String: [String]].self, forKey: .grid)
        losses = try container.decodeIfPresent([String: Double].self, forKey: .loss)
            ?? container.decode([String: Double].self, forKey: .rmse)
    }

    /// The key of the grid point nearest to a suggestion: per parameter the nearest grid value (in log space for log
    /// parameters; a categorical's own value).
    func key(_ problem: Problem, _ v: [String: String]) -> String {
        problem.parameters.map { p in
            let values = grid[p.name]!
            if p.type == "categorical" { return String(values.firstIndex(of: v[p.name]!)!) }
            let scale: (Double) -> Double = p.log == true ? { Foundation.log($0) } : { $0 }
            let x = scale(Double(v[p.name]!)!)
            let distances = values.map { abs(scale(Double($0)!) - x) }
            return String(distances.firstIndex(of: distances.min()!)!)
        }.joined(separator: ",")
    }
}

func evaluate(_ problem: Problem, _ v: [String: String], table: Table?) -> Double {
    func d(_ name: String) -> Double { Double(v[name]!)! }
    if let table { return table.losses[table.key(problem, v)]! }
    switch problem.name {
    case "mixed-steps":
        // The best learning rate and depth depend on the booster; the optimum (0) lies on the grid.
        let booster = v["booster"]!
        let rateTarget: Double = ["gbtree": -1.5, "dart": -2.0, "linear": -0.5][booster]!
        let depthTarget: Double = ["gbtree": 8, "dart": 6, "linear": 2][booster]!
        let boosterPenalty: Double = ["gbtree": 0, "dart": 0.1, "linear": 0.4][booster]!
        let activationPenalty: Double = ["relu": 0.2, "tanh": 0.3, "gelu": 0, "sigmoid": 0.6][v["activation"]!]!
        let rate: Double = pow(log10(d("eta")) - rateTarget, 2)
        let depth: Double = pow((d("depth") - depthTarget) / 4, 2)
        let estimators: Double = 0.5 * pow(log(d("estimators") / 400), 2)
        let subsample: Double = 4 * pow(d("subsample") - 0.8, 2)
        return rate + depth + estimators + subsample + boosterPenalty + activationPenalty
    case "branin":
        let x1 = d("x1"), x2 = d("x2")
        let b: Double = 5.1 / (4 * Double.pi * Double.pi), c: Double = 5 / Double.pi, t: Double = 1 / (8 * Double.pi)
        let inner: Double = x2 - b * x1 * x1 + c * x1 - 6
        return inner * inner + 10 * (1 - t) * cos(x1) + 10
    case "hartmann6":
        let alpha = [1.0, 1.2, 3.0, 3.2]
        let a: [[Double]] = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
        let p: [[Double]] = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
                             [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
        let x = (0..<6).map { d("x\($0)") }
        var total = 0.0
        for i in 0..<4 {
            var inner = 0.0
            for j in 0..<6 { inner += a[i][j] * (x[j] - p[i][j]) * (x[j] - p[i][j]) }
            total += alpha[i] * exp(-inner)
        }
        return -total
    case "rosenbrock4":
        let x = (0..<4).map { d("x\($0)") }
        var total = 0.0
        for i in 0..<3 { total += 100 * pow(x[i + 1] - x[i] * x[i], 2) + pow(1 - x[i], 2) }
        return total
    default:
        let penalties: [String: Double] = ["sgd": 1.0, "adam": 0.0, "rmsprop": 0.5]
        let rate: Double = pow(log10(d("lr")) + 2, 2)
        let depth: Double = pow((d("layers") - 6) / 3, 2)
        let batch: Double = pow(log2(d("batch")) - 7, 2) / 4
        let dropout: Double = 10 * pow(d("dropout") - 0.2, 2)
        return rate + depth + batch + penalties[v["optimizer"]!]! + dropout
    }
}

/// An algorithm with optional settings: "name" or "name:key=value:key=value" (reported under the whole string).
func algorithmSpec(_ text: String) -> AlgorithmSpec {
    let parts = text.split(separator: ":").map(String.init)
    return AlgorithmSpec(algorithmName: parts[0], algorithmSettings: parts.dropFirst().map {
        let pair = $0.split(separator: "=", maxSplits: 1).map(String.init)
        return AlgorithmSetting(name: pair[0], value: pair.count > 1 ? pair[1] : "")
    })
}

let arguments = CommandLine.arguments
let problems = try JSONDecoder().decode([Problem].self, from: Data(contentsOf: URL(fileURLWithPath: arguments[1])))
/// Seeds "N" (0..<N) or "A-B" (A...B): held-out problems run on seeds apart from the ones the algorithms were tuned on.
let seeds: [Int] = {
    let bounds = arguments[2].split(separator: "-").compactMap { Int($0) }
    return bounds.count == 2 ? Array(bounds[0]...bounds[1]) : Array(0..<(bounds.first ?? 10))
}()
let algorithms = arguments.count > 3 ? arguments[3].split(separator: ",").map(String.init)
    : ["random", "tpe", "multivariate-tpe", "bayesianoptimization", "cmaes", "sobol"]
let problemFilter = arguments.count > 4 ? Set(arguments[4].split(separator: ",").map(String.init)) : nil
let folder = URL(fileURLWithPath: arguments[1]).deletingLastPathComponent()
for problem in problems where problemFilter?.contains(problem.name) ?? true {
    let table = try problem.table.map {
        try JSONDecoder().decode(Table.self, from: Data(contentsOf: folder.appendingPathComponent($0)))
    }
    let optimum = problem.optimum ?? table!.losses.values.min()!
    let specs = problem.parameters.map { p -> ParameterSpec in
        switch p.type {
        case "categorical":
            ParameterSpec(name: p.name, parameterType: .categorical, feasibleSpace: FeasibleSpace(list: p.list!))
        default:
            ParameterSpec(
                name: p.name, parameterType: p.type == "int" ? .int : .double,
                feasibleSpace: FeasibleSpace(min: p.min, max: p.max, step: p.step, distribution: p.log == true ? .logUniform : .uniform))
        }
    }
    for algorithm in algorithms {
        for seed in seeds {
            let experiment = try Experiment(
                name: "bench", objective: Objective(type: .minimize, objectiveMetricName: "loss"),
                algorithm: algorithmSpec(algorithm), parameters: specs, parallelTrialCount: 1,
                maxTrialCount: problem.budget)
            let search: any SuggestionAlgorithm
            do {
                search = try SuggestionService.makeAlgorithm(for: experiment)
            } catch {
                // An algorithm that refuses the space (CMA-ES with one numeric parameter) is reported, not run.
                let line = ["tool": "tunekit", "algorithm": algorithm, "problem": problem.name, "skipped": "\(error)"]
                FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]) + Data("\n".utf8))
                break
            }
            var history: [TrialRecord] = []
            var best = Double.infinity
            var bestPoint = ""
            var curve: [Double] = []
            var times: [Double] = []
            let clock = ContinuousClock()
            for index in 0..<problem.budget {
                let start = clock.now
                let point = search.suggest(SuggestionContext(
                    searchSpace: experiment.searchSpace, objective: experiment.objective, trials: history, count: 1,
                    issuedBefore: index, seed: UInt64(seed)))[0]
                let elapsed = clock.now - start
                times.append(elapsed.inSeconds)
                let assignments = experiment.searchSpace.assignments(for: point)
                let values = Dictionary(uniqueKeysWithValues: assignments.map { ($0.name, $0.value) })
                let loss = evaluate(problem, values, table: table)
                if loss < best { (best, bestPoint) = (loss, assignments.map { "\($0.name)=\($0.value)" }.joined(separator: " ")) }
                curve.append(best - optimum)
                history.append(TrialRecord(name: "t\(index)", assignments: assignments, condition: .succeeded,
                                           metrics: [MetricValue(name: "loss", value: String(loss))]))
            }
            let at = { (fraction: Double) in curve[max(0, Int((Double(problem.budget) * fraction).rounded()) - 1)] }
            let last = times.suffix(10)
            let line: [String: Any] = [
                "tool": "tunekit", "algorithm": algorithm, "problem": problem.name, "seed": seed,
                "regret25": at(0.25), "regret50": at(0.5), "regret100": at(1), "seconds_per_suggestion": last.reduce(0, +) / Double(last.count), "best": bestPoint,
            ]
            FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]) + Data("\n".utf8))
        }
    }
}
