import Foundation
import Testing

import ExperimentRunner
@testable import RunAnalysis

@Suite struct ParameterImportanceTests {
    @Test(arguments: ["numeric", "mixed"])
    func functionalANOVAOfOneTreeEqualsOptunas(problemName: String) {
        // The same scikit-learn tree: the variance decomposition must agree to rounding.
        let tree = problemName == "numeric" ? FanovaReference.numericTree : FanovaReference.mixedTree
        let fractions = ParameterImportance.mainEffectFractions([tree.nodes], bounds: tree.bounds, groups: tree.groups)
        for (ours, optunas) in zip(fractions, tree.optunaFractions) {
            #expect(abs(ours - optunas) < 1e-12, "\(fractions) vs \(tree.optunaFractions)")
        }
    }

    @Test func oneUnsampledTreeIsScikitLearnsTree() {
        // Without bootstrap a tree is grown on all rows: it must be DecisionTreeRegressor's tree, whatever order the
        // features are tried in, down to where ties begin (deep nodes hold a few rows that two columns split alike,
        // and each library breaks such a tie its own way): the first four levels here, then the fANOVA fractions
        // stay within 0.01 of those on scikit-learn's tree.
        let problem = FanovaReference.numeric, tree = FanovaReference.numericTree
        let names = problem.parameters.map(\.name)
        let rows = problem.trials.map { trial in names.map { Double(trial.parameters[$0]!)! } }
        for seed: UInt64 in [1, 2, 3] {
            let forest = RegressionForest(
                rows: rows, targets: problem.trials.map(\.value), trees: 1, maxDepth: 64, seed: seed, bootstrap: false)
            #expect(preorder(forest.trees[0], depth: 4) == preorder(tree.nodes, depth: 4))
            let fractions = ParameterImportance.mainEffectFractions(forest.trees, bounds: tree.bounds, groups: tree.groups)
            for (ours, optunas) in zip(fractions, tree.optunaFractions) {
                #expect(abs(ours - optunas) < 0.01, "seed \(seed): \(fractions) vs \(tree.optunaFractions)")
            }
        }
    }

    /// The splits (column, threshold) and leaf values down to a depth, root first, left before right.
    private func preorder(_ nodes: [RegressionForest.Node], depth limit: Int) -> [[Double]] {
        var result: [[Double]] = [], pending = [(0, 0)]
        while let (index, depth) = pending.popLast(), depth < limit {
            let node = nodes[index]
            if node.feature < 0 { result.append([node.value]) } else {
                result.append([Double(node.feature), node.threshold])
                pending += [(node.right, depth + 1), (node.left, depth + 1)]
            }
        }
        return result
    }

    /// Forests grown from different random draws differ, in Optuna from seed to seed too: tunekit's importances must
    /// lie within 0.03 (absolute, on a 0…1 scale) of the mean of Optuna's over 20 seeds, or within 3 of Optuna's own
    /// seed-to-seed standard deviations where that is wider, and rank the parameters as Optuna does wherever Optuna's
    /// means differ by more than that tolerance. (Measured: at most 0.017 apart, on the mixed problem's learning rate.)
    @Test(arguments: ["numeric", "mixed", "tpe"])
    func forestImportancesAgreeWithOptunas(problemName: String) {
        let problem = switch problemName {
        case "numeric": FanovaReference.numeric
        case "mixed": FanovaReference.mixed
        default: FanovaReference.tpe
        }
        let importances = ParameterImportance.fanova(parameters: problem.parameters, trials: problem.trials, seed: 0)
        #expect(abs(importances.values.reduce(0, +) - 1) < 1e-12)
        func tolerance(_ name: String) -> Double { max(0.03, 3 * problem.optunaSpread[name]!) }
        for (name, optunas) in problem.optunaMean {
            #expect(abs(importances[name]! - optunas) <= tolerance(name), "\(name): \(importances[name]!) vs Optuna's \(optunas)")
        }
        for (first, a) in problem.optunaMean {
            for (second, b) in problem.optunaMean where a > b + tolerance(first) + tolerance(second) {
                #expect(importances[first]! > importances[second]!, "\(first) ranks above \(second) in Optuna")
            }
        }
    }

    @Test func sameSeedSameImportancesAndDegenerateInputs() {
        let problem = FanovaReference.tpe
        let first = ParameterImportance.fanova(parameters: problem.parameters, trials: problem.trials, trees: 8, seed: 5)
        #expect(first == ParameterImportance.fanova(parameters: problem.parameters, trials: problem.trials, trees: 8, seed: 5))
        // One trial, a constant objective, a parameter that cannot vary, trials with unknown or missing values.
        let parameters: [RecordedParameter] = [
            .init(name: "x", domain: .numeric(low: 0, high: 1)), .init(name: "fixed", domain: .numeric(low: 2, high: 2)),
            .init(name: "c", domain: .categorical(choices: ["only"])),
        ]
        let one = ParameterImportance.fanova(parameters: parameters, trials: [(["x": "0.5", "fixed": "2", "c": "only"], 1)])
        #expect(one == ["x": 0, "fixed": 0, "c": 0])
        let flat = (0..<10).map { (["x": "\(Double($0) / 10)", "fixed": "2", "c": "only"], 3.0) }
        #expect(ParameterImportance.fanova(parameters: parameters, trials: flat) == ["x": 0, "fixed": 0, "c": 0])
        let ragged = (0..<10).map { (["x": "\(Double($0) / 10)", "fixed": "2", "c": "only"], Double($0)) }
            + [(["x": "abc"], 5.0), (["c": "other", "x": "0.1"], 9.0), (["x": "0.3"], .nan)]
        #expect(ParameterImportance.fanova(parameters: parameters, trials: ragged) == ["x": 1, "fixed": 0, "c": 0])
    }

    @Test func marginalPredictionsAverageOverTheOtherParameters() {
        // y = 10·[c = b] + x on a grid of x in [0, 1]: fixing c moves the prediction by 10, fixing x by x.
        var trials: [(parameters: [String: String], value: Double)] = []
        for step in 0...20 {
            let x = Double(step) / 20
            for choice in ["a", "b"] { trials.append((["c": choice, "x": "\(x)"], (choice == "b" ? 10 : 0) + x)) }
        }
        let analysis = ParameterImportance.Analysis(
            parameters: [.init(name: "c", domain: .categorical(choices: ["a", "b"])), .init(name: "x", domain: .numeric(low: 0, high: 1))],
            trials: trials, seed: 3)
        #expect(analysis.trialCount == 42)
        #expect(abs(analysis.marginal(["c": "b"])! - analysis.marginal(["c": "a"])! - 10) < 0.5)
        #expect(abs(analysis.marginal(["x": "0.9"])! - analysis.marginal(["x": "0.1"])! - 0.8) < 0.15)
        #expect(abs(analysis.marginal(["c": "b", "x": "0.5"])! - 10.5) < 0.5)
        #expect(abs(analysis.marginal([:])! - 5.5) < 0.5)
        #expect(analysis.marginal(["c": "z"]) == nil && analysis.marginal(["x": "nan"]) == nil)
        #expect(analysis.importances["c"]! > 0.9)
    }

    @Test func hostileSearchSpacesAndRunsStayBounded() {
        // 50,000 declared choices, 300 chosen: only chosen ones become columns, so this is quick and small.
        let choices = (0..<50_000).map { "c\($0)" }
        let trials = (0..<1_000).map { index -> (parameters: [String: String], value: Double) in
            let choice = (index * 37) % 300, x = Double(index % 17) / 17
            return (["c": choices[choice * 101], "x": "\(x)"], Double(choice % 7) + x)
        }
        let wide = ParameterImportance.Analysis(
            parameters: [.init(name: "c", domain: .categorical(choices: choices)), .init(name: "x", domain: .numeric(low: 0, high: 1))],
            trials: trials, trees: 4)
        #expect(wide.trialCount == 1_000 && wide.importances["c"]! > wide.importances["x"]!)
        #expect(wide.marginal(["c": "c0"]) != nil && wide.marginal(["c": "c7"]) == nil, "the forest knows nothing of a choice no trial took")
        // Bounds that cannot be a range, a duplicated name: nothing varies, nothing crashes.
        let odd = ParameterImportance.fanova(
            parameters: [.init(name: "huge", domain: .numeric(low: -1e308, high: 1e308)), .init(name: "huge", domain: .numeric(low: 1, high: 0))],
            trials: [(["huge": "0"], 1), (["huge": "1"], 2)])
        #expect(odd == ["huge": 0])
        // Values outside their bounds are left out, not clamped into empty boxes: here only `b` is usable.
        let outside = (0..<20).map { (["a": "\(5 + $0 % 2)", "b": "\(Double($0) / 20)"], Double($0 % 2)) }
            + (0..<20).map { (["a": "\(Double($0 % 2))", "b": "\(Double($0) / 20)"], Double($0) / 20) }
        let bounded = ParameterImportance.Analysis(
            parameters: [.init(name: "a", domain: .numeric(low: 0, high: 1)), .init(name: "b", domain: .numeric(low: 0, high: 1))],
            trials: outside, trees: 8)
        #expect(bounded.trialCount == 20 && bounded.importances["b"]! > 0.9)
        // More trials than the cap: the most recent ones are used.
        let many = (0..<(ParameterImportance.maxTrials + 7)).map { (["x": "\(Double($0 % 100) / 100)"], Double($0 % 100)) }
        let capped = ParameterImportance.Analysis(parameters: [.init(name: "x", domain: .numeric(low: 0, high: 1))], trials: many, trees: 1)
        #expect(capped.trialCount == ParameterImportance.maxTrials && capped.importances == ["x": 1])
    }
}
