#!/usr/bin/env bash
# Suggestion quality and latency: tunekit's algorithms vs Optuna (TPE univariate and multivariate, GPSampler,
# RandomSampler), hyperopt TPE and scikit-optimize gp_minimize (gp_hedge, EI) on Branin (50 trials), Hartmann-6,
# Rosenbrock-4 and a mixed int/log/categorical surface (100 trials each), every sampler on the same seeds.
#
# Usage: Benchmarks/suggest/run.sh [SEEDS]   (default 10; the peers take ~1 hour on 2 cores, mostly skopt and
# Optuna's GPSampler). Raw JSON lines go to Benchmarks/results/suggest/, the Markdown tables to stdout.
# Optuna is pinned to 4.9: Optuna 5 dropped univariate TPE (its TPESampler is always multivariate), and Katib's
# Optuna service uses 3.x. GPSampler needs PyTorch, a large download (the PyPI wheel pulls in CUDA libraries).
set -euo pipefail
cd "$(dirname "$0")"
seeds="${1:-10}"
results=../results/suggest
mkdir -p "$results"
swift build -c release
venv=../.venv-suggest
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check numpy scipy "optuna==4.9.0" "hyperopt==0.3.0" \
    "scikit-optimize==0.10.2" torch
.build/release/SuggestBench problems.json "$seeds" > "$results/tunekit.jsonl"
"$venv/bin/python" -W ignore peers.py problems.json "$seeds" \
    optuna-random,optuna-tpe,optuna-tpe-multivariate,hyperopt-tpe,optuna-gp,skopt-gp-hedge,skopt-ei > "$results/peers.jsonl"
"$venv/bin/python" report.py "$results/tunekit.jsonl" "$results/peers.jsonl" | tee "$results/table.md"
