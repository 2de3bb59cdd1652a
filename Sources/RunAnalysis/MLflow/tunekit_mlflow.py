"""MLflow's python_function flavour for published tunekit models (every trainer: gbdt, ridge, logistic).

`tunekit export mlflow --tracking-uri` logs a model directory as an MLflow model whose MLmodel names this module as
the loader; MLflow puts it on sys.path from the model's `code/` folder and calls `_load_pyfunc(data_path)`. `predict`
takes raw rows as `tunekit predict` reads a CSV (text categories by name, dates as text) and returns what
`tunekit predict` writes: the `prediction` column (regression: numbers; classifiers: class names or labels, with
`probability` or `probability_<class>` columns beside).

Encoding follows the model's training.json: categories become their index in its list (a value not seen in training
is missing), date columns become year, month, day, weekday (Monday 0) and hour; missing cells (empty, NA, null, …)
are NaN. gbdt predicts through LightGBM from model.txt (tunekit writes LightGBM's format exactly); ridge and logistic
from the coefficients in model.json.
"""
import json
import math
import os
import re

import numpy as np
import pandas as pd

# What tunekit's CSV reader takes for a missing cell in a numeric column.
_MISSING = {"", "NA", "N/A", "n/a", "NULL", "null", "None", "Infinity", "-Infinity"}
# The numbers Swift's Double(text) reads (no digit separators, unlike Python's float).
_NUMBER = re.compile(r"^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)$", re.IGNORECASE)


def _load_pyfunc(data_path):
    return TunekitModel(data_path)


def _trimmed(text):
    return text.strip(" \t")


def _format(number):
    """A number as tunekit writes a table cell: whole numbers without a fraction ("3", not "3.0"); NaN as ""."""
    if math.isnan(number):
        return ""
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    return repr(float(number))


def _cell_number(value):
    """A cell as a number the way tunekit reads a numeric column: NaN for missing cells (empty, NA, null, …) and for
    ±inf; None for text that is not a number."""
    if value is None:
        return math.nan
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else math.nan
    text = _trimmed(str(value))
    if text in _MISSING:
        return math.nan
    if not _NUMBER.match(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else math.nan


def _category_cells(values):
    """The cells of a categorical column as tunekit looks them up: when every non-missing cell is a number (as a CSV
    column of numbers reads), each as it writes that number; otherwise the text as given. Missing cells are None."""
    numbers = [_cell_number(v) for v in values]
    if all(n is not None for n in numbers):
        return [None if math.isnan(n) else _format(n) for n in numbers]
    cells = []
    for value in values:
        if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
            cells.append(None)
        else:
            text = value if isinstance(value, str) else (_format(float(value)) if isinstance(value, (int, float, np.integer, np.floating)) else str(value))
            cells.append(text)
    return cells


def _number(value):
    number = _cell_number(value)
    if number is None:
        raise ValueError(f"'{value}' is not a number")
    return number


_TIME = re.compile(r"^([0-9:.]*)(.*)$", re.DOTALL)


def _date_fields(text):
    """(y, a, b, year_first, hour) of `2025-06-01[T| ]HH[:MM…]` or `1/12/2017 …`; None when not a date."""
    cut = min([i for i in (text.find("T"), text.find(" ")) if i >= 0], default=-1)
    date_part, time_part = (text[:cut], text[cut + 1:]) if cut >= 0 else (text, None)
    separator = "-" if "-" in date_part else ("/" if "/" in date_part else ".")
    numbers = date_part.split(separator)
    if len(numbers) != 3 or not all(1 <= len(n) <= 4 and n.isascii() and n.isdigit() for n in numbers):
        return None
    values = [int(n) for n in numbers]
    hour = None
    if time_part is not None:
        clock, rest = _TIME.match(time_part).groups()
        pieces = [piece for piece in clock.split(":") if piece]  # as Swift's split: empty pieces dropped
        hour_text = pieces[0] if pieces else ""
        if not (1 <= len(hour_text) <= 2) or not (hour_text.isascii() and hour_text.isdigit()) or not 0 <= int(hour_text) <= 23:
            return None
        if not (rest == "" or rest == "Z" or rest[0] in "+-"):
            return None
        hour = int(hour_text)
    if len(numbers[0]) == 4:
        return values[0], values[1], values[2], True, hour
    if len(numbers[2]) == 4:
        return values[2], values[0], values[1], False, hour
    return None


def _days_in(month, year):
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _weekday(year, month, day):
    """Monday 0 … Sunday 6."""
    y = year - 1 if month <= 2 else year
    era = (y if y >= 0 else y - 399) // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146097 + day_of_era - 719468
    return ((days % 7) + 7 + 3) % 7


def _date_parts(column, text):
    """year, month, day, weekday (and hour) of one value in a date column; None when it is not such a date."""
    fields = _date_fields(text)
    if fields is None:
        return None
    y, a, b, year_first, hour = fields
    if not year_first and column["order"] == "yearFirst":
        return None
    year, month, day = (y, a, b) if year_first or column["order"] == "monthFirst" else (y, b, a)
    if not 1 <= month <= 12 or day < 1 or day > _days_in(month, year):
        return None
    parts = [year, month, day, _weekday(year, month, day)]
    if column.get("hasTime"):
        parts.append(math.nan if hour is None else hour)
    return [float(p) for p in parts]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z)) if z >= 0 else np.exp(z) / (1.0 + np.exp(z))


class TunekitModel:
    """A published tunekit model directory, predicting as `tunekit predict`."""

    def __init__(self, path):
        with open(os.path.join(path, "training.json")) as handle:
            record = json.load(handle)
        with open(os.path.join(path, "model.json")) as handle:
            self.model = json.load(handle)
        encoding = record["encoding"]
        self.kind = record["trainer"]
        self.feature_names = encoding["featureNames"]
        self.categories = encoding.get("categories") or {}
        self.dates = encoding.get("dates") or []
        self.target_classes = encoding.get("targetClasses")
        self.booster = None
        if self.kind == "gbdt":
            import lightgbm

            self.booster = lightgbm.Booster(model_file=os.path.join(path, "model.txt"))

    def features(self, frame):
        """The rows encoded as the model reads them: rows × features, float64."""
        rows = len(frame)
        derived = {}
        for column in self.dates:
            if column["name"] not in frame.columns:
                raise ValueError(f"date column '{column['name']}' is missing")
            width = 5 if column.get("hasTime") else 4
            parts = np.full((rows, width), math.nan)
            for i, value in enumerate(frame[column["name"]].tolist()):
                text = None if value is None or (isinstance(value, float) and math.isnan(value)) else _trimmed(str(value))
                found = _date_parts(column, text) if text else None
                if found is not None:
                    parts[i, :] = found
            names = ["year", "month", "day", "weekday", "hour"][:width]
            for k, part in enumerate(names):
                derived[f"{column['name']}_{part}"] = parts[:, k]
        matrix = np.empty((rows, len(self.feature_names)))
        for j, name in enumerate(self.feature_names):
            if name in derived:
                matrix[:, j] = derived[name]
                continue
            if name not in frame.columns:
                raise ValueError(f"feature column '{name}' is missing")
            values = frame[name].tolist()
            if name in self.categories:
                codes = {category: float(k) for k, category in enumerate(self.categories[name])}
                matrix[:, j] = [codes.get("" if cell is None else cell, math.nan) for cell in _category_cells(values)]
            else:
                matrix[:, j] = [_number(v) for v in values]
        return matrix

    def _probabilities(self, x):
        """Class probabilities (rows × classes) and the class labels, for classifiers; None for regression."""
        if self.kind == "logistic":
            m = self.model
            scales, centers = np.array(m["scales"]), np.array(m["centers"])
            standardized = (x - centers) / scales
            scores = [standardized @ np.array(w) + b for w, b in zip(m["coefficients"], m["intercepts"])]
            if len(scores) == 1:
                positive = np.array([_sigmoid(z) for z in scores[0]])
                return np.column_stack([1 - positive, positive]), m["classes"]
            stacked = np.column_stack(scores)
            stacked = np.exp(stacked - stacked.max(axis=1, keepdims=True))
            return stacked / stacked.sum(axis=1, keepdims=True), m["classes"]
        if self.kind == "gbdt":
            classes = self.model.get("classes")
            if classes is None:
                return None
            raw = self.booster.predict(x)
            if raw.ndim == 1:
                return np.column_stack([1 - raw, raw]), classes
            return raw, classes
        return None

    def _label(self, label):
        if self.target_classes is not None and 0 <= label < len(self.target_classes):
            return self.target_classes[int(label)]
        return label

    def predict(self, model_input, params=None):
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        x = self.features(frame)
        found = self._probabilities(x)
        if found is None:
            if self.kind == "gbdt":
                values = self.booster.predict(x)
            else:
                m = self.model
                standardized = (x - np.array(m["centers"])) / np.array(m["scales"])
                values = standardized @ np.array(m["coefficients"]) + m["intercept"]
            return pd.DataFrame({"prediction": np.asarray(values, dtype=np.float64)})
        probabilities, classes = found
        predicted = [self._label(classes[int(np.argmax(row))]) for row in probabilities]
        out = {"prediction": predicted}
        if len(classes) == 2:
            out["probability"] = probabilities[:, 1]
        else:
            for k, label in enumerate(classes):
                out[f"probability_{self._label(label)}"] = probabilities[:, k]
        return pd.DataFrame(out)
