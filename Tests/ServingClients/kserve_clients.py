"""Real KServe clients against `tunekit serve --models`: tritonclient (Open Inference Protocol V2, JSON and binary
tensors) and kserve's REST client (V1 and V2). Each call's predictions must equal `tunekit predict`'s CSV exactly.

usage: kserve_clients.py HOST:PORT MODEL_NAME MODEL_DIR PREDICTIONS_CSV VERSION
Prints one line per check and exits 0 when all agree; any disagreement or client error exits non-zero.
"""
import asyncio
import csv
import json
import sys

import numpy as np


def read_expected(path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows, np.array([float(row["prediction"]) for row in rows])


def check(label, got, expected):
    got = np.asarray(got, dtype=np.float64).reshape(-1)
    if got.shape != expected.shape or not np.array_equal(got, expected):
        worst = float(np.max(np.abs(got - expected))) if got.shape == expected.shape else float("nan")
        raise SystemExit(f"{label}: predictions differ from tunekit predict (shape {got.shape}, max |diff| {worst})")
    print(f"{label}: {len(got)} predictions equal tunekit predict")


def columns(rows, names, categories):
    """One numpy column per raw input column: text for categorical ones, float64 otherwise."""
    out = {}
    for name in names:
        if name in categories:
            out[name] = np.array([row[name].encode() for row in rows], dtype=np.object_)
        else:
            out[name] = np.array([float(row[name]) for row in rows], dtype=np.float64)
    return out


def encoded(rows, feature_names, categories):
    """Rows as model.bst takes them: category codes (index in training.json's list) as numbers."""
    matrix = np.zeros((len(rows), len(feature_names)), dtype=np.float64)
    for j, name in enumerate(feature_names):
        if name in categories:
            codes = {value: k for k, value in enumerate(categories[name])}
            matrix[:, j] = [codes[row[name]] for row in rows]
        else:
            matrix[:, j] = [float(row[name]) for row in rows]
    return matrix


def tritonclient_checks(url, model, version, rows, expected, feature_names, categories):
    import tritonclient.http as httpclient

    client = httpclient.InferenceServerClient(url=url)
    assert client.is_server_live() and client.is_server_ready(), "server not live/ready"
    assert client.is_model_ready(model), "model not ready"
    metadata = client.get_model_metadata(model)
    assert version in metadata["versions"], metadata
    inputs_meta = metadata["inputs"]
    names = [tensor["name"] for tensor in inputs_meta]

    for binary in (False, True):
        tensors = []
        for name, values in columns(rows, names, categories).items():
            datatype = "BYTES" if values.dtype == np.object_ else "FP64"
            tensor = httpclient.InferInput(name, [len(rows)], datatype)
            tensor.set_data_from_numpy(values, binary_data=binary)
            tensors.append(tensor)
        outputs = [httpclient.InferRequestedOutput("output-0", binary_data=binary)]
        result = client.infer(model, tensors, model_version=version, outputs=outputs)
        check(f"tritonclient V2 named tensors ({'binary' if binary else 'JSON'})", result.as_numpy("output-0"), expected)

    matrix = encoded(rows, feature_names, categories).astype(np.float32)
    tensor = httpclient.InferInput("input-0", list(matrix.shape), "FP32")
    tensor.set_data_from_numpy(matrix, binary_data=True)
    result = client.infer(model, [tensor], model_version=version)
    # FP32 inputs lose precision only where float64 features do not fit in float32 (the sin/cos columns): compare
    # with a float64 request of the same float32 values instead of the CSV.
    wide = httpclient.InferInput("input-0", list(matrix.shape), "FP64")
    wide.set_data_from_numpy(matrix.astype(np.float64), binary_data=False)
    same = client.infer(model, [wide], model_version=version)
    check("tritonclient V2 encoded FP32 [rows, features] (binary)", result.as_numpy("output-0"), same.as_numpy("output-0").reshape(-1))
    # A category the model never saw: predicted (as a missing value) and flagged in the response's parameters.
    unseen = columns(rows[:2], names, categories)
    for name in categories:
        unseen[name][0] = b"never-seen-in-training"
    tensors = []
    for name, values in unseen.items():
        tensor = httpclient.InferInput(name, [2], "BYTES" if values.dtype == np.object_ else "FP64")
        tensor.set_data_from_numpy(values, binary_data=True)
        tensors.append(tensor)
    flagged = client.infer(model, tensors, model_version=version).get_response()
    parameters = flagged.get("parameters", {})
    if categories:
        assert parameters.get("unknown_input_values") == len(categories), flagged
        assert all(name in parameters["unknown_inputs"] for name in categories), flagged
        print(f"tritonclient V2: unseen categories flagged in parameters: {parameters['unknown_inputs']}")
    else:
        assert "unknown_inputs" not in parameters, flagged
    exact = httpclient.InferInput("input-0", list(matrix.shape), "FP64")
    exact.set_data_from_numpy(encoded(rows, feature_names, categories), binary_data=True)
    check("tritonclient V2 encoded FP64 [rows, features] (binary)", client.infer(model, [exact], model_version=version).as_numpy("output-0"), expected)


async def kserve_checks(base, model, version, rows, expected, feature_names, categories, names):
    from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig

    v1 = InferenceRESTClient(RESTConfig(protocol="v1"))
    assert await v1.is_server_live(base), "V1 server not live"
    instances = [{name: (row[name] if name in categories else float(row[name])) for name in names} for row in rows]
    reply = await v1.infer(base, {"instances": instances}, model_name=model)
    check("kserve V1 instances as objects", reply["predictions"], expected)
    reply = await v1.infer(base, {"instances": encoded(rows, feature_names, categories).tolist()}, model_name=model)
    check("kserve V1 instances as encoded rows", reply["predictions"], expected)

    v2 = InferenceRESTClient(RESTConfig(protocol="v2"))
    assert await v2.is_server_ready(base), "V2 server not ready"
    assert await v2.is_model_ready(base, model), "V2 model not ready"
    tensors = []
    for name, values in columns(rows, names, categories).items():
        datatype = "BYTES" if values.dtype == np.object_ else "FP64"
        tensor = InferInput(name, [len(rows)], datatype)
        tensor.set_data_from_numpy(values, binary_data=True)
        tensors.append(tensor)
    response = await v2.infer(base, InferRequest(model_name=model, infer_inputs=tensors), model_name=model)
    check("kserve V2 named tensors (binary)", response.outputs[0].as_numpy(), expected)
    await v1.close()
    await v2.close()


def main():
    url, model, model_dir, predictions_csv, version = sys.argv[1:6]
    with open(f"{model_dir}/training.json") as handle:
        encoding = json.load(handle)["encoding"]
    feature_names, categories = encoding["featureNames"], encoding.get("categories", {})
    names = list(dict.fromkeys(feature_names))
    rows, expected = read_expected(predictions_csv)
    tritonclient_checks(url, model, version, rows, expected, feature_names, categories)
    asyncio.run(kserve_checks(f"http://{url}", model, version, rows, expected, feature_names, categories, names))


if __name__ == "__main__":
    main()
