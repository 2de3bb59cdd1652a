"""One timed fit of a reference library on a prepared data set; prints a JSON line.

Usage: peer.py lightgbm|sklearn|lightgbm-csv THREADS FOLDER [quantized=SEED]   (set OMP_NUM_THREADS=THREADS for sklearn)
lightgbm-csv times the whole job from the CSV files, as `tunekit train` does it: pandas read_csv of train and test,
LightGBM Dataset (binning), train, predict; "fit" is then that whole time.
quantized=SEED: LightGBM with use_quantized_grad=True at its defaults (num_grad_quant_bins 4, stochastic rounding, no
leaf renewal) and seed SEED.
"""
import json
import resource
import sys
import time

import numpy as np

library, threads, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
quantized = sys.argv[4].split("=")[1] if len(sys.argv) > 4 else None
if library == "lightgbm-csv":
    import lightgbm
    import pandas as pd
    start = time.perf_counter()
    train, test = pd.read_csv(f"{folder}/train.csv"), pd.read_csv(f"{folder}/test.csv")
    X, y = train.drop(columns=["target"]).to_numpy(), train["target"].to_numpy()
    Xt, yt = test.drop(columns=["target"]).to_numpy(), test["target"].to_numpy()
else:
    X, y = np.load(f"{folder}/train_X.npy"), np.load(f"{folder}/train_y.npy")
    Xt, yt = np.load(f"{folder}/test_X.npy"), np.load(f"{folder}/test_y.npy")
if library.startswith("lightgbm"):
    import lightgbm
    params = dict(objective="regression", num_leaves=31, learning_rate=0.1, max_bin=255, min_data_in_leaf=20,
                  num_threads=threads, verbose=-1)
    if quantized is not None:
        params.update(use_quantized_grad=True, seed=int(quantized))
    if library == "lightgbm":
        start = time.perf_counter()
    model = lightgbm.train(params, lightgbm.Dataset(X, y), num_boost_round=200)
else:
    from sklearn.ensemble import HistGradientBoostingRegressor
    model = HistGradientBoostingRegressor(max_iter=200, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20,
                                          max_bins=255, l2_regularization=0.0, early_stopping=False)
    start = time.perf_counter()
    model.fit(X, y)
fit = time.perf_counter() - start
predict_start = time.perf_counter()
prediction = model.predict(Xt)
predict = time.perf_counter() - predict_start
if library == "lightgbm-csv":
    fit = time.perf_counter() - start
print(json.dumps({"fit": fit, "predict": predict, "rmse": float(np.sqrt(np.mean((prediction - yt) ** 2))),
                  "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
