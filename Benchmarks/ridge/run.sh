#!/usr/bin/env bash
# Ridge trial throughput, tunekit vs scikit-learn, on the bundled Seoul traffic data. Usage: Benchmarks/ridge/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
swift build -c release --product tunekit
work=Benchmarks/results/ridge
mkdir -p "$work"
.build/release/tunekit datasets featurize datasets/seoul-traffic --out "$work/features" > /dev/null
if [ ! -x Benchmarks/.venv/bin/python ]; then python3 -m venv Benchmarks/.venv; fi
Benchmarks/.venv/bin/pip install -q numpy scikit-learn
Benchmarks/.venv/bin/python Benchmarks/ridge/bench.py --tunekit .build/release/tunekit \
  --features "$work/features" --experiment Benchmarks/ridge/ridge-trials.yaml "$@"
