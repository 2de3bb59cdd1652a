"""Writes the classification benchmark data sets as numeric CSVs (for tunekit) and .npy arrays (for the Python libraries).

breast-cancer: scikit-learn's bundled load_breast_cancer (569 × 30, binary), seeded shuffle, 75 % train / 25 % test.
digits:        scikit-learn's bundled load_digits (1,797 × 64, 10 classes), same protocol.
synthetic-1m:  1,000,000 × 20 seeded binary rows (a logistic of Friedman-like terms and 5 weak linear terms, 10 noise
               features): first 800,000 train, last 200,000 test.
congestion:    held out (not looked at while building the classifiers): the bundled Seoul traffic data, featurized
               by tunekit, labelled 1 where the hour's volume exceeds 3,000 (about a fifth of hours; the "congested
               hour" example experiment), train months vs the test month.
"""
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
