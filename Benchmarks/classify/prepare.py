"""Writes the classification benchmark data sets as numeric CSVs (for tunekit) and .npy arrays (for the Python libraries).

breast-cancer: scikit-learn's bundled load_breast_cancer (569 × 30, binary), seeded shuffle, 75 % train / 25 % test.
digits:        scikit-learn's bundled load_digits (1,797 × 64, 10 classes), same protocol.
synthetic-1m:  1,000,000 × 20 seeded binary rows (a logistic of Friedman-like terms and 5 weak linear terms, 10 noise
               features): first 800,000 train, last 200,000 test.
congestion:    held out (not looked at while building the classifiers): the bundled Seoul traffic data, featurized
               by tunekit, labelled 1 where the hour's volume exceeds 3,000 (about a fifth of hours; the "congested
               hour" example experiment), train months vs the test month.
categorical:   held out for categorical splits (not looked at while building them): 300,000 × 6 seeded binary rows,
               4 categorical columns (4, 20, 60 and 200 categories, skewed frequencies, effects unrelated to the code
               order) and 2 numeric; first 240,000 train, last 60,000 test. `categorical.json` lists the categorical
               columns, given to every tool (tunekit --categorical-columns, LightGBM categorical_feature,
               scikit-learn categorical_features).
"""
import json
import csv
import os
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits


def save(out, name, splits, columns):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    for split, (X, y) in splits.items():
        np.save(os.path.join(folder, f"{split}_X.npy"), X)
        np.save(os.path.join(folder, f"{split}_y.npy"), y)
        with open(os.path.join(folder, f"{split}.csv"), "w") as handle:
            handle.write(",".join(columns + ["target"]) + "\n")
            handle.write("\n".join(",".join("" if np.isnan(v) else f"{v:.9g}" for v in row) for row in np.column_stack([X, y])) + "\n")


def shuffled(out, name, X, y, seed=20261201):
    order = np.random.default_rng(seed).permutation(len(y))
    X, y = X[order].astype(float), y[order].astype(float)
    cut = int(0.75 * len(y))
    save(out, name, {"train": (X[:cut], y[:cut]), "test": (X[cut:], y[cut:])}, [f"f{i}" for i in range(X.shape[1])])


def synthetic(out, rows=1_000_000, seed=20261201):
    rng = np.random.default_rng(seed)
    X = rng.random((rows, 20))
    logit = (2 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 4 * (X[:, 2] - 0.5) ** 2 + 2 * X[:, 3] + X[:, 4]
             + X[:, 5:10] @ np.array([0.5, -0.4, 0.3, -0.2, 0.1]) - 2.5)
    y = (rng.random(rows) < 1 / (1 + np.exp(-3 * logit))).astype(float)
    cut = int(0.8 * rows)
    save(out, "synthetic-1m", {"train": (X[:cut], y[:cut]), "test": (X[cut:], y[cut:])}, [f"f{i}" for i in range(20)])


def categorical(out, rows=300_000, seed=20261202):
    rng = np.random.default_rng(seed)
    columns, logit = [], np.zeros(rows)
    for count, scale in [(4, 1.0), (20, 0.8), (60, 0.7), (200, 0.6)]:
        weights = rng.random(count) ** 3 + 0.02
        codes = rng.choice(count, size=rows, p=weights / weights.sum())
        logit += scale * rng.standard_normal(count)[codes]
        columns.append(codes.astype(float))
    x1, x2 = rng.random(rows), rng.standard_normal(rows)
    logit += 1.5 * np.sin(3 * x1) + 0.5 * x2 * (columns[0] == 1) - 1.0
    X = np.column_stack(columns + [x1, x2])
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(float)
    cut = int(0.8 * rows)
    names = ["c4", "c20", "c60", "c200", "x1", "x2"]
    save(out, "categorical", {"train": (X[:cut], y[:cut]), "test": (X[cut:], y[cut:])}, names)
    with open(os.path.join(out, "categorical", "categorical.json"), "w") as handle:
        json.dump({"names": names[:4], "indices": [0, 1, 2, 3]}, handle)


def congestion(features_dir, out):
    def load(path, spots):
        rows = list(csv.DictReader(open(path)))
        names = [n for n in rows[0] if n not in ("date", "spot_num", "volume")]
        X = np.array([[spots[r["spot_num"]]] + [float(r[n]) for n in names] for r in rows])
        return X, np.array([1.0 if float(r["volume"]) > 3000 else 0.0 for r in rows]), ["spot_num"] + names
    spots = {s: i for i, s in enumerate(sorted({r["spot_num"] for r in csv.DictReader(open(os.path.join(features_dir, "train.csv")))}))}
    X, y, names = load(os.path.join(features_dir, "train.csv"), spots)
    Xt, yt, _ = load(os.path.join(features_dir, "test.csv"), spots)
    save(out, "congestion", {"train": (X, y), "test": (Xt, yt)}, names)


if __name__ == "__main__":
    out, features_dir = sys.argv[1], sys.argv[2]
    cancer, digits = load_breast_cancer(), load_digits()
    shuffled(out, "breast-cancer", cancer.data, cancer.target)
    shuffled(out, "digits", digits.data, digits.target)
    if not os.path.exists(os.path.join(out, "synthetic-1m", "train.csv")):
        synthetic(out)
    congestion(features_dir, out)
    categorical(out)
