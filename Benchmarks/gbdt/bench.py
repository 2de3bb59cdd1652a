"""tunekit gbdt vs LightGBM vs scikit-learn HistGradientBoostingRegressor, same data, same parameters, same threads.

Parameters: num_leaves 31, learning_rate 0.1, 200 iterations, max_bin 255, min_data_in_leaf 20, L2 objective.
Each configuration runs ROUNDS times, the tools alternating; medians are reported with ratios to LightGBM.
Fit time excludes reading the files (tunekit's includes nothing but the boosting loop; LightGBM's includes its
Dataset construction, i.e. binning, which tunekit does once per data set before any fit).
The whole job from the CSV files is timed too: `tunekit train` end to end (read train and test CSVs, bin, fit,
predict, score; wall time of the process) against pandas read_csv + LightGBM Dataset + train + predict in Python
(imports excluded), reported as "whole s" and "whole/LGBM".
With --quantized, both also train with quantized gradients (use_quantized_grad at LightGBM's defaults: 4 levels,
stochastic rounding, no leaf renewal): rows "tunekit-q" and "lightgbm-q", whose ratios are to lightgbm-q. Rounding
draws random numbers: round r runs both with seed r, so the medians are over seeds.
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


def tunekit(binary, folder, threads, quantized=False, seed=0):
    command = ["/usr/bin/time", "-f", "maxrss=%M wall=%e", binary, "train", "--trainer", "gbdt", "--data", f"{folder}/train.csv",
               "--valid", f"{folder}/test.csv", "--target", "target", f"--num_threads={threads}"] + PARAMS
    if quantized:
        command += ["--use_quantized_grad=true", f"--seed={seed}"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    fit, predict = re.search(r"fit: ([0-9.]+) s on \d+ rows, predict: ([0-9.]+) s", result.stderr).groups()
    rmse = re.search(r"^rmse=([0-9.e+-]+)$", result.stdout, re.M).group(1)
    rss, wall = re.search(r"maxrss=(\d+) wall=([0-9.]+)", result.stderr).groups()
    return {"fit": float(fit), "predict": float(predict), "rmse": float(rmse), "rss_kb": int(rss), "whole": float(wall)}


def peer(library, folder, threads, quantized=False, seed=0):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1")
    result = subprocess.run([sys.executable, os.path.join(HERE, "peer.py"), library, str(threads), folder]
                            + ([f"quantized={seed}"] if quantized else []),
                            capture_output=True, text=True, check=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def lightgbm_with_whole(folder, threads, quantized=False, seed=0):
    """LightGBM's fit on arrays, plus its whole job from the CSV files."""
    run = peer("lightgbm", folder, threads, quantized, seed)
    run["whole"] = peer("lightgbm-csv", folder, threads, quantized, seed)["fit"]
    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tunekit", required=True)
    parser.add_argument("--data", required=True, help="folder with one subfolder per data set (from prepare.py)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--datasets", default="seoul-traffic,seoul-bike,heldout-200k,synthetic-1m")
    parser.add_argument("--quantized", action="store_true", help="also train both with use_quantized_grad")
    parser.add_argument("--tools", help="comma-separated subset of the tools (default: all)")
    args = parser.parse_args()
    tools = {"tunekit": lambda f, t, r: tunekit(args.tunekit, f, t),
             "lightgbm": lambda f, t, r: lightgbm_with_whole(f, t),
             "sklearn-hgb": lambda f, t, r: peer("sklearn", f, t)}
    if args.quantized:
        tools["tunekit-q"] = lambda f, t, r: tunekit(args.tunekit, f, t, quantized=True, seed=r)
        tools["lightgbm-q"] = lambda f, t, r: lightgbm_with_whole(f, t, quantized=True, seed=r)
    if args.tools:
        tools = {name: run for name, run in tools.items() if name in args.tools.split(",") or name.startswith("lightgbm")}
    print(f"{'data set':16}{'thr':>4}{'tool':>13}{'fit s':>9}{'predict s':>11}{'rmse':>11}{'peak RSS MB':>13}{'fit/LGBM':>10}"
          f"{'rmse/LGBM':>11}{'whole s':>9}{'whole/LGBM':>12}")
    for name in args.datasets.split(","):
        folder = os.path.join(args.data, name)
        if not os.path.isdir(folder):
            print(f"{name:16} skipped (not prepared)")
            continue
        for threads in (int(t) for t in args.threads.split(",")):
            runs = {tool: [] for tool in tools}
            for round in range(args.rounds):
                for tool, run in tools.items():
                    runs[tool].append(run(folder, threads, round))
            median = {tool: {k: statistics.median(r[k] for r in results) for k in results[0]} for tool, results in runs.items()}
            for tool, m in median.items():
                base = median["lightgbm-q" if tool.endswith("-q") else "lightgbm"]
                whole = f"{m['whole']:>9.2f}{m['whole'] / base['whole']:>12.2f}" if "whole" in m else ""
                print(f"{name:16}{threads:>4}{tool:>13}{m['fit']:>9.3f}{m['predict']:>11.4f}{m['rmse']:>11.4f}"
                      f"{m['rss_kb'] / 1024:>13.0f}{m['fit'] / base['fit']:>10.2f}{m['rmse'] / base['rmse']:>11.4f}{whole}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
