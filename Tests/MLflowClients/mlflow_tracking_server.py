"""A real `mlflow server` (SQLite backend, proxied artifact store), `tunekit export mlflow --tracking-uri` into it, and
MLflow's own client reading everything back: runs, nested trial runs, parameters (fixed ones included), metric
histories with millisecond times, the model through `mlflow.pyfunc` predicting as `tunekit predict` (1e-6), the
lightgbm flavour for gbdt, the signature and input example, and the registered model version.

usage: mlflow_tracking_server.py TUNEKIT WORKDIR CASE...
  CASE = OUTPUT,EXPERIMENT,INPUT_CSV,PREDICTIONS_CSV,REGISTERED_NAME,TRIALS
Prints one line per check and exits 0 when all hold; any failure exits non-zero with the reason.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pandas as pd


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(workdir):
    os.makedirs(workdir, exist_ok=True)
    port = free_port()
    log = open(os.path.join(workdir, "mlflow-server.log"), "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{os.path.join(workdir, 'mlflow.db')}",
         "--artifacts-destination", os.path.join(workdir, "mlflow-artifacts"), "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    for _ in range(240):
        if server.poll() is not None:
            raise SystemExit(f"mlflow server exited: {open(log.name).read()[-2000:]}")
        try:
            if urllib.request.urlopen(f"{uri}/health", timeout=1).read() == b"OK":
                return server, uri
        except OSError:
            time.sleep(0.5)
    stop(server)
    raise SystemExit("mlflow server did not become healthy in 120 s")


def stop(server):
    """The server and the workers it started (one process group)."""
    try:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(server.pid, 9)
        except ProcessLookupError:
            pass


def check_case(client, uri, tunekit, case):
    output, experiment_name, input_csv, predictions_csv, registered, trials = case.split(",")
    trials = int(trials)
    exported = subprocess.run(
        [tunekit, "export", "mlflow", output, "--tracking-uri", uri, "--register-model", registered],
        capture_output=True, text=True)
    if exported.returncode != 0:
        raise SystemExit(f"export failed: {exported.stderr}")
    # Again: the earlier export is replaced, not duplicated.
    again = subprocess.run([tunekit, "export", "mlflow", output, "--tracking-uri", uri], capture_output=True, text=True)
    if again.returncode != 0:
        raise SystemExit(f"second export failed: {again.stderr}")

    import mlflow
    import mlflow.lightgbm
    import mlflow.pyfunc

    experiment = client.get_experiment_by_name(experiment_name)
    assert experiment is not None, f"no experiment {experiment_name}"
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1, f"{len(parents)} parent runs after two exports"
    parent = parents[0]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(children) == trials, f"{len(children)} trial runs, expected {trials}"
    assert parent.info.status == "FINISHED", parent.info.status
    assert all(c.info.status == "FINISHED" for c in children), [c.info.status for c in children]
    params = parent.data.params
    record = json.load(open(os.path.join(output, "model", parent.data.tags["tunekit.model_version"], "training.json")))
    missing = [k for k in record["parameters"] if k not in params]
    assert not missing, f"parameters the model was fitted with but not logged: {missing}"
    assert any(k.startswith("test_") for k in parent.data.metrics), parent.data.metrics
    print(f"{experiment_name}: parent FINISHED with {len(params)} parameters (fixed ones included), {trials} nested trial runs")

    objective = [k for k in children[0].data.metrics if not k.startswith("best_")][0]
    times = [parent.info.start_time] + [c.info.start_time for c in children] + [c.info.end_time for c in children]
    history = client.get_metric_history(children[0].info.run_id, objective)
    times += [m.timestamp for m in history]
    assert any(t % 1000 != 0 for t in times), f"timestamps are whole seconds: {times}"
    assert [m.step for m in history] == sorted(m.step for m in history)
    print(f"{experiment_name}: metric history of {objective} in {len(history)} steps, millisecond times")

    model_uri = f"runs:/{parent.info.run_id}/model"
    model = mlflow.pyfunc.load_model(model_uri)
    frame = pd.read_csv(input_csv)
    expected = pd.read_csv(predictions_csv)
    inputs = json.loads(model.metadata.signature.inputs.to_json())
    names = [c["name"] for c in inputs]
    # The signature's numbers are doubles: whole-number columns pandas read as int64 are passed as float64.
    for column in inputs:
        if column["type"] == "double":
            frame[column["name"]] = frame[column["name"]].astype("float64")
    got = model.predict(frame[names])
    if expected["prediction"].dtype.kind in "fi":
        a = got["prediction"].to_numpy(dtype=np.float64)
        b = expected["prediction"].to_numpy(dtype=np.float64)
        # Rows a model cannot predict (ridge with a category it never saw) are missing in both.
        assert np.array_equal(np.isnan(a), np.isnan(b)), "pyfunc and tunekit predict leave different rows unpredicted"
        known = ~np.isnan(b)
        worst = float(np.max(np.abs(a[known] - b[known]) / np.maximum(1.0, np.abs(b[known]))))
        assert worst <= 1e-6, f"pyfunc predictions differ from tunekit predict by {worst}"
    else:
        assert [str(v) for v in got["prediction"]] == [str(v) for v in expected["prediction"]], "classes differ"
    for column in expected.columns:
        if column.startswith("probability"):
            worst = float(np.max(np.abs(got[column].to_numpy() - expected[column].to_numpy(dtype=np.float64))))
            assert worst <= 1e-6, f"{column} differs by {worst}"
    print(f"{experiment_name}: mlflow.pyfunc.load_model({model_uri}).predict equals tunekit predict on {len(frame)} rows")

    example = mlflow.models.Model.load(model_uri).load_input_example(mlflow.artifacts.download_artifacts(model_uri))
    assert list(example.columns) == names, (list(example.columns), names)
    model.predict(example)
    print(f"{experiment_name}: signature inputs {names}; the input example predicts")

    if record["trainer"] == "gbdt":
        booster = mlflow.lightgbm.load_model(model_uri)
        encoded = model._model_impl.features(frame[names])  # the loader module's model: rows as model.bst reads them
        raw = booster.predict(encoded)
        if raw.ndim == 1 and expected["prediction"].dtype.kind in "fi":
            worst = float(np.max(np.abs(raw - expected["prediction"].to_numpy(dtype=np.float64))))
            assert worst <= 1e-6, f"the lightgbm flavour differs by {worst}"
        print(f"{experiment_name}: mlflow.lightgbm.load_model gives a {type(booster).__name__} predicting the encoded rows")

    versions = client.search_model_versions(f"name='{registered}'")
    assert versions, f"no version of registered model {registered}"
    assert all(v.source.endswith("/model") for v in versions), [v.source for v in versions]
    print(f"{experiment_name}: registered model '{registered}' has version {versions[0].version}")


def main():
    tunekit, workdir, *cases = sys.argv[1:]
    server, uri = start_server(workdir)
    try:
        import mlflow
        from mlflow.tracking import MlflowClient

        mlflow.set_tracking_uri(uri)
        client = MlflowClient(tracking_uri=uri)
        for case in cases:
            check_case(client, uri, tunekit, case)
    finally:
        stop(server)


if __name__ == "__main__":
    main()
