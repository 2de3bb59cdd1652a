#!/usr/bin/env bash
# Hyperparameter importances: tunekit's fANOVA against Optuna's on the same trials (the main job, the held-out Seoul
# bike data, a 1,000-trial synthetic run). Usage: Benchmarks/importance/run.sh [--trials N]
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1
swift build -c release --product tunekit
if [ ! -x Benchmarks/.venv/bin/python ]; then python3 -m venv Benchmarks/.venv; fi
Benchmarks/.venv/bin/pip install -q --disable-pip-version-check optuna scikit-learn
Benchmarks/.venv/bin/python Benchmarks/importance/bench.py --tunekit .build/release/tunekit \
  --bike ../shared/datasets/seoul-bike/SeoulBikeData.csv "$@"
