"""Writes the GetSuggestions bodies the load test posts: a 4-parameter Katib experiment with a 100-trial history,
for random search and for TPE (random_state fixed, so every answer is computed the same way).
Usage: python make_requests.py OUTDIR"""
import json
import math
import random
import sys


def body(algorithm, trials=100, seed=7):
    rng = random.Random(seed)
    parameters = [
        {"name": "learning_rate", "parameterType": "DOUBLE",
         "feasibleSpace": {"min": "0.01", "max": "0.3", "distribution": "LOG_UNIFORM"}},
        {"name": "num_leaves", "parameterType": "INT", "feasibleSpace": {"min": "15", "max": "127"}},
        {"name": "feature_fraction", "parameterType": "DOUBLE", "feasibleSpace": {"min": "0.6", "max": "1.0", "step": "0.1"}},
        {"name": "boosting", "parameterType": "CATEGORICAL", "feasibleSpace": {"list": ["gbdt", "goss", "dart"]}},
    ]
    history = []
    for i in range(trials):
        lr = math.exp(rng.uniform(math.log(0.01), math.log(0.3)))
        leaves = rng.randint(15, 127)
        fraction = round(0.6 + 0.1 * rng.randint(0, 4), 1)
        boosting = rng.choice(["gbdt", "goss", "dart"])
        rmse = 240 + 300 * (math.log10(lr) + 1) ** 2 + 0.01 * (leaves - 63) ** 2 + 50 * (fraction - 0.8) ** 2
        history.append({
            "name": f"trial-{i}",
            "spec": {"parameterAssignments": {"assignments": [
                {"name": "learning_rate", "value": repr(lr)}, {"name": "num_leaves", "value": str(leaves)},
                {"name": "feature_fraction", "value": str(fraction)}, {"name": "boosting", "value": boosting}]}},
            "status": {"condition": "SUCCEEDED", "observation": {"metrics": [{"name": "rmse", "value": repr(rmse)}]}},
        })
    return {
        "experiment": {"name": "load-test", "spec": {
            "parameterSpecs": {"parameters": parameters},
            "objective": {"type": "MINIMIZE", "objectiveMetricName": "rmse"},
            "algorithm": {"algorithmName": algorithm, "algorithmSettings": [{"name": "random_state", "value": "11"}]},
            "parallelTrialCount": 1, "maxTrialCount": 200}},
        "trials": history, "currentRequestNumber": 1, "totalRequestNumber": trials + 1,
    }


if __name__ == "__main__":
    for algorithm in ["random", "tpe"]:
        with open(f"{sys.argv[1]}/{algorithm}.json", "w") as out:
            json.dump(body(algorithm), out)
