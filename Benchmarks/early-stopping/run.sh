#!/usr/bin/env bash
# Early stopping on the main job and on a held-out data set: wall time and test RMSE of the same seeded search (24
# trials) with no early stopping, Katib's medianstop, and tunekit's asha and medianpruner, one round per seed.
# Usage: Benchmarks/early-stopping/run.sh [SEEDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product tunekit
python3 Benchmarks/early-stopping/bench.py --tunekit .build/release/tunekit --rounds "${1:-3}" \
  --bike ../shared/datasets/seoul-bike/SeoulBikeData.csv
