"""Calls `tunekit serve` over gRPC as Katib's controller does: with grpcio and the stubs Katib itself generated from
its api.proto (PyPI: kubeflow-katib, modules katib_api_pb2 and katib_api_pb2_grpc), and with gRPC's standard health
client (PyPI: grpcio-health-checking), as Kubernetes' gRPC probe asks.

Usage: python katib_grpc_client.py HOST:PORT CASES_JSON PROTO_DIR MAX_MESSAGE_BYTES

CASES_JSON is a list of {"name", "service": "Suggestion"|"EarlyStopping", "method", "request": proto JSON}. Each case
is sent with Katib's stub; the script prints one JSON object: per case the status code name, the message and the
reply (base64 of its deterministic serialisation), plus the protocol checks below under "checks". Exits non-zero
when a protocol check fails (the caller compares the cases with the Connect answers).
"""
import base64
import json
import os
import subprocess
import sys
import sysconfig
import types

import grpc
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc

# Katib's generated modules import `kubeflow.katib.katib_api_pb2`; the SDK package's __init__ needs the kubernetes
# client, so the package is registered bare and only the generated modules are loaded from it.
package = types.ModuleType("kubeflow.katib")
package.__path__ = [os.path.join(sysconfig.get_paths()["purelib"], "kubeflow", "katib")]
sys.modules["kubeflow.katib"] = package
from kubeflow.katib import katib_api_pb2 as api  # noqa: E402
from kubeflow.katib import katib_api_pb2_grpc as stubs  # noqa: E402

target, cases_path, proto_dir, max_message = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(cases_path) as source:
    cases = json.load(source)

channel = grpc.insecure_channel(target)
grpc.channel_ready_future(channel).result(timeout=10)
services = {"Suggestion": stubs.SuggestionStub(channel), "EarlyStopping": stubs.EarlyStoppingStub(channel)}
results = []
problems = []
checks = {}


def call(method, request, **options):
    """(code name, message, reply) of one unary call."""
    try:
        reply = method(request, timeout=options.pop("timeout", 30), **options)
        return "OK", "", reply
    except grpc.RpcError as error:
        return error.code().name, error.details() or "", None


for case in cases:
    if not case["deterministic"]:
        results.append({"name": case["name"], "code": None, "message": None, "reply": None})
        continue
    stub = services[case["service"]]
    request_type = getattr(api, case["method"] + "Request")
    request = json_format.Parse(json.dumps(case["request"]), request_type())
    code, message, reply = call(getattr(stub, case["method"]), request)
    results.append({
        "name": case["name"], "code": code, "message": message,
        "reply": base64.b64encode(reply.SerializeToString(deterministic=True)).decode() if reply is not None else None,
    })

# gzip-compressed request messages (grpc-encoding: gzip) get the same reply as plain ones.
first = next(c for c in cases if c["method"] == "GetSuggestions" and c.get("deterministic"))
first_request = json_format.Parse(json.dumps(first["request"]), api.GetSuggestionsRequest())
plain = services["Suggestion"].GetSuggestions(first_request, timeout=30)
gzipped = services["Suggestion"].GetSuggestions(first_request, timeout=30, compression=grpc.Compression.Gzip)
checks["gzip_same_reply"] = plain == gzipped

# A message over the server's limit is refused with RESOURCE_EXHAUSTED before the server reads it all.
big = api.GetSuggestionsRequest()
big.CopyFrom(first_request)
for index in range(max_message // 40):
    trial = big.trials.add(name=f"padding-{index:08d}")
    trial.spec.parameter_assignments.assignments.add(name="lr", value="0.0123456789012345678901234567890")
    trial.status.condition = api.TrialStatus.FAILED
code, message, _ = call(services["Suggestion"].GetSuggestions, big)
checks["oversize"] = [code, message]

# The client's deadline travels as grpc-timeout; the server stops the computation at it.
heavy = next(c for c in cases if c["name"] == "deadline")
heavy_request = json_format.Parse(json.dumps(heavy["request"]), api.GetSuggestionsRequest())
checks["deadline"] = call(services["Suggestion"].GetSuggestions, heavy_request, timeout=0.3)[:2]

# A method the server does not have: UNIMPLEMENTED (Katib's DBManager service lives elsewhere).
checks["unknown_method"] = call(stubs.DBManagerStub(channel).GetObservationLog, api.GetObservationLogRequest())[:2]

# gRPC health checking, as Kubernetes' gRPC probe and grpc-health-probe ask.
health = health_pb2_grpc.HealthStub(channel)
for service in ["", "manager.v1beta1.Suggestion", "api.v1.beta1.Suggestion"]:
    checks[f"health[{service}]"] = health_pb2.HealthCheckResponse.ServingStatus.Name(
        health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status)
checks["health[unknown]"] = call(health.Check, health_pb2.HealthCheckRequest(service="no.such.Service"))[:2]
watch = health.Watch(health_pb2.HealthCheckRequest(service="manager.v1beta1.Suggestion"), timeout=10)
checks["watch_first"] = health_pb2.HealthCheckResponse.ServingStatus.Name(next(watch).status)
watch.cancel()

# buf curl speaking gRPC over HTTP/2 cleartext, from the .proto tunekit ships.
bin_dir = os.path.dirname(sys.executable)
curl = subprocess.run(
    [os.path.join(bin_dir, "buf"), "curl", "--protocol", "grpc", "--http2-prior-knowledge",
     "--schema", os.path.join(proto_dir, "katib_suggestion.proto"), "--data", json.dumps(first["request"]),
     f"http://{target}/api.v1.beta1.Suggestion/GetSuggestions"],
    capture_output=True, text=True)
if curl.returncode != 0:
    problems.append(f"buf curl --protocol grpc failed: {curl.stderr.strip()}")
else:
    from_curl = json_format.Parse(curl.stdout, api.GetSuggestionsReply())
    checks["buf_curl_grpc_same_reply"] = from_curl == plain

expected = {
    "gzip_same_reply": True, "buf_curl_grpc_same_reply": True, "health[]": "SERVING",
    "health[manager.v1beta1.Suggestion]": "SERVING", "health[api.v1.beta1.Suggestion]": "SERVING",
    "watch_first": "SERVING",
}
for key, value in expected.items():
    if checks.get(key) != value:
        problems.append(f"{key}: {checks.get(key)!r}, expected {value!r}")
for key, code in [("oversize", "RESOURCE_EXHAUSTED"), ("deadline", "DEADLINE_EXCEEDED"),
                  ("unknown_method", "UNIMPLEMENTED"), ("health[unknown]", "NOT_FOUND")]:
    if checks[key][0] != code:
        problems.append(f"{key}: {checks[key]}, expected {code}")
print(json.dumps({"cases": results, "checks": checks, "problems": problems}))
sys.exit(1 if problems else 0)
