"""Calls `tunekit serve` as real Connect clients would, and checks tunekit's .proto against Katib's own.

1. Generates a Python Connect client (PyPI: connectrpc, protoc-gen-connectrpc, protoc-gen-py) from
   Sources/KatibWire/Protos/katib_suggestion.proto with `buf generate` (PyPI: buf-bin).
2. Checks every field of that .proto against Katib's own descriptor, as compiled into the Katib Python SDK
   (PyPI: kubeflow-katib, its katib_api_pb2 module): same message names, field numbers, types and labels.
3. Builds a GetSuggestionsRequest with Katib's own message classes (google protobuf), sends its bytes with the
   Connect client (binary protobuf, gzip-compressed as the client does by default) and in JSON, calls
   ValidateAlgorithmSettings (valid and invalid), and GetSuggestions through `buf curl`.
Prints one JSON object with what it saw; exits non-zero on any mismatch.

Usage: python katib_connect_client.py BASE_URL PROTO_DIR WORK_DIR REQUEST_JSON
"""
import importlib.util
import json
import os
import subprocess
import sys
import sysconfig

base_url = sys.argv[1]
proto_dir, work_dir, request_path = (os.path.abspath(path) for path in sys.argv[2:5])
bin_dir = os.path.dirname(sys.executable)
env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
generated = os.path.join(work_dir, "katib_gen")  # a package: the generated client imports its messages relatively
os.makedirs(generated, exist_ok=True)
open(os.path.join(generated, "__init__.py"), "w").close()
with open(os.path.join(work_dir, "buf.gen.yaml"), "w") as out:
    out.write(f"""version: v2
plugins:
  - local: {os.path.join(bin_dir, "protoc-gen-py")}
    out: {generated}
  - local: {os.path.join(bin_dir, "protoc-gen-connectrpc")}
    out: {generated}
""")
subprocess.run([os.path.join(bin_dir, "buf"), "generate", proto_dir, "--template", os.path.join(work_dir, "buf.gen.yaml")],
               check=True, env=env, cwd=work_dir)
sys.path.insert(0, work_dir)
from katib_gen import katib_suggestion_pb as ours  # noqa: E402
from katib_gen.katib_suggestion_connect import SuggestionClientSync  # noqa: E402
from connectrpc.codec import proto_json_codec  # noqa: E402
from connectrpc.errors import ConnectError  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from protobuf import Message  # noqa: E402

# Katib's descriptor, loaded from the SDK's generated module without importing the SDK (which needs kubernetes).
katib_path = os.path.join(sysconfig.get_paths()["purelib"], "kubeflow", "katib", "katib_api_pb2.py")
spec = importlib.util.spec_from_file_location("katib_api_pb2", katib_path)
katib = importlib.util.module_from_spec(spec)
spec.loader.exec_module(katib)

problems = []
seen = {"fields_checked": 0}


def check_message(our_desc, katib_desc):
    for field in our_desc.fields:
        if field.name == "observation_log" and our_desc.name == "Trial":
            continue  # tunekit's documented addition
        katib_field = katib_desc.fields_by_name.get(field.name)
        where = f"{our_desc.type_name}.{field.name}"
        if katib_field is None:
            problems.append(f"{where} is not in Katib's api.proto")
            continue
        ours_shape = (field.number, field.proto.type.value, field.proto.label.value == 3, field.proto.type_name.lstrip("."))
        katib_type = katib_field.message_type or katib_field.enum_type
        katib_repeated = katib_field.is_repeated if hasattr(katib_field, "is_repeated") else katib_field.label == 3
        katib_shape = (katib_field.number, katib_field.type, katib_repeated, katib_type.full_name if katib_type else "")
        if ours_shape != katib_shape:
            problems.append(f"{where}: (number, type, repeated, type name) {ours_shape} vs Katib's {katib_shape}")
        seen["fields_checked"] += 1
    for nested in our_desc.nested_messages:
        katib_nested = katib_desc.nested_types_by_name.get(nested.name)
        if katib_nested is None:
            problems.append(f"{nested.type_name} is not in Katib's api.proto")
        else:
            check_message(nested, katib_nested)


for name in dir(ours):
    cls = getattr(ours, name)
    if not (isinstance(cls, type) and issubclass(cls, Message) and cls is not Message):
        continue
    desc = cls.desc()
    katib_desc = katib.DESCRIPTOR.message_types_by_name.get(desc.name)
    if katib_desc is None:
        problems.append(f"message {desc.name} is not in Katib's api.proto")
        continue
    check_message(desc, katib_desc)

with open(request_path) as source:
    request_json = source.read()
katib_request = json_format.Parse(request_json, katib.GetSuggestionsRequest())
request = ours.GetSuggestionsRequest.from_binary(katib_request.SerializeToString())

with SuggestionClientSync(base_url) as client:  # binary protobuf, gzip request bodies: the client's defaults
    reply = client.get_suggestions(request)
    seen["proto_assignments"] = [[(a.name, a.value) for a in t.assignments] for t in reply.parameter_assignments]
    # The reply's bytes parse as Katib's own GetSuggestionsReply too.
    katib_reply = katib.GetSuggestionsReply.FromString(reply.to_binary())
    seen["katib_reply_trials"] = len(katib_reply.parameter_assignments)
    client.validate_algorithm_settings(ours.ValidateAlgorithmSettingsRequest(experiment=request.experiment))
    seen["validate"] = "ok"
    bad = ours.ValidateAlgorithmSettingsRequest.from_binary(
        ours.ValidateAlgorithmSettingsRequest(experiment=request.experiment).to_binary())
    bad.experiment.spec.algorithm.algorithm_settings.append(ours.AlgorithmSetting(name="no_such_setting", value="1"))
    try:
        client.validate_algorithm_settings(bad)
        problems.append("an unknown algorithm setting was accepted")
    except ConnectError as error:
        seen["invalid_code"] = error.code.name
        seen["invalid_message"] = error.message

with SuggestionClientSync(base_url, codec=proto_json_codec(), send_compression=None) as client:
    reply = client.get_suggestions(request)
    seen["json_assignments"] = [[(a.name, a.value) for a in t.assignments] for t in reply.parameter_assignments]

curl = subprocess.run(
    [os.path.join(bin_dir, "buf"), "curl", "--schema", os.path.join(proto_dir, "katib_suggestion.proto"),
     "--data", request_json, f"{base_url}/api.v1.beta1.Suggestion/GetSuggestions"],
    capture_output=True, text=True, env=env)
if curl.returncode != 0:
    problems.append(f"buf curl failed: {curl.stderr.strip()}")
else:
    seen["buf_curl_assignments"] = [[(a["name"], a["value"]) for a in t["assignments"]]
                                    for t in json.loads(curl.stdout)["parameterAssignments"]]

if seen.get("proto_assignments") != seen.get("json_assignments") or \
        seen.get("proto_assignments") != seen.get("buf_curl_assignments"):
    problems.append("the codecs and clients got different suggestions for the same seeded request")
seen["problems"] = problems
print(json.dumps(seen))
sys.exit(1 if problems else 0)
