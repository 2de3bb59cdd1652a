"""Request bodies for the model-serving benchmark, from a published model's training.json and a CSV of raw rows:
encoded feature rows (category codes, date parts) as lgbserver and tunekit both take them, in KServe V1
(`{"instances": [[...]]}`) and Open Inference Protocol V2 (`[rows, features]` FP64 tensor) JSON.
Also checks that LightGBM's Booster on model.bst predicts what `tunekit predict` wrote for those rows.

usage: make_bodies.py MODEL_DIR ROWS_CSV PREDICTED_CSV OUT_DIR
"""
import csv
import datetime
import json
import sys

import lightgbm
import numpy as np


def date_parts(text, column):
    """year, month, day, weekday (Monday 0) and hour when the column has one, as tunekit's DateColumn reads them."""
    date_text, _, time_text = text.replace("T", " ").partition(" ")
    if "-" in date_text or date_text[:4].isdigit() and "/" in date_text[:5]:
        year, month, day = (int(x) for x in date_text.replace("/", "-").split("-"))
    else:
        a, b, year = (int(x) for x in date_text.replace(".", "/").split("/"))
        day, month = (a, b) if column["order"] == "dayFirst" else (b, a)
    parts = [year, month, day, datetime.date(year, month, day).weekday()]
    if column["hasTime"]:
        parts.append(int(time_text.split(":")[0]) if time_text else float("nan"))
    return parts


def encode(rows, encoding):
    categories = encoding.get("categories", {})
    dates = {f"{d['name']}_{part}": (d, k) for d in encoding.get("dates", []) or []
             for k, part in enumerate(["year", "month", "day", "weekday", "hour"])}
    matrix = []
    for row in rows:
        values = []
        for name in encoding["featureNames"]:
            if name in dates:
                column, k = dates[name]
                values.append(date_parts(row[column["name"]], column)[k])
            elif name in categories:
                values.append(categories[name].index(row[name]) if row[name] in categories[name] else float("nan"))
            else:
                values.append(float(row[name]) if row[name] != "" else float("nan"))
        matrix.append(values)
    return np.array(matrix, dtype=np.float64)


def main():
    model_dir, rows_csv, predicted_csv, out = sys.argv[1:5]
    with open(f"{model_dir}/training.json") as handle:
        encoding = json.load(handle)["encoding"]
    with open(rows_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(predicted_csv, newline="") as handle:
        predicted = np.array([float(r["prediction"]) for r in csv.DictReader(handle)])
    matrix = encode(rows, encoding)
    booster = lightgbm.Booster(model_file=f"{model_dir}/model.bst")
    worst = float(np.max(np.abs(booster.predict(matrix) - predicted) / np.maximum(1e-12, np.abs(predicted))))
    assert worst < 1e-12, f"LightGBM on model.bst disagrees with tunekit predict: relative {worst}"
    for batch in (1, 64):
        block = matrix[:batch].tolist()
        with open(f"{out}/v1-{batch}.json", "w") as handle:
            json.dump({"instances": block}, handle)
        with open(f"{out}/v2-{batch}.json", "w") as handle:
            json.dump({"inputs": [{"name": "input-0", "datatype": "FP64", "shape": [batch, matrix.shape[1]],
                                   "data": [v for r in block for v in r]}]}, handle)
    print(f"{len(rows)} rows x {matrix.shape[1]} features; LightGBM on model.bst = tunekit predict (max relative {worst:.1e})")


if __name__ == "__main__":
    main()
