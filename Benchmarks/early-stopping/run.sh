#!/usr/bin/env bash
# Early stopping on the main job and on a held-out data set: wall time and test RMSE of the same seeded search (24
# trials) with no early stopping, Katib's medianstop, and tunekit's asha and medianpruner, one round per seed; then
# hyperband and bohb against random search at equal boosting rounds on the main job (multifidelity.py, 10 seeds).
# Usage: Benchmarks/early-stopping/run.sh [SEEDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product tunekit
python3 Benchmarks/early-stopping/bench.py --tunekit .build/release/tunekit --rounds "${1:-3}" \
  --bike ../shared/datasets/seoul-bike/SeoulBikeData.csv
python3 -m venv Benchmarks/.venv-multifidelity
Benchmarks/.venv-multifidelity/bin/pip install -q --disable-pip-version-check scipy
Benchmarks/.venv-multifidelity/bin/python Benchmarks/early-stopping/multifidelity.py .build/release/tunekit 10
