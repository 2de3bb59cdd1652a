#!/usr/bin/env bash
# GetSuggestions over gRPC: tunekit against Katib's own Python suggestion services, the peers users run today.
#   Services: Katib's hyperopt service (Katib routes random and tpe to it) and its Optuna service (multivariate-tpe),
#   run from kubeflow/katib's source with each service's pinned requirements.txt in a venv of its own
#   (katib_service.py: main.py with a port argument), and `tunekit serve` (release build), one at a time on loopback.
#   Client: one grpcio client with the stubs from Katib's Python SDK (bench.py). Each call carries every trial, as
#   Katib's controller's do, and asks one assignment; histories of 100, 1,000 and 10,000 trials (4 parameters:
#   log-scaled double, int, double, categorical). random and tpe get the same seeded history for both services;
#   multivariate-tpe histories are built by the service under test (Katib's Optuna service refuses trials it did
#   not suggest), with n_startup_trials = the history size. The first call of each is untimed (ingestion).
#   Memory: 5 minutes (SOAK seconds) of tpe calls at 10,000 trials against tunekit, resident memory every 10 s.
# Usage: Benchmarks/katib-services/run.sh KATIB_SRC [SOAK]
#   KATIB_SRC: a checkout of github.com/kubeflow/katib (the suggestion services' Python code).
# Output: Benchmarks/results/katib-services/{calls.csv,soak.csv,summary.txt}.
set -euo pipefail
cd "$(dirname "$0")/../.."
katib=$(cd "${1:?usage: run.sh KATIB_SRC [SOAK]}" && pwd)
soak="${2:-300}"
results=Benchmarks/results/katib-services
mkdir -p "$results"
swift build -c release --product tunekit
for service in hyperopt optuna; do
    venv=Benchmarks/.venv-katib-$service
    if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$katib/cmd/suggestion/$service/v1beta1/requirements.txt"
done
client=Benchmarks/.venv-katib-client
if [ ! -x "$client/bin/python" ]; then python3 -m venv "$client"; fi
"$client/bin/pip" install -q --disable-pip-version-check grpcio==1.74.0 "protobuf>=5,<7"
"$client/bin/pip" install -q --disable-pip-version-check --no-deps kubeflow-katib==0.19.0

server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null || true' EXIT
start() {  # name port
    case "$1" in
        tunekit) .build/release/tunekit serve --port "$2" --log-level warning --request-timeout 600 & ;;
        *) Benchmarks/.venv-katib-$1/bin/python Benchmarks/katib-services/katib_service.py "$katib" "$1" "$2" > /dev/null & ;;
    esac
    server=$!
    for _ in $(seq 200); do
        "$client/bin/python" -c "import grpc, sys; grpc.channel_ready_future(grpc.insecure_channel(sys.argv[1])).result(timeout=0.2)" \
            "127.0.0.1:$2" 2>/dev/null && return
    done
    echo "$1 did not start" >&2; exit 1
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }
calls() { case "$1" in 100) echo 30 ;; 1000) echo 15 ;; *) echo 5 ;; esac; }

echo "service,algorithm,trials,call,ms" > "$results/calls.csv"
port=16789
for size in 100 1000 10000; do
    for pair in "katib-hyperopt:hyperopt:tpe:" "tunekit:tunekit:tpe:" "katib-hyperopt:hyperopt:random:" "tunekit:tunekit:random:" \
                "katib-optuna:optuna:multivariate-tpe:--grow" "tunekit:tunekit:multivariate-tpe:--grow"; do
        IFS=: read -r label name algorithm grow <<< "$pair"
        port=$((port + 1))
        start "$name" "$port"   # a fresh process per run: Katib's services keep each experiment's state
        "$client/bin/python" Benchmarks/katib-services/bench.py $grow "127.0.0.1:$port" "$label" "$algorithm" "$size" \
            "$(calls "$size")" "$results/calls.csv"
        stop
    done
done

port=$((port + 1))
start tunekit "$port"
"$client/bin/python" Benchmarks/katib-services/bench.py --soak "$soak" --pid "$server" "127.0.0.1:$port" tunekit tpe 10000 0 \
    "$results/soak.csv" | tee "$results/soak.txt"
stop

"$client/bin/python" - "$results/calls.csv" > "$results/summary.txt" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
times = {}
for row in rows:
    times.setdefault((row["algorithm"], int(row["trials"]), row["service"]), []).append(float(row["ms"]))
print(f"{'algorithm':<18}{'trials':>8}{'Katib service':>16}{'Katib ms':>12}{'tunekit ms':>12}{'ratio':>9}")
for (algorithm, trials, service), values in sorted(times.items()):
    if service == "tunekit":
        continue
    ours = statistics.median(times[(algorithm, trials, "tunekit")])
    theirs = statistics.median(values)
    print(f"{algorithm:<18}{trials:>8}{service:>16}{theirs:>12.2f}{ours:>12.2f}{theirs / ours:>8.1f}x")
PY
cat "$results/summary.txt" "$results/soak.txt"
