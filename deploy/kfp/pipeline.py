"""Kubeflow Pipelines (v2) components and pipelines around the tunekit image, with the artifact layout on PVCs.

Components (each runs the tunekit image):
  featurize  VolInfo CSVs on the data PVC -> the featurized splits (Dataset artifact)
  tune       a Katib Experiment YAML -> model/<V>/ and artifact/<V>/score.json on the models PVC; score.json's metrics
             as the step's KFP Metrics (via `tunekit export kfp-metrics` and the executor input)
  train      one fit with given hyperparameters -> model/<V>/ on the models PVC; KFP Metrics likewise
  drift      a reference (a published model directory: its training sample) against a CSV of a Dataset artifact ->
             the HTML report and `drifted` ("true"/"false"); `tunekit drift` exits 3 on drift, which the step turns
             into the output instead of a failure
Every task runs uncached: their inputs are paths on volumes whose contents change between runs.
Pipelines:
  seoul-traffic-retrain  featurize -> drift of the newest (test) month against the served model's training sample
                         -> on drift, tune a new version
  seoul-traffic-train    featurize -> train

usage: python deploy/kfp/pipeline.py OUT_DIR   (writes the compiled pipelines and components, as KFP v2 IR YAML)
"""
import sys
from pathlib import Path

from kfp import compiler, dsl, kubernetes

IMAGE = "ghcr.io/seoul-mlops/tunekit:0.1.0"
MODELS_PVC, MODELS_PATH = "tunekit-models", "/mnt/models"
DATA_PVC, DATA_PATH = "seoul-traffic-data", "/data/seoul-traffic"


@dsl.container_component
def featurize(data: str, featurized: dsl.Output[dsl.Dataset]):
    """The featurized train/valid/test splits and report.json of the VolInfo CSVs in `data`."""
    return dsl.ContainerSpec(image=IMAGE, command=["tunekit", "datasets", "featurize"], args=[data, "--out", featurized.path])


@dsl.container_component
def tune(experiment: str, model_version: str, models: str, metrics: dsl.Output[dsl.Metrics]):
    """Runs the Katib Experiment in-process and publishes model_version under `models`."""
    return dsl.ContainerSpec(
        image=IMAGE,
        command=["/bin/sh", "-c",
                 'set -eu; MODEL_VERSION="$1" tunekit tune "$2" --output "$3"; '
                 'tunekit export kfp-metrics "$3/artifact/$1/score.json" --executor-input "$4" --artifact metrics',
                 "tune"],
        args=[model_version, experiment, models, dsl.PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER],
    )


@dsl.container_component
def train(data: str, trainer: str, hyperparameters: str, model_version: str, models: str, metrics: dsl.Output[dsl.Metrics]):
    """One fit (`hyperparameters`: space-separated `--name=value`), published as model_version under `models`."""
    return dsl.ContainerSpec(
        image=IMAGE,
        command=["/bin/sh", "-c",
                 'set -eu; tunekit train --trainer "$1" --data "$2" --model-version "$3" --output "$4" $5; '
                 'tunekit export kfp-metrics "$4/artifact/$3/score.json" --executor-input "$6" --artifact metrics',
                 "train"],
        args=[trainer, data, model_version, models, hyperparameters, dsl.PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER],
    )


@dsl.container_component
def drift(
    reference: str, current: dsl.Input[dsl.Dataset], current_file: str, report: dsl.Output[dsl.HTML],
    drifted: dsl.OutputPath(str),
):
    """evidently's default per-column drift tests of `current_file` in the `current` dataset against `reference` (a CSV
    or a published model directory); `drifted` is "true" on dataset drift."""
    return dsl.ContainerSpec(
        image=IMAGE,
        command=["/bin/sh", "-c",
                 'status=0; tunekit drift --reference "$1" --current "$2/$3" --html "$4" || status=$?; '
                 'case $status in 0) echo false > "$5";; 3) echo true > "$5";; *) exit $status;; esac',
                 "drift"],
        args=[reference, current.path, current_file, report.path, drifted],
    )


@dsl.pipeline(name="seoul-traffic-retrain", description="Featurize, check drift against the served model, retrain on drift.")
def retrain_pipeline(
    served_version: str,
    new_version: str,
    experiment: str = "/opt/tunekit/experiments/seoul-traffic-gbdt.yaml",
):
    features = featurize(data=DATA_PATH)
    kubernetes.mount_pvc(features, pvc_name=DATA_PVC, mount_path=DATA_PATH)
    features.set_caching_options(False)  # its input is a path: the volume's contents change between runs
    check = drift(
        reference=f"{MODELS_PATH}/model/{served_version}", current=features.outputs["featurized"], current_file="test.csv")
    kubernetes.mount_pvc(check, pvc_name=MODELS_PVC, mount_path=MODELS_PATH)
    check.set_caching_options(False)
    with dsl.If(check.outputs["drifted"] == "true", name="drifted"):
        tuned = tune(experiment=experiment, model_version=new_version, models=MODELS_PATH)
        tuned.set_caching_options(False)
        kubernetes.mount_pvc(tuned, pvc_name=MODELS_PVC, mount_path=MODELS_PATH)
        kubernetes.mount_pvc(tuned, pvc_name=DATA_PVC, mount_path=DATA_PATH)


@dsl.pipeline(name="seoul-traffic-train", description="Featurize and fit one gbdt model.")
def train_pipeline(model_version: str, hyperparameters: str = "--num_iterations=400 --learning_rate=0.1 --num_leaves=127"):
    features = featurize(data=DATA_PATH)
    features.set_caching_options(False)
    kubernetes.mount_pvc(features, pvc_name=DATA_PVC, mount_path=DATA_PATH)
    fitted = train(data=DATA_PATH, trainer="gbdt", hyperparameters=hyperparameters, model_version=model_version, models=MODELS_PATH)
    fitted.set_caching_options(False)
    kubernetes.mount_pvc(fitted, pvc_name=DATA_PVC, mount_path=DATA_PATH)
    kubernetes.mount_pvc(fitted, pvc_name=MODELS_PVC, mount_path=MODELS_PATH)
    fitted.after(features)


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    for name, function in [("seoul-traffic-retrain", retrain_pipeline), ("seoul-traffic-train", train_pipeline),
                           ("featurize", featurize), ("tune", tune), ("train", train), ("drift", drift)]:
        compiler.Compiler().compile(function, str(out / f"{name}.yaml"))
        print(out / f"{name}.yaml")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "kfp-compiled"))
