#!/usr/bin/env bash
# tunekit gbdt vs LightGBM vs scikit-learn, side by side. Usage: Benchmarks/gbdt/run.sh [--rounds N] [--threads 1,2] [--quantized]
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1
swift build -c release --product tunekit
work=Benchmarks/results/gbdt
mkdir -p "$work"
.build/release/tunekit datasets featurize datasets/seoul-traffic --out "$work/features" > /dev/null
if [ ! -x Benchmarks/.venv/bin/python ]; then python3 -m venv Benchmarks/.venv; fi
Benchmarks/.venv/bin/pip install -q --disable-pip-version-check numpy pandas scikit-learn lightgbm
# The Seoul bike data is used when ../shared is beside the clone (see its README for the fixed split).
Benchmarks/.venv/bin/python Benchmarks/gbdt/prepare.py "$work" "$work/features" ../shared/datasets/seoul-bike/SeoulBikeData.csv
Benchmarks/.venv/bin/python Benchmarks/gbdt/bench.py --tunekit .build/release/tunekit --data "$work" "$@"
