#!/usr/bin/env bash
# Model serving throughput: `tunekit serve --models` against KServe's LightGBM server (kserve_lightgbm_server.py:
# PyPI kserve + lightgbm, lgbserver's model class and defaults) serving the same model.bst, same client, same machine.
#   Models: gbdt on the bundled Seoul traffic data (the main job's parameters), and, held out, gbdt on the Seoul bike
#   data (../shared/datasets/seoul-bike: date and text columns, another shape), each published by tunekit.
#   Bodies: encoded feature rows (what model.bst takes) as KServe V1 `instances` (1 and 64 rows) and as one V2
#   `[64, features]` FP64 tensor; both servers' answers are checked equal before any timing.
#   Load: wrk, 2 threads, 32 connections, DURATION seconds (default 15) per server and body, one server at a time.
#   Reported: rows/s (requests/s × rows per request), p50/p99 latency, non-2xx answers, resident memory, and the
#   tunekit/KServe rows/s ratio. KServe runs one worker with one LightGBM thread (lgbserver's defaults: LightGBM
#   is not fork-safe); tunekit runs its event loops on every core.
# Usage: Benchmarks/serve-models/run.sh [DURATION]. Needs wrk (apt-get install wrk). Output: Benchmarks/results/serve-models/.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration="${1:-15}"
results=Benchmarks/results/serve-models
mkdir -p "$results"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
bike=../shared/datasets/seoul-bike/SeoulBikeData.csv
[ -f "$bike" ] || bike=$(ls ../shared/datasets/seoul-bike/*.csv | head -1)
swift build -c release --product tunekit
venv=Benchmarks/.venv-serve-models
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check kserve==0.21.0 lightgbm==4.7.0 pandas numpy

work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
tunekit=.build/release/tunekit
$tunekit train --trainer gbdt --data datasets/seoul-traffic --num_iterations=400 --early_stopping_rounds=30 \
    --learning_rate=0.1 --num_leaves=127 --min_data_in_leaf=100 --output "$work/out" --model-version traffic > /dev/null
$tunekit datasets featurize datasets/seoul-traffic --out "$work/featurized" > /dev/null
head -65 "$work/featurized/test.csv" > "$work/traffic-rows.csv"
$tunekit train --trainer gbdt --data "$bike" --target "Rented Bike Count" --valid-fraction 0.2 --num_iterations=300 \
    --output "$work/out" --model-version bike > /dev/null
tail -64 "$bike" | (head -1 "$bike"; cat) > "$work/bike-rows.csv"

wrk_field() { awk -v key="$2" '$1 == key {print $2}' "$1"; }
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.3f", v / 1000; else if (v ~ /ms$/) printf "%.3f", v + 0; else printf "%.3f", v * 1000 }'; }
start_server() {  # kind model-dir port
    if [ "$1" = tunekit ]; then
        $tunekit serve --models "$2" --model-name model --models-only --port "$3" --log-level warning > "$work/$1.log" 2>&1 &
    else
        "$venv/bin/python" Benchmarks/serve-models/kserve_lightgbm_server.py "$2" model "$3" $(( $3 + 1 )) > "$work/$1.log" 2>&1 &
    fi
    server=$!
    for _ in $(seq 300); do curl -sf "http://127.0.0.1:$3/v2/health/ready" > /dev/null && return; sleep 0.2; done
    echo "$1 server did not start:" >&2; cat "$work/$1.log" >&2; exit 1
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }
answer() {  # port body-file
    case "$2" in
        *v1-*) curl -sf -H "Content-Type: application/json" --data-binary "@$2" "http://127.0.0.1:$1/v1/models/model:predict" ;;
        *) curl -sf -H "Content-Type: application/json" --data-binary "@$2" "http://127.0.0.1:$1/v2/models/model/infer" ;;
    esac
}

echo "dataset,body,server,rows_per_s,p50_ms,p99_ms,non2xx,rss_kb" > "$results/results.csv"
: > "$results/summary.txt"
for dataset in traffic bike; do
    model="$work/out/model/$dataset"
    $tunekit predict --model "$model" --input "$work/$dataset-rows.csv" --output "$work/$dataset-predicted.csv" 2> /dev/null
    mkdir -p "$work/$dataset"
    "$venv/bin/python" Benchmarks/serve-models/make_bodies.py "$model" "$work/$dataset-rows.csv" \
        "$work/$dataset-predicted.csv" "$work/$dataset" | sed "s/^/$dataset: /" | tee -a "$results/summary.txt"
    for kind in tunekit kserve; do
        port=$([ "$kind" = tunekit ] && echo 18080 || echo 18090)
        start_server "$kind" "$model" "$port"
        for body in v1-1 v1-64 v2-64; do
            answer "$port" "$work/$dataset/$body.json" > "$work/$dataset/$body.$kind.out"
        done
        for body in v1-1 v1-64 v2-64; do
            path=$([ "${body%%-*}" = v1 ] && echo "v1/models/model:predict" || echo "v2/models/model/infer")
            wrk -t2 -c32 -d"${duration}s" --latency -s Benchmarks/serve/post.lua "http://127.0.0.1:$port/$path" \
                -- "$work/$dataset/$body.json" > "$results/wrk-$dataset-$body-$kind.txt"
            rps=$(awk '/Requests\/sec/ {print $2}' "$results/wrk-$dataset-$body-$kind.txt")
            rows=$(awk -v r="$rps" -v n="${body##*-}" 'BEGIN {printf "%.0f", r * n}')
            non2xx=$(awk '/Non-2xx/ {print $NF}' "$results/wrk-$dataset-$body-$kind.txt")
            rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
            echo "$dataset,$body,$kind,$rows,$(to_ms "$(wrk_field "$results/wrk-$dataset-$body-$kind.txt" 50%)"),$(to_ms "$(wrk_field "$results/wrk-$dataset-$body-$kind.txt" 99%)"),${non2xx:-0},$rss" >> "$results/results.csv"
        done
        stop_server
    done
    "$venv/bin/python" - "$work/$dataset" <<'PY' | sed "s/^/$dataset: /" | tee -a "$results/summary.txt"
import json, sys
folder = sys.argv[1]
def values(path):
    reply = json.load(open(path))
    return reply["predictions"] if "predictions" in reply else reply["outputs"][0]["data"]
for body in ("v1-1", "v1-64", "v2-64"):
    a, b = values(f"{folder}/{body}.tunekit.out"), values(f"{folder}/{body}.kserve.out")
    worst = max(abs(x - y) / max(1e-12, abs(y)) for x, y in zip(a, b))
    assert len(a) == len(b) and worst < 1e-12, f"{body}: tunekit and KServe disagree (relative {worst})"
    print(f"{body}: both servers answer the same {len(a)} predictions (max relative difference {worst:.1e})")
PY
done
awk -F, 'NR > 1 { key = $1 "," $2; if ($3 == "tunekit") t[key] = $4; else k[key] = $4; line[key] = line[key] sprintf("  %s %s rows/s, p50 %s ms, p99 %s ms, non-2xx %s, RSS %s kB\n", $3, $4, $5, $6, $7, $8) }
     END { for (key in t) printf "%s: tunekit/KServe rows/s = %.1fx\n%s", key, t[key] / k[key], line[key] }' \
    "$results/results.csv" | tee -a "$results/summary.txt"
