#!/usr/bin/env bash
# Hyperparameter importances: tunekit's fANOVA against Optuna's on the same trials (the main job, the held-out Seoul
# bike data, a 1,000-trial synthetic run). Needs optuna and scikit-learn. Usage: Benchmarks/importance/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product tunekit
python3 Benchmarks/importance/bench.py --tunekit .build/release/tunekit --bike ../shared/datasets/seoul-bike/SeoulBikeData.csv
