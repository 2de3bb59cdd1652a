"""Regenerates Tests/RunAnalysisTests/FanovaReference.swift from Optuna's fANOVA importance evaluator.

Usage: python3 Tools/reference/fanova_reference.py > Tests/RunAnalysisTests/FanovaReference.swift
Needs numpy, scikit-learn and optuna (the versions used are written into the output header).

Records, for three sets of trials, Optuna's `get_param_importances` with `FanovaImportanceEvaluator(seed=s)` over
20 seeds (mean and standard deviation: the forest's own seed-to-seed spread is the scale a second implementation
can be judged on), and for two of them a single scikit-learn tree with Optuna's per-parameter variance fractions
computed on it (an exact check of the functional-ANOVA arithmetic, independent of how forests are grown).
"""
import numpy as np
import optuna
import sklearn
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.importance import FanovaImportanceEvaluator, get_param_importances
from optuna.importance._fanova._tree import _FanovaTree
from optuna._transform import _SearchSpaceTransform
from sklearn.tree import DecisionTreeRegressor

optuna.logging.set_verbosity(optuna.logging.ERROR)
rng = np.random.default_rng(20261202)
SEEDS = range(20)


def study_from(distributions, rows, values):
    study = optuna.create_study()
    for params, value in zip(rows, values):
        study.add_trial(optuna.trial.create_trial(params=params, distributions=distributions, value=value))
    return study


def numeric_problem():
    # Uniform random trials; x dominates through a quadratic, y is weak and linear, n is nearly irrelevant.
    distributions = {
        "x": FloatDistribution(0, 10), "y": FloatDistribution(-5, 5), "n": IntDistribution(1, 100),
    }
    rows = [{"x": float(rng.uniform(0, 10)), "y": float(rng.uniform(-5, 5)), "n": int(rng.integers(1, 101))}
            for _ in range(80)]
    values = [(r["x"] - 3) ** 2 + 1.5 * r["y"] + 0.01 * r["n"] + rng.normal(0, 0.5) for r in rows]
    return distributions, rows, values


def mixed_problem():
    # A categorical with three choices next to a log-ranged double and an int, with an interaction.
    booster = ["gbtree", "dart", "linear"]
    distributions = {
        "booster": CategoricalDistribution(booster), "learning_rate": FloatDistribution(0.001, 0.3, log=True),
        "max_depth": IntDistribution(2, 12),
    }
    rows = [{"booster": booster[int(rng.integers(0, 3))], "learning_rate": float(np.exp(rng.uniform(np.log(0.001), np.log(0.3)))),
             "max_depth": int(rng.integers(2, 13))} for _ in range(60)]
    offset = {"gbtree": 0.0, "dart": 0.4, "linear": 1.5}
    values = [offset[r["booster"]] + 3 * abs(np.log10(r["learning_rate"]) + 1.3) * (0.5 if r["booster"] == "linear" else 1)
              + 0.05 * (r["max_depth"] - 7) ** 2 + rng.normal(0, 0.1) for r in rows]
    return distributions, rows, values


def tpe_problem():
    # Trials from a real TPE study (concentrated near the optimum, not uniform): a shape the implementation was not
    # developed on.
    def objective(trial):
        a = trial.suggest_float("a", -4, 4)
        b = trial.suggest_float("b", -4, 4)
        c = trial.suggest_categorical("c", ["p", "q", "r", "s"])
        k = trial.suggest_int("k", 0, 20)
        return a ** 2 + 0.5 * np.sin(3 * b) + {"p": 0, "q": 0.3, "r": 0.6, "s": 2.0}[c] + 0.02 * k
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=7))
    study.optimize(objective, n_trials=100)
    trials = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    return trials[0].distributions, [t.params for t in trials], [t.value for t in trials]


def swift_number(value):
    return repr(float(value))


def swift_domain(distribution):
    if isinstance(distribution, CategoricalDistribution):
        return ".categorical(choices: [" + ", ".join(f'"{c}"' for c in distribution.choices) + "])"
    return f".numeric(low: {swift_number(distribution.low)}, high: {swift_number(distribution.high)})"


def swift_value(value):
    return f'"{value}"' if isinstance(value, str) else f'"{value!r}"'


def emit_problem(name, distributions, rows, values):
    study = study_from(distributions, rows, values)
    runs = [get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=seed)) for seed in SEEDS]
    names = sorted(distributions)
    mean = {p: float(np.mean([run[p] for run in runs])) for p in names}
    std = {p: float(np.std([run[p] for run in runs])) for p in names}
    print(f"    static let {name} = Problem(")
    print("        parameters: [" + ", ".join(f'.init(name: "{p}", domain: {swift_domain(distributions[p])})' for p in names) + "],")
    print("        trials: [")
    for params, value in zip(rows, values):
        cells = ", ".join(f'"{p}": {swift_value(params[p])}' for p in names)
        print(f"            ([{cells}], {swift_number(value)}),")
    print("        ],")
    print("        optunaMean: [" + ", ".join(f'"{p}": {swift_number(mean[p])}' for p in names) + "],")
    print("        optunaSpread: [" + ", ".join(f'"{p}": {swift_number(std[p])}' for p in names) + "])")
    return study


def emit_single_tree(name, distributions, rows, values):
    names = sorted(distributions)
    transform = _SearchSpaceTransform({p: distributions[p] for p in names}, transform_log=False, transform_step=False)
    X = np.array([transform.transform(r) for r in rows])
    tree = DecisionTreeRegressor(random_state=0).fit(X, np.array(values)).tree_
    fanova = _FanovaTree(tree, transform.bounds)
    fractions = [max(fanova.get_marginal_variance(columns), 0) / fanova.variance for columns in transform.column_to_encoded_columns]
    print(f"    /// scikit-learn's DecisionTreeRegressor(random_state=0) on the {name} problem's encoded trials (Optuna's column")
    print("    /// order and bounds), and Optuna's main-effect variance fractions on it, per parameter in name order.")
    print(f"    static let {name}Tree = SingleTree(")
    print("        bounds: [" + ", ".join(
        f"({swift_number(lo)}, {swift_number(hi)})" for lo, hi in transform.bounds) + "],")
    print("        groups: [" + ", ".join(
        "[" + ", ".join(str(int(c)) for c in columns) + "]" for columns in transform.column_to_encoded_columns) + "],")
    print("        nodes: [")
    for i in range(tree.node_count):
        print(f"            .init(feature: {int(tree.feature[i]) if tree.feature[i] >= 0 else -1}, threshold: {swift_number(tree.threshold[i])}, "
              f"left: {int(tree.children_left[i])}, right: {int(tree.children_right[i])}, value: {swift_number(tree.value[i].reshape(-1)[0])}),")
    print("        ],")
    print("        optunaFractions: [" + ", ".join(swift_number(f) for f in fractions) + "])")


print("// Generated by Tools/reference/fanova_reference.py — do not edit by hand.")
print(f"// numpy {np.__version__}, scikit-learn {sklearn.__version__}, optuna {optuna.__version__}.")
print("// Optuna's fANOVA importances (get_param_importances, FanovaImportanceEvaluator(seed: 0..<20)) on recorded trials.")
print("// Regenerate: python3 Tools/reference/fanova_reference.py > Tests/RunAnalysisTests/FanovaReference.swift")
print()
print("import ExperimentRunner")
print("@testable import RunAnalysis")
print()
print("enum FanovaReference {")
print("    struct Problem {")
print("        let parameters: [RecordedParameter]")
print("        let trials: [(parameters: [String: String], value: Double)]")
print("        let optunaMean: [String: Double]")
print("        let optunaSpread: [String: Double]")
print("    }")
print()
print("    struct SingleTree {")
print("        let bounds: [(low: Double, high: Double)]")
print("        let groups: [[Int]]")
print("        let nodes: [RegressionForest.Node]")
print("        let optunaFractions: [Double]")
print("    }")
print()
numeric = numeric_problem()
emit_problem("numeric", *numeric)
mixed = mixed_problem()
emit_problem("mixed", *mixed)
emit_problem("tpe", *tpe_problem())
print()
emit_single_tree("numeric", *numeric)
emit_single_tree("mixed", *mixed)
print("}")
