"""One dataset tuned the Optuna + LightGBM way, for Benchmarks/own-data/run.sh, on exactly the rows and folds tunekit
used (read from `tunekit datasets split`): TPE (seeded) over init's gbdt search space, 2 trials at a time (n_jobs=2,
one LightGBM thread each), up to 500 rounds with early stopping (30). Cross-validated datasets score each trial with
`lgb.cv` on tunekit's folds; the others on the validation rows. The best setting is refitted on every non-test row
with the best iteration (CV: lgb.cv's) and scored on the test rows. Text columns are pandas categories (LightGBM's
categorical splits, as tunekit's).
Prints one JSON line: wall seconds (CSV read included, imports excluded), trials, best validation/CV score, test
metrics.
Usage: python optuna_lightgbm.py CSV TARGET ASSIGNMENT_CSV TASK TRIALS SEED   (TASK: regression or multiclass)
"""
import json
import sys
import time

start = time.perf_counter()
import lightgbm  # noqa: E402
import numpy as np  # noqa: E402
import optuna  # noqa: E402
import pandas as pd  # noqa: E402

imported = time.perf_counter()
path, target, assignment_path, task, trials, seed = sys.argv[1:7]
trials, seed = int(trials), int(seed)
frame = pd.read_csv(path)
assignment = pd.read_csv(assignment_path)
y_raw = frame.pop(target)
for column in frame.columns:
    if frame[column].dtype == object or str(frame[column].dtype) in ("str", "string"):
        frame[column] = frame[column].astype("category")
if task == "multiclass":
    classes = sorted(y_raw.dropna().unique())
    y = y_raw.map({c: i for i, c in enumerate(classes)}).to_numpy(dtype=np.float64)
else:
    y = y_raw.to_numpy(dtype=np.float64)
split = assignment["split"].to_numpy()
train_rows, valid_rows, test_rows = (np.flatnonzero(split == s) for s in ("train", "valid", "test"))
metric = "multi_logloss" if task == "multiclass" else "rmse"
base = dict(objective=task, metric=metric, num_threads=1, seed=1, verbose=-1, max_bin=255, feature_pre_filter=False)
if task == "multiclass":
    base["num_class"] = len(classes)
folds = None
if assignment["fold"].notna().any():
    # tunekit's folds, as positions in the training rows: the rows each fold validates on and the rows it trains on.
    fold_of = assignment["fold"].to_numpy()[train_rows]
    trains_in = assignment["train_folds"].fillna("").astype(str).to_numpy()[train_rows]
    folds = [(np.flatnonzero([str(int(f)) in t.split() for t in trains_in]), np.flatnonzero(fold_of == f))
             for f in sorted(set(fold_of[~np.isnan(fold_of)]))]
train_set = lightgbm.Dataset(frame.iloc[train_rows], y[train_rows], free_raw_data=False, params={"feature_pre_filter": False})
train_set.construct()
valid_set = None
if folds is None:
    valid_set = lightgbm.Dataset(frame.iloc[valid_rows], y[valid_rows], reference=train_set, free_raw_data=False)
    valid_set.construct()


def params(trial):
    return dict(base, learning_rate=trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
                num_leaves=trial.suggest_int("num_leaves", 15, 127),
                min_data_in_leaf=trial.suggest_int("min_data_in_leaf", 5, 100),
                feature_fraction=trial.suggest_float("feature_fraction", 0.6, 1.0, step=0.1),
                lambda_l2=trial.suggest_float("lambda_l2", 0.001, 10, log=True))


def objective(trial):
    if folds is not None:
        result = lightgbm.cv(params(trial), train_set, num_boost_round=500, folds=folds, stratified=False,
                             callbacks=[lightgbm.early_stopping(30, verbose=False)])
        curve = result[f"valid {metric}-mean"]
        trial.set_user_attr("best_iteration", len(curve))
        return curve[-1]
    model = lightgbm.train(params(trial), train_set, num_boost_round=500, valid_sets=[valid_set],
                           callbacks=[lightgbm.early_stopping(30, verbose=False)])
    trial.set_user_attr("best_iteration", model.best_iteration)
    return model.best_score["valid_0"][metric]


optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
study.optimize(objective, n_trials=trials, n_jobs=2)
best = study.best_trial
fit_rows = np.concatenate([train_rows, valid_rows])
refit = lightgbm.train(dict(params(optuna.trial.FixedTrial(best.params)), num_threads=2),
                       lightgbm.Dataset(frame.iloc[fit_rows], y[fit_rows], params={"feature_pre_filter": False}),
                       num_boost_round=best.user_attrs["best_iteration"])
predicted = refit.predict(frame.iloc[test_rows])
truth = y[test_rows]
if task == "multiclass":
    p = np.clip(predicted[np.arange(len(truth)), truth.astype(int)], 1e-15, 1 - 1e-15)
    test = {"logloss": float(-np.mean(np.log(p))), "accuracy": float(np.mean(predicted.argmax(axis=1) == truth))}
else:
    test = {"rmse": float(np.sqrt(np.mean((predicted - truth) ** 2)))}
print(json.dumps({"wall": time.perf_counter() - imported, "trials": len(study.trials), "best": best.value,
                  "best_iteration": best.user_attrs["best_iteration"], "test": test}))
