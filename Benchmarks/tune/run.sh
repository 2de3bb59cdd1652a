#!/usr/bin/env bash
# The whole tuning job, tunekit vs Optuna + LightGBM, side by side on the same machine: the main experiment
# (experiments/seoul-traffic-gbdt.yaml, multivariate TPE, 2 trials at a time) at TRIALS trials (default 40), SEEDS
# seeds each (default 3), alternating. tunekit: `tunekit tune` end to end (featurizing the raw VolInfo files, trials,
# refit on train+validation, test score, artifacts). Optuna: optuna_lightgbm.py in one Python process on tunekit's
# pre-featurized CSVs (imports excluded). Also each with its pruning: tunekit's seoul-traffic-gbdt-pruned.yaml
# (medianpruner) against Optuna's HyperbandPruner with a per-round pruning callback. Reports wall seconds and test
# RMSE per seed, and the medians' ratios.
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
    for variant in main pruned; do
        source_file=experiments/seoul-traffic-gbdt.yaml; tool=tunekit
        if [ "$variant" = pruned ]; then source_file=experiments/seoul-traffic-gbdt-pruned.yaml; tool=tunekit-pruned; fi
        experiment="$results/experiment-$variant-$seed.yaml"
        sed -e "s/^  maxTrialCount: .*/  maxTrialCount: $trials/" \
            -e "/name: random_state/{n;s/value: .*/value: \"$seed\"/}" "$source_file" > "$experiment"
        start=$(date +%s.%N)
        .build/release/tunekit tune "$experiment" --output "$results/output" --model-version "$variant-$seed" --force \
            > "$results/$tool-$seed.log" 2>&1
        end=$(date +%s.%N)
        python3 - "$results/output/artifact/$variant-$seed/score.json" "$start" "$end" "$seed" "$tool" >> "$results/runs.jsonl" <<'PY'
import json, sys
score = json.load(open(sys.argv[1]))
print(json.dumps({"tool": sys.argv[5], "seed": int(sys.argv[4]), "wall": float(sys.argv[3]) - float(sys.argv[2]),
                  "trials": len(score["trials"]), "valid_rmse": score["validation"]["rmse"], "test_rmse": score["test"]["rmse"],
                  "pruned": sum(1 for t in score["trials"] if t["condition"] == "EARLYSTOPPED")}))
PY
    done
    for pruner in none hyperband; do
        tool="optuna+lightgbm"; [ "$pruner" = hyperband ] && tool="optuna+lightgbm+hyperband"
        "$venv/bin/python" Benchmarks/tune/optuna_lightgbm.py "$results/features" "$trials" "$seed" "$pruner" \
            | python3 -c "import json, sys; r = json.loads(sys.stdin.read().strip().splitlines()[-1]); r.update(tool='$tool', seed=$seed); print(json.dumps(r))" \
            >> "$results/runs.jsonl"
    done
    tail -n 4 "$results/runs.jsonl"
done
python3 - "$results/runs.jsonl" <<'PY' | tee "$results/summary.txt"
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
median = {}
for tool in ("tunekit", "tunekit-pruned", "optuna+lightgbm", "optuna+lightgbm+hyperband"):
    mine = [r for r in runs if r["tool"] == tool]
    median[tool] = {k: statistics.median(r[k] for r in mine) for k in ("wall", "test_rmse", "valid_rmse", "pruned")}
    print(f"{tool:26} median wall {median[tool]['wall']:7.1f} s, test RMSE {median[tool]['test_rmse']:7.1f}, "
          f"validation RMSE {median[tool]['valid_rmse']:7.1f}, pruned {median[tool]['pruned']:g} ({len(mine)} seeds)")
for ours, theirs in (("tunekit", "optuna+lightgbm"), ("tunekit-pruned", "optuna+lightgbm+hyperband"), ("tunekit-pruned", "optuna+lightgbm")):
    print(f"{ours} / {theirs}: wall {median[ours]['wall'] / median[theirs]['wall']:.2f}x, "
          f"validation RMSE {median[ours]['valid_rmse'] / median[theirs]['valid_rmse']:.3f}, "
          f"test RMSE {median[ours]['test_rmse'] / median[theirs]['test_rmse']:.3f}")
PY
