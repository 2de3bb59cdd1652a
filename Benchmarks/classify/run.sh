#!/usr/bin/env bash
# tunekit gbdt classifiers vs LightGBM vs scikit-learn, side by side. Usage: Benchmarks/classify/run.sh [--rounds N] [--threads 1,2]
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1
swift build -c release --product tunekit
work=Benchmarks/results/classify
mkdir -p "$work"
.build/release/tunekit datasets featurize datasets/seoul-traffic --out "$work/features" > /dev/null
if [ ! -x Benchmarks/.venv/bin/python ]; then python3 -m venv Benchmarks/.venv; fi
Benchmarks/.venv/bin/pip install -q --disable-pip-version-check numpy pandas scikit-learn lightgbm
Benchmarks/.venv/bin/python Benchmarks/classify/prepare.py "$work" "$work/features"
Benchmarks/.venv/bin/python Benchmarks/classify/bench.py --tunekit .build/release/tunekit --data "$work" "$@"
