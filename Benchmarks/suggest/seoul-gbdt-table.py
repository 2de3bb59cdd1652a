"""The real tuning problem of the suggestion benchmark: gbdt's validation RMSE on the bundled Seoul traffic data over
a 6 x 6 x 6 x 3 grid of learning_rate, num_leaves, min_data_in_leaf and feature_fraction (100 boosting rounds, seed
7), each point trained once with `tunekit train` and cached, so every tool and seed sees the same surface.

Usage: python seoul-gbdt-table.py TUNEKIT_BINARY OUTPUT.json   (about 5 minutes on 2 cores; skipped when OUTPUT exists)
"""
import concurrent.futures
import itertools
import json
import os
import subprocess
import sys

GRID = {
    "learning_rate": ["0.05", "0.10", "0.15", "0.20", "0.25", "0.30"],
    "num_leaves": ["16", "32", "48", "64", "80", "96"],
    "min_data_in_leaf": ["10", "20", "30", "40", "50", "60"],
    "feature_fraction": ["0.6", "0.8", "1.0"],
}


def train(binary, values):
    arguments = [binary, "train", "--trainer=gbdt", "--data=datasets/seoul-traffic", "--num_iterations=100", "--seed=7"]
    arguments += [f"--{name}={value}" for name, value in values.items()]
    output = subprocess.run(arguments, capture_output=True, text=True, check=True, cwd=root).stdout
    return float(next(line for line in output.splitlines() if line.startswith("rmse=")).split("=")[1])


root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
binary, target = os.path.abspath(sys.argv[1]), sys.argv[2]
if not os.path.exists(target):
    points = [dict(zip(GRID, combination)) for combination in itertools.product(*GRID.values())]
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        rmse = list(pool.map(lambda values: train(binary, values), points))
    table = {",".join(str(GRID[name].index(value)) for name, value in point.items()): value
             for point, value in zip(points, rmse)}
    with open(target + ".tmp", "w") as file:
        json.dump({"grid": GRID, "rmse": table}, file, indent=0, sort_keys=True)
    os.replace(target + ".tmp", target)
