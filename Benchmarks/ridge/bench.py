"""Ridge trials per second: tunekit's in-process trials vs. a scikit-learn loop on the same features.

Both sides fit make_pipeline(StandardScaler(), Ridge(alpha)) (tunekit: ridge with standardize=true) on the
featurized Seoul traffic training split and score RMSE on the validation split, for log-uniform alphas.
Runs alternate (tunekit, scikit-learn, tunekit, …) and medians are reported; single-threaded BLAS on both sides.
"""
import argparse
import csv
import os
import re
import statistics
import subprocess
import tempfile
import time

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def load(path, spots):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = [n for n in rows[0] if n not in ("date", "spot_num", "volume")]
    X = np.array([[spots.setdefault(r["spot_num"], len(spots))] + [float(r[n]) for n in names] for r in rows])
    y = np.array([float(r["volume"]) for r in rows])
    return X, y


def sklearn_run(features, trials, seed):
    start = time.perf_counter()
    spots = {}
    X, y = load(os.path.join(features, "train.csv"), spots)
    Xv, yv = load(os.path.join(features, "valid.csv"), spots)
    loaded = time.perf_counter()
    rng = np.random.default_rng(seed)
    best = float("inf")
    for alpha in np.exp(rng.uniform(np.log(1e-3), np.log(1e5), trials)):
        model = make_pipeline(StandardScaler(), Ridge(alpha=alpha)).fit(X, y)
        best = min(best, float(np.sqrt(np.mean((model.predict(Xv) - yv) ** 2))))
    end = time.perf_counter()
    return end - start, (end - loaded) / trials, best


def tunekit_run(binary, experiment, trials, output):
    with open(experiment) as handle:
        text = handle.read().replace("maxTrialCount: 200", f"maxTrialCount: {trials}")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as spec:
        spec.write(text)
    start = time.perf_counter()
    result = subprocess.run([binary, "tune", spec.name, "--output", output, "--model-version", f"bench-{trials}-{time.time_ns()}"],
                            capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    best = min(float(m) for m in re.findall(r"rmse=([0-9.e+-]+) alpha", result.stderr))
    return elapsed, best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tunekit", required=True)
    parser.add_argument("--features", required=True)
    parser.add_argument("--experiment", required=True)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    output = tempfile.mkdtemp(prefix="tunekit-bench-")
    tk_total, tk_one, sk_total, sk_trial = [], [], [], []
    for round_index in range(args.rounds):
        total, tk_best = tunekit_run(args.tunekit, args.experiment, args.trials, output)
        one, _ = tunekit_run(args.tunekit, args.experiment, 1, output)
        tk_total.append(total)
        tk_one.append(one)
        elapsed, per_trial, sk_best = sklearn_run(args.features, args.trials, round_index)
        sk_total.append(elapsed)
        sk_trial.append(per_trial)
    median = statistics.median
    tk_trial = max(1e-9, (median(tk_total) - median(tk_one)) / (args.trials - 1))
    print(f"ridge trials on Seoul traffic ({args.trials} trials, {args.rounds} alternating rounds, medians)")
    print(f"{'':32}{'tunekit':>12}{'scikit-learn':>14}{'ratio':>8}")
    print(f"{'end to end, s':32}{median(tk_total):>12.3f}{median(sk_total):>14.3f}{median(tk_total) / median(sk_total):>8.2f}")
    print(f"{'per trial, ms':32}{tk_trial * 1e3:>12.3f}{median(sk_trial) * 1e3:>14.3f}{tk_trial / median(sk_trial):>8.3f}")
    print(f"{'trials per second':32}{1 / tk_trial:>12.0f}{1 / median(sk_trial):>14.0f}")
    print(f"{'best validation rmse':32}{tk_best:>12.2f}{sk_best:>14.2f}")
    print("tunekit end to end reads the raw VolInfo CSVs and featurizes them; scikit-learn reads the featurized CSVs.")


if __name__ == "__main__":
    main()
