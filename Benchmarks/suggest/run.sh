#!/usr/bin/env bash
# Suggestion quality and latency: tunekit's algorithms vs Optuna (TPE univariate and multivariate, GPSampler,
# RandomSampler), hyperopt TPE and scikit-optimize gp_minimize (gp_hedge, EI) on Branin (50 trials), Hartmann-6,
# Rosenbrock-4 and a mixed int/log/categorical surface (100 trials each).
#
# Usage: Benchmarks/suggest/run.sh [SEEDS] [TIMING_SEEDS]   (defaults 10 and 2)
# Two passes. Quality: every sampler on seeds 0..SEEDS-1; the peers run as 4 parallel jobs, one BLAS thread each
# (regret does not depend on timing). Timing: seeds 0..TIMING_SEEDS-1 of every sampler one after another, nothing
# else running, each peer with its default threading. The quality pass takes ~40 min on 2 cores (skopt and
# Optuna's GPSampler refit a GP on every ask), the timing pass ~10 min.
# Raw JSON lines go to Benchmarks/results/suggest/, the Markdown tables to stdout and table.md there.
# Optuna is pinned to 4.9: Optuna 5 dropped univariate TPE (its TPESampler is always multivariate), and Katib's
# Optuna service uses 3.x. GPSampler needs PyTorch, a large download (the PyPI wheel pulls in CUDA libraries).
set -euo pipefail
cd "$(dirname "$0")"
seeds="${1:-10}"
timing_seeds="${2:-2}"
results=../results/suggest
mkdir -p "$results/quality" "$results/timing"
swift build -c release
venv=../.venv-suggest
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check numpy scipy "optuna==4.9.0" "hyperopt==0.3.0" \
    "scikit-optimize==0.10.2" torch greenlet "cmaes==0.13.1"
peer_groups="optuna-random,optuna-tpe,optuna-tpe-multivariate,hyperopt-tpe optuna-gp skopt-gp-hedge skopt-ei"

.build/release/SuggestBench problems.json "$seeds" > "$results/quality/tunekit.jsonl"
for tools in $peer_groups; do
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
        "$venv/bin/python" -W ignore peers.py problems.json "$seeds" "$tools" > "$results/quality/${tools%%,*}.jsonl" &
done
wait

.build/release/SuggestBench problems.json "$timing_seeds" > "$results/timing/tunekit.jsonl"
"$venv/bin/python" -W ignore peers.py problems.json "$timing_seeds" "${peer_groups// /,}" > "$results/timing/peers.jsonl"

for mode in --compact ""; do
    "$venv/bin/python" report.py $mode --quality "$results"/quality/*.jsonl --timing "$results"/timing/*.jsonl
    echo
done | tee "$results/table.md"
