"""GetSuggestions latency of a suggestion service over gRPC, called as Katib's controller calls it: one grpcio
client with the stubs Katib generated from its api.proto (PyPI kubeflow-katib), every trial of the experiment in each
request.

Usage: python bench.py HOST:PORT SERVICE ALGORITHM TRIALS CALLS OUT.csv
  SERVICE: label (tunekit, katib-hyperopt, katib-optuna). ALGORITHM: tpe, random or multivariate-tpe.
  TRIALS: history size. With --grow, the history is built by asking the service itself (Katib's Optuna service
  refuses trials it did not suggest): batches of 100 suggestions, each reported with its objective value, with
  n_startup_trials = TRIALS so the build-up is random sampling and the measured calls run the model. Otherwise the
  history is TRIALS seeded points. Then one untimed call (the service ingests the history), then CALLS timed calls,
  each asking one assignment with the whole history. Appends service,algorithm,trials,call,ms rows to OUT.csv.
  --soak SECONDS --pid PID: instead, calls for SECONDS and appends the server's resident memory every 10 s
  (seconds,calls,rss_kb rows).
"""
import csv
import math
import os
import random
import sys
import sysconfig
import time
import types

import grpc

# Katib's generated modules import kubeflow.katib.katib_api_pb2; the SDK's __init__ needs the kubernetes client.
package = types.ModuleType("kubeflow.katib")
package.__path__ = [os.path.join(sysconfig.get_paths()["purelib"], "kubeflow", "katib")]
sys.modules["kubeflow.katib"] = package
from kubeflow.katib import katib_api_pb2 as api  # noqa: E402
from kubeflow.katib import katib_api_pb2_grpc as stubs  # noqa: E402

options = {}
arguments = []
rest = iter(sys.argv[1:])
for argument in rest:
    if argument == "--grow":
        options["grow"] = True
    elif argument in ("--soak", "--pid"):
        options[argument[2:]] = int(next(rest))
    else:
        arguments.append(argument)
grow = options.get("grow", False)
target, service, algorithm, size, calls, out = arguments[0], arguments[1], arguments[2], int(arguments[3]), int(arguments[4]), arguments[5]


def experiment():
    e = api.Experiment(name="bench")
    spec = e.spec
    spec.objective.type = api.MINIMIZE
    spec.objective.objective_metric_name = "loss"
    spec.algorithm.algorithm_name = algorithm
    settings = [("random_state", "7")]
    if algorithm == "multivariate-tpe":
        settings.append(("n_startup_trials", str(size)))
    for name, value in settings:
        spec.algorithm.algorithm_settings.add(name=name, value=value)
    parameters = spec.parameter_specs.parameters
    p = parameters.add(name="learning_rate", parameter_type=api.DOUBLE)
    p.feasible_space.min, p.feasible_space.max, p.feasible_space.distribution = "0.01", "0.3", api.LOG_UNIFORM
    p = parameters.add(name="num_leaves", parameter_type=api.INT)
    p.feasible_space.min, p.feasible_space.max = "15", "255"
    p = parameters.add(name="feature_fraction", parameter_type=api.DOUBLE)
    p.feasible_space.min, p.feasible_space.max = "0.5", "1.0"
    p = parameters.add(name="boosting", parameter_type=api.CATEGORICAL)
    p.feasible_space.list.extend(["gbdt", "dart", "goss"])
    spec.parallel_trial_count = 1
    return e


def loss(values):
    lr, leaves, fraction = float(values["learning_rate"]), float(values["num_leaves"]), float(values["feature_fraction"])
    return ((math.log(lr) - math.log(0.08)) ** 2 + ((leaves - 63) / 100) ** 2 + (fraction - 0.8) ** 2
            + {"gbdt": 0.0, "dart": 0.05, "goss": 0.1}[values["boosting"]])


def add_trial(request, index, values):
    trial = request.trials.add(name=f"bench-{index:06d}")
    for name, value in values.items():
        trial.spec.parameter_assignments.assignments.add(name=name, value=str(value))
    trial.status.condition = api.TrialStatus.SUCCEEDED
    trial.status.observation.metrics.add(name="loss", value=repr(loss(values)))


stub = stubs.SuggestionStub(grpc.insecure_channel(target, options=[
    ("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]))
request = api.GetSuggestionsRequest(experiment=experiment())
stub.ValidateAlgorithmSettings(api.ValidateAlgorithmSettingsRequest(experiment=request.experiment), timeout=60)
if grow:
    while len(request.trials) < size:
        request.current_request_number = min(100, size - len(request.trials))
        request.total_request_number = len(request.trials) + request.current_request_number
        reply = stub.GetSuggestions(request, timeout=600)
        for assignments in reply.parameter_assignments:
            add_trial(request, len(request.trials), {a.name: a.value for a in assignments.assignments})
else:
    rng = random.Random(20261207)
    for index in range(size):
        add_trial(request, index, {
            "learning_rate": math.exp(rng.uniform(math.log(0.01), math.log(0.3))), "num_leaves": rng.randint(15, 255),
            "feature_fraction": rng.uniform(0.5, 1.0), "boosting": rng.choice(["gbdt", "dart", "goss"])})
request.current_request_number = 1


def resident_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


if "soak" in options:
    start, samples, call, next_sample = time.monotonic(), [], 0, 0.0
    while (now := time.monotonic() - start) < options["soak"]:
        if now >= next_sample:
            samples.append([f"{now:.0f}", call, resident_kb(options["pid"])])
            next_sample += 10
        request.total_request_number = len(request.trials) + 1 + call
        stub.GetSuggestions(request, timeout=600)
        call += 1
    samples.append([f"{time.monotonic() - start:.0f}", call, resident_kb(options["pid"])])
    with open(out, "w", newline="") as handle:
        csv.writer(handle).writerows([["seconds", "calls", "rss_kb"]] + samples)
    print(f"soak: {call} calls in {options['soak']} s, RSS {samples[0][2]} -> {samples[1][2]} (after 10 s) -> {samples[-1][2]} kB")
    sys.exit(0)
rows = []
for call in range(calls + 1):
    request.total_request_number = len(request.trials) + 1 + call
    start = time.perf_counter()
    reply = stub.GetSuggestions(request, timeout=600)
    elapsed = (time.perf_counter() - start) * 1000
    assert len(reply.parameter_assignments) == 1, reply
    if call > 0:  # the first call ingests the history
        rows.append([service, algorithm, size, call, f"{elapsed:.3f}"])
with open(out, "a", newline="") as handle:
    csv.writer(handle).writerows(rows)
times = sorted(float(r[4]) for r in rows)
print(f"{service} {algorithm} {size}: median {times[len(times) // 2]:.2f} ms over {len(times)} calls")
