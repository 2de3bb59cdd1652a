#!/usr/bin/env bash
# Suggestion quality and latency: tunekit's algorithms vs Optuna, hyperopt and scikit-optimize on Branin,
# Hartmann-6, Rosenbrock-4 and a mixed int/log/categorical surface. Usage: Benchmarks/suggest/run.sh [SEEDS]
# Work in progress (issue 4): prints raw JSON lines; the aggregate table is not written yet.
set -euo pipefail
cd "$(dirname "$0")"
seeds="${1:-10}"
swift build -c release
if [ ! -x ../.venv/bin/python ]; then python3 -m venv ../.venv; fi
../.venv/bin/pip install -q --disable-pip-version-check numpy optuna hyperopt scikit-optimize
.build/release/SuggestBench problems.json "$seeds"
../.venv/bin/python peers.py problems.json "$seeds" optuna-tpe,optuna-tpe-multivariate,optuna-random,optuna-gp,hyperopt-tpe,skopt-gp-hedge,skopt-ei
