"""Optuna's HyperbandPruner on HyperbandBench's learning curves, at the resource tunekit's hyperband used.

Each trial reports loss(x, t) for t = 1..81 epochs and stops when the pruner says so; a study stops once the epochs
spent reach the budget. Samplers: RandomSampler and TPESampler, both with HyperbandPruner(1, 81, 3).
Usage: python hyperband_peers.py SEEDS BUDGET_EPOCHS
"""
import json
import math
import sys

import optuna

MAX_EPOCHS = 81


def loss(v, epochs):
    asymptote = ((math.log10(v["lr"]) + 2.5) ** 2 / 4 + ((v["depth"] - 6) / 4) ** 2
                 + (math.log2(v["width"]) - 6) ** 2 / 16 + 2 * (v["dropout"] - 0.15) ** 2)
    slowness = 1 + 2 * v["dropout"] + 1 / (1 + 50 * v["lr"])
    return asymptote + slowness / math.sqrt(epochs)


def run(sampler_name, seed, budget):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.RandomSampler(seed=seed) if sampler_name == "random" else optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(sampler=sampler, pruner=optuna.pruners.HyperbandPruner(1, MAX_EPOCHS, 3))
    state = {"epochs": 0, "best_full": math.inf, "trials": 0}

    def objective(trial):
        v = {"lr": trial.suggest_float("lr", 1e-4, 1, log=True), "depth": trial.suggest_int("depth", 1, 10),
             "width": trial.suggest_int("width", 16, 256, log=True), "dropout": trial.suggest_float("dropout", 0, 0.5)}
        state["trials"] += 1
        value = math.inf
        for t in range(1, MAX_EPOCHS + 1):
            value = loss(v, t)
            state["epochs"] += 1
            trial.report(value, t)
            if trial.should_prune():
                raise optuna.TrialPruned()
        state["best_full"] = min(state["best_full"], value)
        return value

    while state["epochs"] < budget:
        study.optimize(objective, n_trials=1)
    return state


def main():
    seeds, budget = int(sys.argv[1]), int(sys.argv[2])
    for name in ["random", "tpe"]:
        for seed in range(seeds):
            state = run(name, seed, budget)
            print(json.dumps({"tool": f"optuna-{name}-hyperband-pruner", "algorithm": f"optuna-{name}-hyperband-pruner",
                              "seed": seed, "best_full": state["best_full"], "epochs": state["epochs"],
                              "trials": state["trials"]}), flush=True)


if __name__ == "__main__":
    main()
