"""The reference samplers on the problems of problems.json, one JSON line per run (same fields as SuggestBench).

Peers: Optuna 4.x TPE (univariate and multivariate), Optuna GPSampler (needs PyTorch), CmaEsSampler (with_margin),
QMCSampler (scrambled Sobol'), RandomSampler, hyperopt TPE and scikit-optimize (gp_hedge and EI, through
Optimizer.ask/tell). Table problems (seoul-gbdt, the held-out surfaces) read their cached trainings at the grid point
nearest to each suggestion. SEEDS is N (0..N-1) or A-B. Usage:
python peers.py PROBLEMS.json SEEDS TOOL[,TOOL...] [PROBLEM[,PROBLEM...]]
"""
import json
import math
import os
import sys
import time

import numpy as np


def grid_key(problem, v):
    """The key of the grid point nearest to a suggestion (in log space for log parameters), as SuggestBench reads it."""
    indices = []
    for p in problem["parameters"]:
        values = problem["grid"][p["name"]]
        if p["type"] == "categorical":
            indices.append(values.index(v[p["name"]]))
            continue
        scale = math.log if p.get("log") else (lambda x: x)
        distances = [abs(scale(float(value)) - scale(float(v[p["name"]]))) for value in values]
        indices.append(distances.index(min(distances)))
    return ",".join(map(str, indices))


def evaluate(problem, v):
    if "table" in problem:
        return problem["losses"][grid_key(problem, v)]
    name = problem["name"]
    if name == "mixed-steps":
        booster = v["booster"]
        rate_target = {"gbtree": -1.5, "dart": -2.0, "linear": -0.5}[booster]
        depth_target = {"gbtree": 8, "dart": 6, "linear": 2}[booster]
        return ((math.log10(v["eta"]) - rate_target) ** 2 + ((v["depth"] - depth_target) / 4) ** 2
                + 0.5 * math.log(v["estimators"] / 400) ** 2 + 4 * (v["subsample"] - 0.8) ** 2
                + {"gbtree": 0, "dart": 0.1, "linear": 0.4}[booster]
                + {"relu": 0.2, "tanh": 0.3, "gelu": 0, "sigmoid": 0.6}[v["activation"]])
    if name == "branin":
        x1, x2 = v["x1"], v["x2"]
        b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
        return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10
    if name == "hartmann6":
        alpha = [1.0, 1.2, 3.0, 3.2]
        a = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
        p = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
             [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
        x = [v[f"x{i}"] for i in range(6)]
        return -sum(alpha[i] * math.exp(-sum(a[i][j] * (x[j] - p[i][j]) ** 2 for j in range(6))) for i in range(4))
    if name == "rosenbrock4":
        x = [v[f"x{i}"] for i in range(4)]
        return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))
    penalty = {"sgd": 1.0, "adam": 0.0, "rmsprop": 0.5}[v["optimizer"]]
    return ((math.log10(v["lr"]) + 2) ** 2 + ((v["layers"] - 6) / 3) ** 2 + (math.log2(v["batch"]) - 7) ** 2 / 4
            + penalty + 10 * (v["dropout"] - 0.2) ** 2)


def summary(tool, algorithm, problem, seed, curve, times):
    n = len(curve)
    at = lambda f: curve[max(0, round(n * f) - 1)]
    last = times[-10:]
    return {"tool": tool, "algorithm": algorithm, "problem": problem["name"], "seed": seed, "regret25": at(0.25),
            "regret50": at(0.5), "regret100": at(1.0), "seconds_per_suggestion": sum(last) / len(last)}


def run_optuna(problem, seed, sampler_name):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    samplers = {
        "optuna-tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "optuna-tpe-multivariate": lambda: optuna.samplers.TPESampler(seed=seed, multivariate=True),
        "optuna-gp": lambda: optuna.samplers.GPSampler(seed=seed),
        "optuna-random": lambda: optuna.samplers.RandomSampler(seed=seed),
        "optuna-cmaes": lambda: optuna.samplers.CmaEsSampler(
            seed=seed, n_startup_trials=0, with_margin=True, warn_independent_sampling=False),
        "optuna-qmc": lambda: optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=seed),
    }
    study = optuna.create_study(sampler=samplers[sampler_name]())
    distributions = {}
    for p in problem["parameters"]:
        if p["type"] == "categorical":
            distributions[p["name"]] = optuna.distributions.CategoricalDistribution(p["list"])
        elif p["type"] == "int":
            distributions[p["name"]] = optuna.distributions.IntDistribution(
                int(p["min"]), int(p["max"]), log=p.get("log", False), step=int(p.get("step", 1)))
        else:
            step = float(p["step"]) if "step" in p else None
            distributions[p["name"]] = optuna.distributions.FloatDistribution(
                float(p["min"]), float(p["max"]), log=p.get("log", False), step=step)
    best, curve, times = math.inf, [], []
    for _ in range(problem["budget"]):
        start = time.perf_counter()
        # Fixed distributions let the multivariate and GP samplers sample every parameter jointly.
        trial = study.ask(distributions)
        values = trial.params
        times.append(time.perf_counter() - start)
        loss = evaluate(problem, values)
        study.tell(trial, loss)
        best = min(best, loss)
        curve.append(best - problem["optimum"])
    return curve, times


def run_hyperopt(problem, seed):
    from hyperopt import Trials, fmin, hp, tpe
    space = {}
    for p in problem["parameters"]:
        if p["type"] == "categorical":
            space[p["name"]] = hp.choice(p["name"], p["list"])
        elif p["type"] == "int":
            low, high = int(p["min"]), int(p["max"])
            step = int(p.get("step", 1))
            space[p["name"]] = (hp.qloguniform(p["name"], math.log(low), math.log(high), 1) if p.get("log")
                                else hp.quniform(p["name"], low, high, step))
        elif "step" in p:
            space[p["name"]] = hp.quniform(p["name"], float(p["min"]), float(p["max"]), float(p["step"]))
        elif p.get("log"):
            space[p["name"]] = hp.loguniform(p["name"], math.log(float(p["min"])), math.log(float(p["max"])))
        else:
            space[p["name"]] = hp.uniform(p["name"], float(p["min"]), float(p["max"]))
    trials, times = Trials(), []
    objective = lambda v: evaluate(problem, v)
    rstate = np.random.default_rng(seed)
    for k in range(1, problem["budget"] + 1):
        start = time.perf_counter()
        fmin(objective, space, algo=tpe.suggest, max_evals=k, trials=trials, rstate=rstate, show_progressbar=False)
        times.append(time.perf_counter() - start)
    losses = [t["result"]["loss"] for t in trials.trials]
    curve = list(np.minimum.accumulate(losses) - problem["optimum"])
    return curve, times


def run_skopt(problem, seed, acq):
    from skopt import Optimizer
    from skopt.space import Categorical, Integer, Real
    dims, names = [], []
    for p in problem["parameters"]:
        names.append(p["name"])
        if p["type"] == "categorical":
            dims.append(Categorical(p["list"]))
        elif p["type"] == "int":
            dims.append(Integer(int(p["min"]), int(p["max"]), prior="log-uniform" if p.get("log") else "uniform"))
        else:
            dims.append(Real(float(p["min"]), float(p["max"]), prior="log-uniform" if p.get("log") else "uniform"))
    optimizer = Optimizer(dims, base_estimator="GP", acq_func=acq, n_initial_points=10, random_state=seed)
    best, curve, times = math.inf, [], []
    for _ in range(problem["budget"]):
        start = time.perf_counter()
        x = optimizer.ask()
        asked = time.perf_counter() - start
        loss = evaluate(problem, dict(zip(names, x)))
        start = time.perf_counter()
        optimizer.tell(x, loss)  # skopt refits its GP here, so the suggestion's cost is ask + tell
        times.append(asked + time.perf_counter() - start)
        best = min(best, loss)
        curve.append(best - problem["optimum"])
    return curve, times


def main():
    problems, tools = json.load(open(sys.argv[1])), sys.argv[3].split(",")
    # Seeds "N" (0..N-1) or "A-B" (A..B): held-out problems run on seeds apart from the ones the samplers were tuned on.
    bounds = [int(part) for part in sys.argv[2].split("-")]
    seeds = range(bounds[0], bounds[1] + 1) if len(bounds) == 2 else range(bounds[0])
    only = set(sys.argv[4].split(",")) if len(sys.argv) > 4 else None
    folder = os.path.dirname(os.path.abspath(sys.argv[1]))
    for problem in problems:
        if only and problem["name"] not in only:
            continue
        if "table" in problem:
            table = json.load(open(os.path.join(folder, problem["table"])))
            problem["grid"], problem["losses"] = table["grid"], table.get("loss", table.get("rmse"))
            problem["optimum"] = min(problem["losses"].values())
        for tool in tools:
            for seed in seeds:
                try:
                    if tool.startswith("optuna"):
                        curve, times = run_optuna(problem, seed, tool)
                    elif tool == "hyperopt-tpe":
                        curve, times = run_hyperopt(problem, seed)
                    else:
                        curve, times = run_skopt(problem, seed, "gp_hedge" if tool == "skopt-gp-hedge" else "EI")
                except ImportError as error:
                    print(json.dumps({"tool": tool, "problem": problem["name"], "skipped": str(error)}), flush=True)
                    break
                print(json.dumps(summary(tool, tool, problem, seed, curve, times)), flush=True)


if __name__ == "__main__":
    main()
