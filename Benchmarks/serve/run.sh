#!/usr/bin/env bash
# Load, codec, client and fuzz checks of `tunekit serve` on loopback.
#   Floor: nginx (apt-get install nginx-light) answering the same POST with a constant body, same wrk settings, in the
#   same run: tunekit's requests/s are reported as a ratio of it.
#   Load: wrk, 64 connections, 2 threads, DURATION seconds (default 30) per algorithm, GetSuggestions with a 100-trial
#   history (38 KB of JSON) for random and tpe; reports requests/s, p50/p99 latency, non-200 answers and socket
#   errors, and the server's resident memory before and after.
#   Codecs: CodecBench (this folder's Swift package) times decoding the same body with tunekit's JSON reader,
#   swift-protobuf's JSON decoder and its binary decoder, the suggestion itself, and encoding the reply.
#   Clients: a Python Connect client generated from the .proto, buf curl, and Katib's SDK messages
#   (Tests/ConnectClients/katib_connect_client.py), in JSON and binary protobuf.
#   Fuzz: schemathesis (PyPI) against Sources/TuningServer/openapi.json, every check but positive_data_acceptance (a schema cannot
#   say min < max or which settings an algorithm takes, so schema-valid requests may rightly get 400); any 5xx,
#   undocumented status or content type, or response that breaks its schema fails it.
# Usage: Benchmarks/serve/run.sh [DURATION]. Needs wrk (apt-get install wrk). Output: Benchmarks/results/serve/.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration="${1:-30}"
results=Benchmarks/results/serve
mkdir -p "$results"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is missing: apt-get install -y nginx-light" >&2; exit 1; }
swift build -c release --product tunekit
(cd Benchmarks/serve && swift build -c release --product CodecBench)
venv=Benchmarks/.venv-serve
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check "schemathesis>=4,<5" connectrpc==0.13.0 \
    protoc-gen-connectrpc==0.13.0 protoc-gen-py==0.7.0 buf-bin==1.75.0 "protobuf>=5"
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps kubeflow-katib==0.19.0
"$venv/bin/python" Benchmarks/serve/make_requests.py "$results"
: > "$results/summary.txt"

for algorithm in random tpe; do
    echo "codecs, $algorithm body:" | tee -a "$results/summary.txt"
    # One BLAS thread: OpenBLAS's idle workers spin on the second core and would slow the timed thread.
    OPENBLAS_NUM_THREADS=1 Benchmarks/serve/.build/release/CodecBench "$results/$algorithm.json" 300 | tee -a "$results/summary.txt"
done

floor_port=16791
work=$(mktemp -d)
cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_buffer_size 1m;
  server {
    listen 127.0.0.1:$floor_port;
    location / { default_type application/json; return 200 '{"parameterAssignments":[{"assignments":[{"name":"x","value":"1"}]}]}'; }
  }
}
NGINX
nginx -c "$work/nginx.conf"

port=16789
.build/release/tunekit serve --port "$port" --log-level warning > "$results/server.out" 2> "$results/server.err" &
server=$!
trap 'kill $server 2>/dev/null || true; nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }

wrk_summary() {  # file -> "N req/s, p50 …, p99 …"
    awk '/Requests\/sec/ {r=$2} $1 == "50%" {p50=$2} $1 == "99%" {p99=$2} END {print r, "req/s, p50", p50 ", p99", p99}' "$1"
}
wrk -t2 -c64 -d"${duration}s" --latency -s Benchmarks/serve/post.lua "http://127.0.0.1:$floor_port/api.v1.beta1.Suggestion/GetSuggestions" \
    -- "$results/random.json" > "$results/wrk-nginx.txt"
floor=$(awk '/Requests\/sec/ {print $2}' "$results/wrk-nginx.txt")
echo "nginx floor: $(wrk_summary "$results/wrk-nginx.txt")" | tee -a "$results/summary.txt"

url="http://127.0.0.1:$port/api.v1.beta1.Suggestion/GetSuggestions"
for algorithm in random tpe; do
    curl -sf -H "Content-Type: application/json" --data-binary "@$results/$algorithm.json" "$url" > /dev/null  # warm-up, and a check
    before=$(rss)
    wrk -t2 -c64 -d"${duration}s" --latency -s Benchmarks/serve/post.lua "$url" -- "$results/$algorithm.json" \
        > "$results/wrk-$algorithm.txt"
    after=$(rss)
    rps=$(awk '/Requests\/sec/ {print $2}' "$results/wrk-$algorithm.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$results/wrk-$algorithm.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$results/wrk-$algorithm.txt")
    non200=$(awk '/Non-2xx/ {print $NF}' "$results/wrk-$algorithm.txt")
    socket=$(awk '/Socket errors/ {print $0}' "$results/wrk-$algorithm.txt")
    ratio=$(awk -v a="$rps" -v b="$floor" 'BEGIN {printf "%.3f", a / b}')
    echo "$algorithm: ${rps} req/s (${ratio}x nginx), p50 ${p50}, p99 ${p99}, non-200 ${non200:-0}," \
        "${socket:-socket errors: none}, RSS ${before} kB -> ${after} kB" | tee -a "$results/summary.txt"
done

mkdir -p "$work/client"
"$venv/bin/python" Tests/ConnectClients/katib_connect_client.py "http://127.0.0.1:$port" Sources/KatibWire/Protos \
    "$work/client" "$results/tpe.json" > "$results/connect-clients.json"
echo "Connect clients (Python connectrpc proto+gzip and JSON, buf curl, Katib SDK messages): ok" | tee -a "$results/summary.txt"

set +e
"$venv/bin/schemathesis" run Sources/TuningServer/openapi.json --url "http://127.0.0.1:$port" --checks all \
    --exclude-checks positive_data_acceptance --max-examples 200 --seed 1 > "$results/schemathesis.txt" 2>&1
status=$?
set -e
tail -n 25 "$results/schemathesis.txt"
echo "schemathesis exit status: $status" | tee -a "$results/summary.txt"
exit "$status"
