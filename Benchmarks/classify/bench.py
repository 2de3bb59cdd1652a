"""tunekit gbdt vs LightGBM vs scikit-learn HistGradientBoostingClassifier: binary and multiclass, same data, same
parameters (num_leaves 31, learning_rate 0.1, 200 iterations, max_bin 255, min_data_in_leaf 20), same threads.

Each configuration runs ROUNDS times with the tools alternating; medians are reported with ratios to LightGBM. Fit
time is the boosting alone for tunekit (it bins once per data set before any fit) and Dataset construction + boosting
for LightGBM, as in Benchmarks/gbdt. Test metrics come from each tool's own predictions on the test split.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PARAMS = ["--num_iterations=200", "--learning_rate=0.1", "--num_leaves=31", "--max_bin=255", "--min_data_in_leaf=20"]


def tunekit(binary, folder, threads, objective):
    command = [binary, "train", "--trainer", "gbdt", "--data", f"{folder}/train.csv", "--valid", f"{folder}/test.csv",
               "--target", "target", f"--objective={objective}", f"--num_threads={threads}"] + PARAMS
    marker = f"{folder}/categorical.json"
    if os.path.exists(marker):
        command.append("--categorical-columns=" + ",".join(json.load(open(marker))["names"]))
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    metrics = dict(re.findall(r"^(\w+)=([0-9.e+-]+)$", result.stdout, re.M))
    fit = re.search(r"fit: ([0-9.]+) s on \d+ rows", result.stderr).group(1)
    return {"fit": float(fit), "logloss": float(metrics["logloss"]), "auc": float(metrics["auc"]),
            "accuracy": float(metrics["accuracy"])}


def peer(library, folder, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1")
    result = subprocess.run([sys.executable, os.path.join(HERE, "peer.py"), library, str(threads), folder],
                            capture_output=True, text=True, check=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tunekit", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--datasets", default="breast-cancer,digits,synthetic-1m,congestion,categorical")
    args = parser.parse_args()
    print(f"{'data set':15}{'thr':>4}{'tool':>13}{'fit s':>9}{'fit/LGBM':>10}{'logloss':>10}{'logloss/LGBM':>14}{'auc':>9}{'accuracy':>10}")
    for name in args.datasets.split(","):
        folder = os.path.join(args.data, name)
        objective = "multiclass" if name == "digits" else "binary"
        tools = {"tunekit": lambda f, t: tunekit(args.tunekit, f, t, objective),
                 "lightgbm": lambda f, t: peer("lightgbm", f, t),
                 "sklearn-hgb": lambda f, t: peer("sklearn", f, t)}
        for threads in (int(t) for t in args.threads.split(",")):
            runs = {tool: [] for tool in tools}
            for _ in range(args.rounds):
                for tool, run in tools.items():
                    runs[tool].append(run(folder, threads))
            median = {tool: {k: statistics.median(r[k] for r in results) for k in results[0]} for tool, results in runs.items()}
            base = median["lightgbm"]
            for tool, m in median.items():
                print(f"{name:15}{threads:>4}{tool:>13}{m['fit']:>9.3f}{m['fit'] / base['fit']:>10.2f}{m['logloss']:>10.4f}"
                      f"{m['logloss'] / base['logloss']:>14.3f}{m['auc']:>9.4f}{m['accuracy']:>10.4f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
