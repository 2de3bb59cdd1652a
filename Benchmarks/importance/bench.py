"""Hyperparameter importances: `tunekit importance` against Optuna's get_param_importances (fANOVA) on the same trials.

Trials: (1) the main job's gbdt search (experiments/seoul-traffic-gbdt.yaml) run with random search for 40 trials —
fANOVA wants trials spread over the space; (2) held out, a data set the project was not developed on: the same kind
of search on the Seoul bike table (experiments/seoul-bike-gbdt.yaml, random search, 40 trials); (3) a synthetic run of
1,000 trials over eight parameters (one categorical with five choices) for scale. For each: Optuna's importances over
10 seeds (mean, and its own seed-to-seed standard deviation), tunekit's (the run's seed), the largest difference, and
the median wall time of 5 calls of each (tunekit: the whole command, process start and journal read included;
Optuna: get_param_importances on an in-memory study). Prints a Markdown table.
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import tempfile
import time

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.importance import FanovaImportanceEvaluator, get_param_importances

optuna.logging.set_verbosity(optuna.logging.ERROR)


def random_search(text, trials):
    """The experiment with random search (its TPE-only setting dropped) and `trials` trials."""
    lines = text.replace("algorithmName: multivariate-tpe", "algorithmName: random").splitlines()
    kept = []
    skip = False
    for line in lines:
        if "- name: n_startup_trials" in line:
            skip = True
            continue
        if skip:
            skip = False
            continue
        kept.append(line)
    text = "\n".join(kept) + "\n"
    return text.replace("maxTrialCount: 12", f"maxTrialCount: {trials}").replace("maxTrialCount: 16", f"maxTrialCount: {trials}")


def tune(tunekit, experiment_text, directory, environment):
    path = os.path.join(directory, "experiment.yaml")
    with open(path, "w") as handle:
        handle.write(experiment_text)
    output = os.path.join(directory, "out")
    subprocess.run([tunekit, "tune", path, "--output", output, "--model-version", "bench"], check=True,
                   capture_output=True, env={**os.environ, **environment})
    return output


def synthetic(directory, trials=1000):
    rng = random.Random(1)
    space = [{"name": f"x{i}", "low": 0, "high": 1} for i in range(6)] + [
        {"name": "kind", "choices": ["a", "b", "c", "d", "e"]}, {"name": "size", "low": 1, "high": 100}]
    events = [{"event": "run-started", "time": "2026-01-01T00:00:00Z", "seed": 1, "objectiveMetric": "loss",
               "objectiveGoal": "minimize", "algorithm": "random", "experiment": "synthetic", "modelVersion": "bench",
               "searchSpace": space}]
    shift = {"a": 0, "b": 0.2, "c": 0.5, "d": 0.1, "e": 1.0}
    for trial in range(trials):
        xs = [rng.random() for _ in range(6)]
        kind, size = rng.choice("abcde"), rng.randint(1, 100)
        loss = sum((i + 1) * (x - 0.3) ** 2 for i, x in enumerate(xs)) + shift[kind] + 0.002 * size + rng.gauss(0, 0.05)
        assignments = [{"name": f"x{i}", "value": repr(x)} for i, x in enumerate(xs)] + [
            {"name": "kind", "value": kind}, {"name": "size", "value": str(size)}]
        events += [
            {"event": "trial-suggested", "time": "2026-01-01T00:00:00Z", "trial": trial, "name": f"t{trial}", "assignments": assignments},
            {"event": "trial-finished", "time": "2026-01-01T00:00:01Z", "trial": trial, "name": f"t{trial}",
             "condition": "SUCCEEDED", "metrics": [{"name": "loss", "value": repr(loss)}], "seconds": 1.0},
        ]
    output = os.path.join(directory, "out")
    os.makedirs(os.path.join(output, "runs", "bench"))
    with open(os.path.join(output, "runs", "bench", "journal.jsonl"), "w") as handle:
        handle.write("".join(json.dumps(event) + "\n" for event in events))
    return output


def study_from_journal(output):
    """An Optuna study holding the journal's completed trials, over the journal's search space."""
    with open(os.path.join(output, "runs", "bench", "journal.jsonl")) as handle:
        events = [json.loads(line) for line in handle if line.strip()]
    start = next(e for e in events if e["event"] == "run-started")
    distributions = {
        p["name"]: CategoricalDistribution(p["choices"]) if "choices" in p else FloatDistribution(p["low"], p["high"])
        for p in start["searchSpace"]
    }
    metric = start["objectiveMetric"]
    params, values = {}, {}
    for event in events:
        if event["event"] == "trial-suggested":
            params[event["trial"]] = {a["name"]: a["value"] for a in event["assignments"]}
        elif event["event"] == "trial-finished" and event.get("condition") == "SUCCEEDED":
            values[event["trial"]] = float(next(m["value"] for m in event["metrics"] if m["name"] == metric))
    study = optuna.create_study()
    for trial, value in sorted(values.items()):
        typed = {name: text if isinstance(distributions[name], CategoricalDistribution) else float(text)
                 for name, text in params[trial].items()}
        study.add_trial(optuna.trial.create_trial(params=typed, distributions=distributions, value=value))
    return study


def median_seconds(call, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compare(name, tunekit, output):
    study = study_from_journal(output)
    runs = [get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=seed)) for seed in range(10)]
    names = sorted(runs[0])
    optuna_mean = {p: statistics.fmean(run[p] for run in runs) for p in names}
    optuna_spread = max(statistics.pstdev(run[p] for run in runs) for p in names)
    ours = json.loads(subprocess.run([tunekit, "importance", output, "--format", "json"], check=True,
                                     capture_output=True, text=True).stdout)
    difference = max(abs(ours["importances"][p] - optuna_mean[p]) for p in names)
    same_top = max(names, key=optuna_mean.get) == max(names, key=ours["importances"].get)
    tunekit_seconds = median_seconds(lambda: subprocess.run([tunekit, "importance", output, "--format", "json"],
                                                            check=True, capture_output=True))
    optuna_seconds = median_seconds(lambda: get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0)))
    ranked = sorted(names, key=optuna_mean.get, reverse=True)[:3]
    top = ", ".join(f"{p} {ours['importances'][p]:.3f}/{optuna_mean[p]:.3f}" for p in ranked)
    print(f"| {name} | {len(study.trials)} | {top} | {difference:.3f} | {optuna_spread:.3f} | {'yes' if same_top else 'no'} "
          f"| {tunekit_seconds / optuna_seconds:.3f} ({tunekit_seconds:.2f} s / {optuna_seconds:.2f} s) |", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tunekit", required=True)
    parser.add_argument("--bike", help="SeoulBikeData.csv (the held-out problem)")
    parser.add_argument("--trials", type=int, default=40)
    args = parser.parse_args()
    print("| trials | n | top 3: tunekit/Optuna (10-seed mean) | max abs difference | Optuna's own max std | same top | time tunekit/Optuna |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as directory:
        with open("experiments/seoul-traffic-gbdt.yaml") as handle:
            main_text = random_search(handle.read(), args.trials)
        os.makedirs(os.path.join(directory, "main"))
        compare("Seoul traffic gbdt (main job, random search)", args.tunekit,
                tune(args.tunekit, main_text, os.path.join(directory, "main"), {}))
        if args.bike:
            with open("experiments/seoul-bike-gbdt.yaml") as handle:
                bike_text = random_search(handle.read(), args.trials)
            os.makedirs(os.path.join(directory, "bike"))
            compare("Seoul bike gbdt (held out, random search)", args.tunekit,
                    tune(args.tunekit, bike_text, os.path.join(directory, "bike"), {"SEOUL_BIKE_CSV": os.path.abspath(args.bike)}))
        os.makedirs(os.path.join(directory, "synthetic"))
        compare("synthetic, 8 parameters", args.tunekit, synthetic(os.path.join(directory, "synthetic")))


if __name__ == "__main__":
    main()
