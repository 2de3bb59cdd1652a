#!/usr/bin/env bash
# The whole tuning job, tunekit vs Optuna + LightGBM, side by side on the same machine: the main experiment
# (experiments/seoul-traffic-gbdt.yaml, multivariate TPE, 2 trials at a time) at TRIALS trials (default 40), SEEDS
# seeds each (default 3), alternating. tunekit: `tunekit tune` end to end (featurizing the raw VolInfo files, trials,
# refit on train+validation, test score, artifacts). Optuna: optuna_lightgbm.py in one Python process on tunekit's
# pre-featurized CSVs (imports excluded). Reports wall seconds and test RMSE per seed, and the medians' ratio.
# Usage: Benchmarks/tune/run.sh [TRIALS] [SEEDS]. Output: Benchmarks/results/tune/.
set -euo pipefail
cd "$(dirname "$0")/../.."
trials="${1:-40}"
seeds="${2:-3}"
results=Benchmarks/results/tune
mkdir -p "$results"
swift build -c release --product tunekit
venv=Benchmarks/.venv-tune
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check numpy pandas lightgbm optuna
.build/release/tunekit datasets featurize datasets/seoul-traffic --out "$results/features" > /dev/null

: > "$results/runs.jsonl"
for seed in $(seq 1 "$seeds"); do
    experiment="$results/experiment-$seed.yaml"
    sed -e "s/^  maxTrialCount: .*/  maxTrialCount: $trials/" \
        -e "/name: random_state/{n;s/value: .*/value: \"$seed\"/}" experiments/seoul-traffic-gbdt.yaml > "$experiment"
    start=$(date +%s.%N)
    .build/release/tunekit tune "$experiment" --output "$results/output" --model-version "seed-$seed" --force \
        > "$results/tunekit-$seed.log" 2>&1
    end=$(date +%s.%N)
    python3 - "$results/output/artifact/seed-$seed/score.json" "$start" "$end" "$seed" >> "$results/runs.jsonl" <<'PY'
import json, sys
score = json.load(open(sys.argv[1]))
print(json.dumps({"tool": "tunekit", "seed": int(sys.argv[4]), "wall": float(sys.argv[3]) - float(sys.argv[2]),
                  "trials": len(score["trials"]), "valid_rmse": score["validation"]["rmse"], "test_rmse": score["test"]["rmse"]}))
PY
    "$venv/bin/python" Benchmarks/tune/optuna_lightgbm.py "$results/features" "$trials" "$seed" \
        | python3 -c "import json, sys; r = json.loads(sys.stdin.read().strip().splitlines()[-1]); r.update(tool='optuna+lightgbm', seed=$seed); print(json.dumps(r))" \
        >> "$results/runs.jsonl"
    tail -n 2 "$results/runs.jsonl"
done
python3 - "$results/runs.jsonl" <<'PY' | tee "$results/summary.txt"
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
median = {}
for tool in ("tunekit", "optuna+lightgbm"):
    mine = [r for r in runs if r["tool"] == tool]
    median[tool] = {k: statistics.median(r[k] for r in mine) for k in ("wall", "test_rmse", "valid_rmse")}
    print(f"{tool:16} median wall {median[tool]['wall']:7.1f} s, test RMSE {median[tool]['test_rmse']:7.1f}, "
          f"validation RMSE {median[tool]['valid_rmse']:7.1f} ({len(mine)} seeds)")
print(f"wall time tunekit / Optuna+LightGBM: {median['tunekit']['wall'] / median['optuna+lightgbm']['wall']:.2f}x; "
      f"test RMSE ratio {median['tunekit']['test_rmse'] / median['optuna+lightgbm']['test_rmse']:.3f}")
PY
