"""The main tuning job done the Optuna way, for Benchmarks/tune/run.sh: multivariate TPE (5 random start-up trials)
over the same five LightGBM parameters as experiments/seoul-traffic-gbdt.yaml, 2 trials at a time (n_jobs=2, one
LightGBM thread each), each boosting up to 400 rounds with early stopping (30) on the validation month; the best
setting is refitted on train+validation with the rounds early stopping chose and scored on the test month.
Reads tunekit's featurized CSVs (spot codes as tunekit encodes them: the index of the sorted spot ids).
With PRUNER `hyperband`: Optuna's HyperbandPruner (its defaults, max_resource = the 400 rounds) with a pruning
callback reporting the validation RMSE every round (what optuna-integration's LightGBMPruningCallback does) — the setup
a careful Optuna user runs.
Prints one JSON line: wall seconds of the whole process (imports excluded), trials, validation and test RMSE.
Usage: python optuna_lightgbm.py FEATURES_DIR TRIALS SEED [PRUNER]
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
folder, trials, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pruner = sys.argv[4] if len(sys.argv) > 4 else "none"
frames = {split: pd.read_csv(f"{folder}/{split}.csv") for split in ("train", "valid", "test")}
spots = {spot: code for code, spot in enumerate(sorted(frames["train"]["spot_num"].astype(str).unique()))}


def matrix(frame):
    features = frame.drop(columns=["date", "volume"], errors="ignore").copy()
    features["spot_num"] = features["spot_num"].astype(str).map(spots)
    return features.to_numpy(dtype=np.float64), frame["volume"].to_numpy(dtype=np.float64)


(X, y), (Xv, yv), (Xt, yt) = (matrix(frames[s]) for s in ("train", "valid", "test"))
# min_data_in_leaf varies per trial: LightGBM must not pre-filter features with the first trial's value.
train_set = lightgbm.Dataset(X, y, free_raw_data=False, params={"feature_pre_filter": False})
valid_set = lightgbm.Dataset(Xv, yv, reference=train_set, free_raw_data=False)
# Bin once, before the two trial threads share the Datasets (building one lazily from two threads crashes LightGBM).
train_set.construct()
valid_set.construct()
base = dict(objective="regression", metric="rmse", num_threads=1, seed=7, verbose=-1, max_bin=255)


def params(trial):
    return dict(base, learning_rate=trial.suggest_float("learning_rate", 0.03, 0.3, log=True),
                num_leaves=trial.suggest_int("num_leaves", 15, 127),
                min_data_in_leaf=trial.suggest_int("min_data_in_leaf", 5, 100),
                feature_fraction=trial.suggest_float("feature_fraction", 0.6, 1.0, step=0.1),
                lambda_l2=trial.suggest_float("lambda_l2", 0.001, 10, log=True))


def pruning_callback(trial):
    def callback(env):
        trial.report(env.evaluation_result_list[0][2], env.iteration)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return callback


def objective(trial):
    callbacks = [lightgbm.early_stopping(30, verbose=False)]
    if pruner == "hyperband":
        callbacks.append(pruning_callback(trial))
    model = lightgbm.train(params(trial), train_set, num_boost_round=400, valid_sets=[valid_set], callbacks=callbacks)
    trial.set_user_attr("best_iteration", model.best_iteration)
    return model.best_score["valid_0"]["rmse"]


optuna.logging.set_verbosity(optuna.logging.WARNING)
sampler = optuna.samplers.TPESampler(multivariate=True, n_startup_trials=5, seed=seed)
study = optuna.create_study(
    direction="minimize", sampler=sampler,
    pruner=optuna.pruners.HyperbandPruner(max_resource=400) if pruner == "hyperband" else optuna.pruners.NopPruner())
study.optimize(objective, n_trials=trials, n_jobs=2)
best = study.best_trial
refit = lightgbm.train(dict(params(optuna.trial.FixedTrial(best.params)), num_threads=2),
                       lightgbm.Dataset(np.vstack([X, Xv]), np.concatenate([y, yv])),
                       num_boost_round=best.user_attrs["best_iteration"])
test_rmse = float(np.sqrt(np.mean((refit.predict(Xt) - yt) ** 2)))
pruned = sum(1 for t in study.trials if t.state == optuna.trial.TrialState.PRUNED)
print(json.dumps({"wall": time.perf_counter() - imported, "trials": len(study.trials), "valid_rmse": best.value,
                  "test_rmse": test_rmse, "pruned": pruned}))
