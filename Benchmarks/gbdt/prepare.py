"""Writes the benchmark data sets as numeric CSVs (for tunekit) and .npy arrays (for the Python libraries).

seoul-traffic: tunekit's featurized splits (spot code = index of the sorted spot ids, as tunekit encodes it).
seoul-bike:    ../shared/datasets/seoul-bike/SeoulBikeData.csv with the README's fixed protocol (14 features, first
               80 % of hours train, last 20 % test), when the file is present.
synthetic-1m:  1,000,000 × 20 seeded regression rows (Friedman #1 terms, 5 weak linear terms, 10 noise features):
               first 800,000 train, last 200,000 test.
heldout-200k:  a shape none of the above has (held out: not used while tuning the trainer): 200,000 × 20 with 8
               low-cardinality integer features (2 to 30 values), 4 features with 10 % missing cells (empty in the
               CSV, NaN in the arrays), 8 continuous ones; first 160,000 train, last 40,000 test.
"""
import csv
import datetime
import os
import sys

import numpy as np


def save(out, name, splits, columns):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    for split, (X, y) in splits.items():
        np.save(os.path.join(folder, f"{split}_X.npy"), X)
        np.save(os.path.join(folder, f"{split}_y.npy"), y)
        with open(os.path.join(folder, f"{split}.csv"), "w") as handle:
            handle.write(",".join(columns + ["target"]) + "\n")
            lines = []
            for row in np.column_stack([X, y]):
                lines.append(",".join("" if np.isnan(v) else f"{v:.9g}" for v in row))
            handle.write("\n".join(lines) + "\n")


def seoul_traffic(features_dir, out):
    def load(path, spots):
        rows = list(csv.DictReader(open(path)))
        names = [n for n in rows[0] if n not in ("date", "spot_num", "volume")]
        X = np.array([[spots[r["spot_num"]]] + [float(r[n]) for n in names] for r in rows])
        return X, np.array([float(r["volume"]) for r in rows]), ["spot_num"] + names
    spots = {s: i for i, s in enumerate(sorted({r["spot_num"] for r in csv.DictReader(open(os.path.join(features_dir, "train.csv")))}))}
    X, y, names = load(os.path.join(features_dir, "train.csv"), spots)
    Xt, yt, _ = load(os.path.join(features_dir, "test.csv"), spots)
    save(out, "seoul-traffic", {"train": (X, y), "test": (Xt, yt)}, names)


def seoul_bike(path, out):
    rows = list(csv.reader(open(path, encoding="utf-8")))[1:]
    seasons = {"Winter": 0, "Spring": 1, "Summer": 2, "Autumn": 3}
    X, y = [], []
    for r in rows:
        d, m, yr = (int(p) for p in r[0].split("/"))
        weekday = datetime.date(yr, m, d).weekday()
        X.append([float(r[2]), float(r[3]), float(r[4]), float(r[5]), float(r[6]), float(r[7]), float(r[8]), float(r[9]),
                  float(r[10]), seasons[r[11]], 1.0 if r[12] == "Holiday" else 0.0, 1.0 if r[13] == "Yes" else 0.0, weekday, m])
        y.append(float(r[1]))
    X, y = np.array(X), np.array(y)
    cut = int(0.8 * len(y))
    names = ["hour", "temperature", "humidity", "wind", "visibility", "dew_point", "solar", "rainfall", "snowfall",
             "season", "holiday", "functioning", "weekday", "month"]
    save(out, "seoul-bike", {"train": (X[:cut], y[:cut]), "test": (X[cut:], y[cut:])}, names)


def synthetic(out, rows=1_000_000, seed=20240701):
    rng = np.random.default_rng(seed)
    X = rng.random((rows, 20))
    y = (10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2 + 10 * X[:, 3] + 5 * X[:, 4]
         + X[:, 5:10] @ np.array([0.5, -0.4, 0.3, -0.2, 0.1]) + rng.normal(0, 1, rows))
    cut = int(0.8 * rows)
    save(out, "synthetic-1m", {"train": (X[:cut], y[:cut]), "test": (X[cut:], y[cut:])}, [f"f{i}" for i in range(20)])


def heldout(out, rows=200_000, seed=7):
    rng = np.random.default_rng(seed)
    levels = [2, 3, 5, 7, 10, 12, 20, 30]
    integers = np.column_stack([rng.integers(0, k, rows) for k in levels]).astype(float)
    gappy = rng.normal(0, 1, (rows, 4))
    continuous = rng.gamma(2.0, 1.0, (rows, 8))
    y = (3 * (integers[:, 0] == 1) + np.sin(integers[:, 4]) * continuous[:, 0] + 0.5 * integers[:, 7] / 10
         + np.where(gappy[:, 0] > 0, gappy[:, 1], -gappy[:, 2]) + np.log1p(continuous[:, 1]) * integers[:, 2]
         + rng.normal(0, 0.5, rows))
    gappy[rng.random((rows, 4)) < 0.1] = np.nan
    X = np.column_stack([integers, gappy, continuous])
    cut = int(0.8 * rows)
    names = [f"level{k}" for k in levels] + [f"gappy{i}" for i in range(4)] + [f"amount{i}" for i in range(8)]
    save(out, "heldout-200k", {"train": (X[:cut], y[:cut]), "test": (X[cut:], y[cut:])}, names)


if __name__ == "__main__":
    out, features_dir, bike = sys.argv[1], sys.argv[2], sys.argv[3]
    seoul_traffic(features_dir, out)
    if os.path.exists(bike):
        seoul_bike(bike, out)
    if not os.path.exists(os.path.join(out, "synthetic-1m", "train.csv")):
        synthetic(out)
    if not os.path.exists(os.path.join(out, "heldout-200k", "train.csv")):
        heldout(out)
