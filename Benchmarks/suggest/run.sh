#!/usr/bin/env bash
# Suggestion quality and latency: tunekit's algorithms vs Optuna (TPE univariate and multivariate, GPSampler,
# CmaEsSampler, QMCSampler, RandomSampler), hyperopt TPE and scikit-optimize gp_minimize (gp_hedge, EI) on Branin
# (50 trials), Hartmann-6, Rosenbrock-4 and a mixed int/log/categorical surface (100 trials each) — the problems the
# algorithms were developed on — and two held out: a second mixed surface with integer steps and categoricals whose
# best values depend on the category (100 trials), and a real tuning task, gbdt's validation RMSE on the bundled Seoul
# traffic data over a 648-point grid (50 trials; every point trained once by seoul-gbdt-table.py and cached, so all
# tools and seeds see the same surface). Then hyperband and bohb on synthetic learning curves (HyperbandBench) against random
# search and Optuna's HyperbandPruner (hyperband_peers.py) at the same number of epochs.
#
# Usage: Benchmarks/suggest/run.sh [SEEDS] [GP_SEEDS] [TIMING_SEEDS]   (defaults 30, 10 and 2)
# Two passes. Quality: the fast samplers on seeds 0..SEEDS-1, the GP samplers (tunekit's, Optuna's, skopt's) on
# 0..GP_SEEDS-1; the peers run as parallel jobs, one BLAS thread each (regret does not depend on timing). Timing:
# seeds 0..TIMING_SEEDS-1 of every sampler one after another, nothing else running, each peer with its default
# threading. The quality pass takes ~60 min on 2 cores (skopt and Optuna's GPSampler refit a GP on every ask), the
# timing pass ~10 min; the cached trainings ~7 min once.
# Raw JSON lines go to Benchmarks/results/suggest/, the Markdown tables to stdout and table.md there.
# Optuna is pinned to 4.9: Optuna 5 dropped univariate TPE (its TPESampler is always multivariate), and Katib's
# Optuna service uses 3.x. GPSampler needs PyTorch, a large download (the PyPI wheel pulls in CUDA libraries).
set -euo pipefail
cd "$(dirname "$0")"
seeds="${1:-30}"
gp_seeds="${2:-10}"
timing_seeds="${3:-2}"
results=../results/suggest
mkdir -p "$results/quality" "$results/timing"
swift build -c release
venv=../.venv-suggest
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check numpy scipy "optuna==4.9.0" "hyperopt==0.3.0" \
    "scikit-optimize==0.10.2" torch greenlet "cmaes==0.13.1"
fast_peers="optuna-random,optuna-tpe,optuna-tpe-multivariate,optuna-cmaes,optuna-qmc,hyperopt-tpe"
gp_peers="optuna-gp skopt-gp-hedge skopt-ei"
(cd ../.. && swift build -c release --product tunekit)
"$venv/bin/python" seoul-gbdt-table.py ../../.build/release/tunekit "$results/seoul-gbdt-table.json"

.build/release/SuggestBench problems.json "$seeds" random,tpe,multivariate-tpe,cmaes,sobol > "$results/quality/tunekit.jsonl"
.build/release/SuggestBench problems.json "$gp_seeds" bayesianoptimization > "$results/quality/tunekit-gp.jsonl"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    "$venv/bin/python" -W ignore peers.py problems.json "$seeds" "$fast_peers" > "$results/quality/fast-peers.jsonl" &
for tool in $gp_peers; do
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
        "$venv/bin/python" -W ignore peers.py problems.json "$gp_seeds" "$tool" > "$results/quality/$tool.jsonl" &
done
wait

.build/release/SuggestBench problems.json "$timing_seeds" > "$results/timing/tunekit.jsonl"
"$venv/bin/python" -W ignore peers.py problems.json "$timing_seeds" "$fast_peers,${gp_peers// /,}" > "$results/timing/peers.jsonl"

# Multi-fidelity: hyperband vs random search and Optuna's HyperbandPruner at the resource one hyperband schedule spends.
.build/release/HyperbandBench "$seeds" > "$results/hyperband.jsonl"
budget=$(head -1 "$results/hyperband.jsonl" | "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["epochs"])')
"$venv/bin/python" -W ignore hyperband_peers.py "$seeds" "$budget" >> "$results/hyperband.jsonl"

for mode in --compact ""; do
    "$venv/bin/python" report.py $mode --quality "$results"/quality/*.jsonl --timing "$results"/timing/*.jsonl
    echo
done | tee "$results/table.md"
"$venv/bin/python" report.py --hyperband "$results/hyperband.jsonl" | tee -a "$results/table.md"
