// Multi-fidelity benchmark: tunekit's hyperband and BOHB vs random search at the same total resource, on synthetic learning
// curves (hyperband_peers.py runs Optuna's HyperbandPruner on the same curves). One JSON line per run: the best loss
// among trials trained with the full resource, the resource used and the number of trials.
//
// Curves: loss(x, t) = a(x) + c(x)/√t for t epochs, with an asymptote a and a slowness c that disagree (a high
// dropout is slow to train but fine in the end), so early rungs can drop configurations that would have won.
// Usage: HyperbandBench SEEDS
import ExperimentModel
import Foundation
import SuggestionAlgorithms

let maxEpochs = 81

func loss(_ v: [String: String], epochs: Double) -> Double {
    func d(_ name: String) -> Double { Double(v[name]!)! }
    let asymptote = pow(log10(d("lr")) + 2.5, 2) / 4 + pow((d("depth") - 6) / 4, 2)
        + pow(log2(d("width")) - 6, 2) / 16 + 2 * pow(d("dropout") - 0.15, 2)
    let slowness = 1 + 2 * d("dropout") + 1 / (1 + 50 * d("lr"))
    return asymptote + slowness / epochs.squareRoot()
}

func space(withEpochs: Bool) -> [ParameterSpec] {
    var specs = [
        ParameterSpec(name: "lr", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0.0001", max: "1", distribution: .logUniform)),
        ParameterSpec(name: "depth", parameterType: .int, feasibleSpace: FeasibleSpace(min: "1", max: "10")),
        ParameterSpec(name: "width", parameterType: .int, feasibleSpace: FeasibleSpace(min: "16", max: "256", distribution: .logUniform)),
        ParameterSpec(name: "dropout", parameterType: .double, feasibleSpace: FeasibleSpace(min: "0", max: "0.5")),
    ]
    if withEpochs {
        specs.append(ParameterSpec(name: "epochs", parameterType: .int, feasibleSpace: FeasibleSpace(min: "1", max: "\(maxEpochs)")))
    }
    return specs
}

struct Run {
    var trials: [TrialRecord] = []
    var epochsUsed = 0
    var bestFull = Double.infinity

    mutating func record(_ assignments: [ParameterAssignment], epochs: Int) {
        let values = Dictionary(uniqueKeysWithValues: assignments.map { ($0.name, $0.value) })
        let value = loss(values, epochs: Double(epochs))
        epochsUsed += epochs
        if epochs == maxEpochs { bestFull = min(bestFull, value) }
        trials.append(TrialRecord(
            name: "t\(trials.count)", assignments: assignments, condition: .succeeded,
            metrics: [MetricValue(name: "loss", value: String(value))]))
    }
}

func experiment(_ algorithm: String, settings: [AlgorithmSetting], withEpochs: Bool) throws -> Experiment {
    try Experiment(
        name: "curves", objective: Objective(type: .minimize, objectiveMetricName: "loss"),
        algorithm: AlgorithmSpec(algorithmName: algorithm, algorithmSettings: settings), parameters: space(withEpochs: withEpochs),
        parallelTrialCount: maxEpochs)
}

func emit(_ algorithm: String, _ seed: Int, _ run: Run) throws {
    let line: [String: Any] = [
        "tool": "tunekit", "algorithm": algorithm, "seed": seed, "best_full": run.bestFull, "epochs": run.epochsUsed,
        "trials": run.trials.count,
    ]
    FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]) + Data("\n".utf8))
}

let seeds = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 30
for seed in 0..<seeds {
    // Hyperband and BOHB (the same schedule, model-based first rungs): whole rungs at a time until the last bracket.
    var budget = 0
    for name in ["hyperband", "bohb"] {
        let hyperband = try experiment(name, settings: [
            AlgorithmSetting(name: "r_l", value: "\(maxEpochs)"), AlgorithmSetting(name: "eta", value: "3"),
            AlgorithmSetting(name: "resource_name", value: "epochs"),
        ], withEpochs: true)
        let algorithm = try SuggestionService.makeAlgorithm(for: hyperband)
        let hyperbandSpace = algorithm.contextSpace ?? hyperband.searchSpace
        var run = Run()
        while true {
            let points = algorithm.suggest(SuggestionContext(
                searchSpace: hyperbandSpace, objective: hyperband.objective, trials: run.trials, count: 1000,
                issuedBefore: run.trials.count, seed: UInt64(seed)))
            if points.isEmpty { break }
            for point in points {
                let assignments = hyperbandSpace.assignments(for: point)
                run.record(assignments, epochs: Int(assignments.first { $0.name == "epochs" }!.value)!)
            }
        }
        try emit(name, seed, run)
        budget = run.epochsUsed
    }

    // Random search with every trial at the full resource, until the same number of epochs is spent.
    let random = try experiment("random", settings: [], withEpochs: false)
    let search = try SuggestionService.makeAlgorithm(for: random)
    var baseline = Run()
    while baseline.epochsUsed + maxEpochs <= budget {
        let point = search.suggest(SuggestionContext(
            searchSpace: random.searchSpace, objective: random.objective, trials: baseline.trials, count: 1,
            issuedBefore: baseline.trials.count, seed: UInt64(seed)))[0]
        baseline.record(random.searchSpace.assignments(for: point), epochs: maxEpochs)
    }
    try emit("random", seed, baseline)
}
