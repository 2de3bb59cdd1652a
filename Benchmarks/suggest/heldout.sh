#!/usr/bin/env bash
# Search quality where nobody tuned: tunekit's model-based algorithms against their Optuna counterparts on held-out
# problems (real tuning surfaces of tunekit's gbdt, ridge and logistic on scikit-learn's data sets, cached by
# heldout-tables.py) and held-out seeds (run.sh develops on seeds from 0). Two sets: heldout.json (seeds 1000
# onwards), on which issue 27 changed the algorithms, and heldout-b.json (seeds 2000 onwards), only run to check them.
#
# Usage: Benchmarks/suggest/heldout.sh [SEEDS] [PROBLEMS] [WIDE_SEEDS]
#        (SEEDS as FIRST-LAST; defaults 1000-1019, heldout.json, FIRST to FIRST+99; PROBLEMS relative to this folder;
#        the second set: heldout.sh 2000-2019 heldout-b.json)
# Every algorithm runs on SEEDS; the cheap ones (all but the GPs) also on WIDE_SEEDS, a second table: the medians of
# 20 seeds jump between the few regrets a grid surface has. The tables take ~3 min per gbdt surface once on 2 cores;
# the runs ~30 min (Optuna's GPSampler refits a GP on every ask). Raw JSON lines go to
# Benchmarks/results/suggest/<PROBLEMS' name>/, the tables to stdout and versus.md there.
set -euo pipefail
cd "$(dirname "$0")"
seeds="${1:-1000-1019}"
problems="${2:-heldout.json}"
first="${seeds%%-*}"
wide="${3:-$first-$((first + 99))}"
results=../results/suggest/$(basename "$problems" .json)
mkdir -p "$results"
venv=../.venv-suggest
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check numpy scipy scikit-learn "optuna==4.9.0" torch "cmaes==0.13.1"
(cd ../.. && swift build -c release --product tunekit)
swift build -c release
surfaces=$("$venv/bin/python" -c 'import json, sys; print(" ".join(p["name"] for p in json.load(open(sys.argv[1]))))' "$problems")
# shellcheck disable=SC2086
"$venv/bin/python" heldout-tables.py ../../.build/release/tunekit ../results/suggest/heldout $surfaces

.build/release/SuggestBench "$problems" "$seeds" tpe,multivariate-tpe,bayesianoptimization,cmaes,random \
    > "$results/tunekit.jsonl"
.build/release/SuggestBench "$problems" "$wide" tpe,multivariate-tpe,cmaes,random > "$results/tunekit-wide.jsonl"
# CMA-ES needs two numeric parameters: on the one-parameter problems tunekit's cmaes refuses the space, as Katib's does.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
"$venv/bin/python" -W ignore peers.py "$problems" "$wide" optuna-tpe,optuna-tpe-multivariate,optuna-cmaes,optuna-random \
    > "$results/optuna-wide.jsonl" &
cheap=$!
"$venv/bin/python" -W ignore peers.py "$problems" "$seeds" optuna-gp > "$results/optuna-gp.jsonl" &
gp=$!
# Each waited for by itself: a failed peer run stops the script (a bare `wait` would return 0).
wait "$cheap"
wait "$gp"
{
    echo "Seeds $seeds, every algorithm:"
    echo
    "$venv/bin/python" report.py --versus "$results"/{tunekit,optuna-wide,optuna-gp}.jsonl
    echo
    echo "Seeds $wide, the algorithms but the GPs:"
    echo
    "$venv/bin/python" report.py --versus "$results"/{tunekit-wide,optuna-wide}.jsonl
} | tee "$results/versus.md"
