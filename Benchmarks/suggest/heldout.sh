#!/usr/bin/env bash
# Search quality where nobody tuned: tunekit's model-based algorithms against their Optuna counterparts on held-out
# problems (heldout.json: real tuning surfaces of tunekit's gbdt, ridge and logistic on scikit-learn's bundled data
# sets, cached by heldout-tables.py) and held-out seeds (1000 onwards; run.sh develops on seeds from 0).
#
# Usage: Benchmarks/suggest/heldout.sh [FIRST_SEED-LAST_SEED]   (default 1000-1019: 20 seeds)
# The tables take ~15 min once on 2 cores; the runs ~25 min (Optuna's GPSampler refits a GP on every ask).
# Raw JSON lines go to Benchmarks/results/suggest/heldout/, the table to stdout and versus.md there.
set -euo pipefail
cd "$(dirname "$0")"
seeds="${1:-1000-1019}"
results=../results/suggest/heldout
mkdir -p "$results"
venv=../.venv-suggest
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check numpy scipy scikit-learn "optuna==4.9.0" torch "cmaes==0.13.1"
(cd ../.. && swift build -c release --product tunekit)
swift build -c release
"$venv/bin/python" heldout-tables.py ../../.build/release/tunekit "$results"

.build/release/SuggestBench heldout.json "$seeds" tpe,multivariate-tpe,bayesianoptimization,cmaes,random \
    > "$results/tunekit.jsonl"
# CMA-ES needs two numeric parameters: on the one-parameter problems tunekit's cmaes refuses the space, as Katib's does.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
"$venv/bin/python" -W ignore peers.py heldout.json "$seeds" optuna-tpe,optuna-tpe-multivariate,optuna-cmaes,optuna-random \
    > "$results/optuna.jsonl" &
"$venv/bin/python" -W ignore peers.py heldout.json "$seeds" optuna-gp > "$results/optuna-gp.jsonl" &
wait
"$venv/bin/python" report.py --versus "$results"/{tunekit,optuna,optuna-gp}.jsonl | tee "$results/versus.md"
