// Runs each tunekit algorithm on the benchmark problems (problems.json, shared with the Python peers) sequentially,
// one suggestion per trial, and prints one JSON line per run: regret at 25/50/100 % of the budget and the mean
// wall time of the last 10 suggestions.
import ExperimentModel
import ExperimentRunner
import Foundation
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
    let optimum: Double
    let parameters: [Parameter]
}

func evaluate(_ problem: String, _ v: [String: String]) -> Double {
    func d(_ name: String) -> Double { Double(v[name]!)! }
    switch problem {
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

let arguments = CommandLine.arguments
let problems = try JSONDecoder().decode([Problem].self, from: Data(contentsOf: URL(fileURLWithPath: arguments[1])))
let seeds = Int(arguments[2]) ?? 10
let algorithms = arguments.count > 3 ? arguments[3].split(separator: ",").map(String.init) : ["random", "tpe", "multivariate-tpe", "bayesianoptimization"]
let problemFilter = arguments.count > 4 ? Set(arguments[4].split(separator: ",").map(String.init)) : nil
for problem in problems where problemFilter?.contains(problem.name) ?? true {
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
        for seed in 0..<seeds {
            let experiment = try Experiment(
                name: "bench", objective: Objective(type: .minimize, objectiveMetricName: "loss"),
                algorithm: AlgorithmSpec(algorithmName: algorithm), parameters: specs, parallelTrialCount: 1,
                maxTrialCount: problem.budget)
            let search = try SuggestionService.makeAlgorithm(for: experiment)
            var history: [TrialRecord] = []
            var best = Double.infinity
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
                let loss = evaluate(problem.name, Dictionary(uniqueKeysWithValues: assignments.map { ($0.name, $0.value) }))
                best = min(best, loss)
                curve.append(best - problem.optimum)
                history.append(TrialRecord(name: "t\(index)", assignments: assignments, condition: .succeeded,
                                           metrics: [MetricValue(name: "loss", value: String(loss))]))
            }
            let at = { (fraction: Double) in curve[max(0, Int((Double(problem.budget) * fraction).rounded()) - 1)] }
            let last = times.suffix(10)
            let line: [String: Any] = [
                "tool": "tunekit", "algorithm": algorithm, "problem": problem.name, "seed": seed,
                "regret25": at(0.25), "regret50": at(0.5), "regret100": at(1), "seconds_per_suggestion": last.reduce(0, +) / Double(last.count),
            ]
            FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]) + Data("\n".utf8))
        }
    }
}
