#!/usr/bin/env bash
# Load and fuzz checks of `tunekit serve` on loopback (issue 5).
#   Load: wrk, 64 connections, 2 threads, DURATION seconds (default 30) per algorithm, GetSuggestions with a 100-trial
#   history for random and tpe; reports requests/s, p50/p99 latency, non-200 answers and socket errors, and the
#   server's resident memory before and after.
#   Fuzz: schemathesis (PyPI) against deploy/openapi.json, every check but positive_data_acceptance (a schema cannot
#   say min < max or which settings an algorithm takes, so schema-valid requests may rightly get 400); any 5xx,
#   undocumented status or content type, or response that breaks its schema fails it.
# Usage: Benchmarks/serve/run.sh [DURATION]. Needs wrk (apt-get install wrk). Output: Benchmarks/results/serve/.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration="${1:-30}"
results=Benchmarks/results/serve
mkdir -p "$results"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
swift build -c release --product tunekit
venv=Benchmarks/.venv-serve
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check "schemathesis>=4,<5"
"$venv/bin/python" Benchmarks/serve/make_requests.py "$results"

port=16789
.build/release/tunekit serve --port "$port" --log-level warning > "$results/server.out" 2> "$results/server.err" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }

url="http://127.0.0.1:$port/api.v1.beta1.Suggestion/GetSuggestions"
for algorithm in random tpe; do
    curl -sf -X POST --data-binary "@$results/$algorithm.json" "$url" > /dev/null  # warm-up, and a check
    before=$(rss)
    wrk -t2 -c64 -d"${duration}s" --latency -s Benchmarks/serve/post.lua "$url" -- "$results/$algorithm.json" \
        > "$results/wrk-$algorithm.txt"
    after=$(rss)
    rps=$(awk '/Requests\/sec/ {print $2}' "$results/wrk-$algorithm.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$results/wrk-$algorithm.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$results/wrk-$algorithm.txt")
    non200=$(awk '/Non-2xx/ {print $NF}' "$results/wrk-$algorithm.txt")
    socket=$(awk '/Socket errors/ {print $0}' "$results/wrk-$algorithm.txt")
    echo "$algorithm: ${rps} req/s, p50 ${p50}, p99 ${p99}, non-200 ${non200:-0}, ${socket:-socket errors: none}," \
        "RSS ${before} kB -> ${after} kB" | tee -a "$results/summary.txt"
done

set +e
"$venv/bin/schemathesis" run deploy/openapi.json --url "http://127.0.0.1:$port" --checks all \
    --exclude-checks positive_data_acceptance --max-examples 200 --seed 1 > "$results/schemathesis.txt" 2>&1
status=$?
set -e
tail -n 25 "$results/schemathesis.txt"
echo "schemathesis exit status: $status" | tee -a "$results/summary.txt"
exit "$status"
