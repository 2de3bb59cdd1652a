"""One timed classifier fit of a reference library on a prepared data set; prints a JSON line.

Usage: peer.py lightgbm|sklearn THREADS FOLDER   (OMP_NUM_THREADS=THREADS is set by the caller for sklearn)
Parameters as bench.py gives tunekit: num_leaves 31, learning_rate 0.1, 200 iterations, max_bin 255, min_data_in_leaf 20.
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

library, threads, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
X, y = np.load(f"{folder}/train_X.npy"), np.load(f"{folder}/train_y.npy")
Xt, yt = np.load(f"{folder}/test_X.npy"), np.load(f"{folder}/test_y.npy")
classes = int(max(y.max(), yt.max())) + 1
# Categorical columns, when the data set names them.
marker = f"{folder}/categorical.json"
categorical = json.load(open(marker))["indices"] if os.path.exists(marker) else []
if library == "lightgbm":
    import lightgbm
    params = dict(num_leaves=31, learning_rate=0.1, max_bin=255, min_data_in_leaf=20, num_threads=threads, verbose=-1)
    params.update(objective="binary") if classes == 2 else params.update(objective="multiclass", num_class=classes)
    start = time.perf_counter()
    model = lightgbm.train(params, lightgbm.Dataset(X, y, categorical_feature=categorical or "auto"), num_boost_round=200)
    fit = time.perf_counter() - start
    probabilities = model.predict(Xt)
    if classes == 2:
        probabilities = np.column_stack([1 - probabilities, probabilities])
else:
    from sklearn.ensemble import HistGradientBoostingClassifier
    model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20,
                                           max_bins=255, l2_regularization=0.0, early_stopping=False,
                                           categorical_features=categorical or None)
    start = time.perf_counter()
    model.fit(X, y)
    fit = time.perf_counter() - start
    probabilities = model.predict_proba(Xt)
auc = roc_auc_score(yt, probabilities[:, 1]) if classes == 2 else roc_auc_score(yt, probabilities, multi_class="ovr")
print(json.dumps({"fit": fit, "logloss": log_loss(yt, probabilities, labels=list(range(classes))),
                  "auc": auc, "accuracy": accuracy_score(yt, probabilities.argmax(axis=1))}))
