"""Kubeflow Pipelines (v2) components and pipelines around the tunekit image, on the cluster's volumes.

Components (the tunekit image unless said; every one with CPU and memory requests and limits):
  featurize   VolInfo CSVs on the data PVC -> the featurized splits (Dataset artifact)
  drift       a reference (a published model directory: its training sample) against a CSV of a Dataset artifact ->
              the HTML report and `drifted` ("true"/"false"); `tunekit drift` exits 3 on drift, which the step turns
              into the output instead of a failure
  tune        a Katib Experiment YAML run in-process -> model/<V>/ and artifact/<V>/score.json on the models PVC
  katib-tune  (python image, kubernetes client) the same Experiment created as a Katib Experiment in the pipeline's
              namespace, so its trials run as pods in parallel; waits for it and returns the best trial's
              parameter assignments
  refit       `tunekit refit`: the trial command of the Experiment Katib ran, with those assignments, published
              as model/<V>/
  train       one fit with given hyperparameters -> model/<V>/
  deploy      clones the GitOps repository, `tunekit publish-version V --require-better` on its overlay, and pushes
              the commit when V is promoted (Argo CD rolls it out); `promoted` says whether it was
tune, refit and train report score.json's metrics as the step's KFP Metrics and the model directory as its KFP Model
artifact (`tunekit export kfp-metrics --model-artifact`). Every task runs uncached: their inputs are paths on
volumes whose contents change between runs.

Pipelines:
  seoul-traffic-retrain        featurize -> drift of the newest (test) month against the served model's training
                               sample -> on drift, tune a new version in the step's pod -> deploy
  seoul-traffic-retrain-katib  the same, with the tuning as a Katib Experiment (trials as pods) -> refit -> deploy
  seoul-traffic-train          featurize -> train

The Experiment is deploy/katib/seoul-traffic-gbdt.yaml: in the image at EXPERIMENT_IN_IMAGE for `tune`, and as one
line of JSON for the Katib variant's parameter (which both katib-tune and refit read) (KFP writes parameter defaults into a YAML comment, where a
multi-line text would break the file); it reads the Seoul CSVs at DATA_PATH, where every step mounts the data PVC.

usage: python deploy/kfp/pipeline.py OUT_DIR   (writes the compiled pipelines and components, as KFP v2 IR YAML)
"""
import json
import sys
from pathlib import Path

import yaml
from kfp import compiler, dsl, kubernetes

IMAGE = "ghcr.io/seoul-mlops/tunekit:0.1.0"
MODELS_PVC, MODELS_PATH = "tunekit-models", "/mnt/models"
DATA_PVC, DATA_PATH = "seoul-traffic-data", "/data/seoul-traffic"
EXPERIMENT_FILE = Path(__file__).resolve().parent.parent / "katib" / "seoul-traffic-gbdt.yaml"
EXPERIMENT_IN_IMAGE = "/opt/tunekit/deploy/katib/seoul-traffic-gbdt.yaml"
# The repository and overlay Argo CD watches (deploy/kubernetes/kustomization.yaml's tunekit-gitops ConfigMap).
GITOPS_REPOSITORY, GITOPS_OVERLAY = "git@github.com:seoul-mlops/tunekit.git", "deploy/overlays/production"
GIT_KEY_SECRET, GIT_KEY_PATH = "tunekit-git-deploy-key", "/etc/git-deploy-key"

# CPU and memory (request, limit) per component: a fit uses two cores; a tuning pod runs two trials at a time.
RESOURCES = {
    "featurize": ("1", "2", "1Gi", "2Gi"),
    "drift": ("1", "1", "1Gi", "2Gi"),
    "tune": ("2", "4", "4Gi", "8Gi"),
    "katib-tune": ("100m", "500m", "128Mi", "512Mi"),
    "refit": ("2", "2", "2Gi", "4Gi"),
    "train": ("2", "2", "2Gi", "4Gi"),
    "deploy": ("500m", "1", "512Mi", "1Gi"),
}


def sized(task, component):
    cpu_request, cpu_limit, memory_request, memory_limit = RESOURCES[component]
    task.set_cpu_request(cpu_request).set_cpu_limit(cpu_limit)
    task.set_memory_request(memory_request).set_memory_limit(memory_limit)
    task.set_caching_options(False)  # inputs are paths on volumes whose contents change between runs
    return task


def on_volumes(task, data=True, models=True):
    if data:
        kubernetes.mount_pvc(task, pvc_name=DATA_PVC, mount_path=DATA_PATH)
    if models:
        kubernetes.mount_pvc(task, pvc_name=MODELS_PVC, mount_path=MODELS_PATH)
    return task


# The shell step shared by tune, refit and train: report score.json as Metrics, copy model/<V>/ into the Model artifact.
REPORT = ('tunekit export kfp-metrics "$MODELS/artifact/$VERSION/score.json" --executor-input "$EXECUTOR_INPUT" '
          '--artifact metrics --model-artifact model; mkdir -p "$MODEL_PATH"; cp -R "$MODELS/model/$VERSION/." "$MODEL_PATH/"')


@dsl.container_component
def featurize(data: str, featurized: dsl.Output[dsl.Dataset]):
    """The featurized train/valid/test splits and report.json of the VolInfo CSVs in `data`."""
    return dsl.ContainerSpec(image=IMAGE, command=["tunekit", "datasets", "featurize"], args=[data, "--out", featurized.path])


@dsl.container_component
def tune(experiment: str, model_version: str, models: str, metrics: dsl.Output[dsl.Metrics], model: dsl.Output[dsl.Model]):
    """Runs the Katib Experiment in-process and publishes model_version under `models`."""
    return dsl.ContainerSpec(
        image=IMAGE,
        command=["/bin/sh", "-c",
                 'set -eu; VERSION="$1" MODELS="$3" EXECUTOR_INPUT="$4" MODEL_PATH="$5"; '
                 'MODEL_VERSION="$VERSION" tunekit tune "$2" --output "$MODELS"; ' + REPORT,
                 "tune"],
        args=[model_version, experiment, models, dsl.PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER, model.path],
    )


@dsl.component(base_image="python:3.11-slim", packages_to_install=["kubernetes==30.1.0"])
def katib_tune(experiment_json: str, experiment_name: str, timeout_seconds: int, poll_seconds: int = 30) -> str:
    """Creates the Experiment (`experiment_json`, renamed `experiment_name`) in this pod's namespace with Katib (a
    retried step waits for the one it created), waits until it succeeds, and returns its best trial's parameter
    assignments as JSON ([{"name", "value"}]). A failed Experiment fails the step with Katib's reason; one still
    running after `timeout_seconds` is deleted and fails the step."""
    import json
    import time

    from kubernetes import client, config

    config.load_incluster_config()
    with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace") as handle:
        namespace = handle.read().strip()
    experiment = json.loads(experiment_json)
    metadata = experiment.setdefault("metadata", {})
    metadata["name"], metadata["namespace"] = experiment_name, namespace
    metadata.setdefault("labels", {})["app.kubernetes.io/created-by"] = "tunekit-kfp"
    api = client.CustomObjectsApi()
    group, version, plural = "kubeflow.org", "v1beta1", "experiments"
    try:
        api.create_namespaced_custom_object(group, version, namespace, plural, experiment)
    except Exception as error:  # a retried step finds the Experiment it created: wait for it
        if getattr(error, "status", None) != 409:
            raise
        print(f"Katib Experiment {namespace}/{experiment_name} exists: waiting for it")
    deadline = time.monotonic() + timeout_seconds
    while True:
        status = api.get_namespaced_custom_object(group, version, namespace, plural, experiment_name).get("status", {})
        conditions = {c.get("type"): c for c in status.get("conditions", []) if c.get("status") == "True"}
        if "Succeeded" in conditions:
            break
        if "Failed" in conditions:
            raise RuntimeError(f"Katib Experiment {namespace}/{experiment_name} failed: {conditions['Failed'].get('message', '')}")
        if time.monotonic() > deadline:
            # Its trials would go on using the cluster for a run that has given up on them.
            api.delete_namespaced_custom_object(group, version, namespace, plural, experiment_name)
            raise TimeoutError(f"Katib Experiment {namespace}/{experiment_name} still running after {timeout_seconds} s: deleted")
        time.sleep(poll_seconds)
    best = status.get("currentOptimalTrial", {})
    assignments = best.get("parameterAssignments") or []
    if not assignments:
        raise RuntimeError(f"Katib Experiment {namespace}/{experiment_name} succeeded without an optimal trial")
    print(f"best trial {best.get('bestTrialName')}: {assignments}")
    return json.dumps(assignments)


@dsl.container_component
def refit(
    experiment_json: str, assignments: str, model_version: str, models: str, metrics: dsl.Output[dsl.Metrics],
    model: dsl.Output[dsl.Model],
):
    """The trial command of the Experiment Katib ran (`experiment_json`, the same text) with `assignments`, run by
    tunekit and published as model_version."""
    return dsl.ContainerSpec(
        image=IMAGE,
        command=["/bin/sh", "-c",
                 'set -eu; VERSION="$1" MODELS="$4" EXECUTOR_INPUT="$5" MODEL_PATH="$6"; '
                 'experiment="$(mktemp -d)/experiment.json"; printf \'%s\' "$2" > "$experiment"; '
                 'tunekit refit "$experiment" --assignments "$3" --output "$MODELS" --model-version "$VERSION"; ' + REPORT,
                 "refit"],
        args=[model_version, experiment_json, assignments, models, dsl.PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER, model.path],
    )


@dsl.container_component
def train(
    data: str, trainer: str, hyperparameters: str, model_version: str, models: str, metrics: dsl.Output[dsl.Metrics],
    model: dsl.Output[dsl.Model],
):
    """One fit (`hyperparameters`: space-separated `--name=value`), published as model_version under `models`."""
    return dsl.ContainerSpec(
        image=IMAGE,
        command=["/bin/sh", "-c",
                 'set -euf; VERSION="$3" MODELS="$4" EXECUTOR_INPUT="$6" MODEL_PATH="$7"; '
                 'tunekit train --trainer "$1" --data "$2" --model-version "$VERSION" --output "$MODELS" $5; ' + REPORT,
                 "train"],
        args=[trainer, data, model_version, models, hyperparameters, dsl.PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER, model.path],
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


@dsl.container_component
def deploy(model_version: str, models: str, repository: str, overlay: str, promoted: dsl.OutputPath(str)):
    """Clones `repository`, points `overlay` at model_version if it scores at least as well as the version served now
    (`publish-version --require-better`), and pushes the commit; `promoted` is "true" when it did."""
    return dsl.ContainerSpec(
        image=IMAGE,
        command=["/bin/sh", "-c",
                 'set -eu; '
                 f'export GIT_SSH_COMMAND="ssh -i {GIT_KEY_PATH}/id_ed25519 -o UserKnownHostsFile={GIT_KEY_PATH}/known_hosts '
                 '-o IdentitiesOnly=yes"; '
                 'checkout="$(mktemp -d)/gitops"; git clone --depth 1 "$3" "$checkout"; status=0; '
                 'tunekit publish-version "$1" --kustomize "$checkout/$4" --output "$2" --require-better || status=$?; '
                 'case $status in '
                 '0) cd "$checkout"; if git diff --quiet; then echo false > "$5"; exit 0; fi; '
                 'git -c user.name=tunekit-kfp -c user.email=tunekit-kfp@users.noreply.github.com '
                 'commit -m "serve model $1 (kfp retrain)" "$4/patch-model-version.yaml"; git push origin HEAD; echo true > "$5";; '
                 '4) echo false > "$5";; '
                 '*) exit $status;; '
                 'esac',
                 "deploy"],
        args=[model_version, models, repository, overlay, promoted],
    )


def check_drift(served_version):
    features = on_volumes(sized(featurize(data=DATA_PATH), "featurize"), models=False)
    check = drift(reference=f"{MODELS_PATH}/model/{served_version}", current=features.outputs["featurized"], current_file="test.csv")
    on_volumes(sized(check, "drift"), data=False)
    return check


def deployed(new_version, after, repository, overlay):
    task = sized(deploy(model_version=new_version, models=MODELS_PATH, repository=repository, overlay=overlay), "deploy")
    on_volumes(task, data=True)
    kubernetes.use_secret_as_volume(task, secret_name=GIT_KEY_SECRET, mount_path=GIT_KEY_PATH)
    task.after(after)
    return task


@dsl.pipeline(name="seoul-traffic-retrain", description="Featurize, check drift against the served model, retrain on drift, deploy if better.")
def retrain_pipeline(
    served_version: str,
    new_version: str,
    experiment: str = EXPERIMENT_IN_IMAGE,
    repository: str = GITOPS_REPOSITORY,
    overlay: str = GITOPS_OVERLAY,
):
    check = check_drift(served_version)
    with dsl.If(check.outputs["drifted"] == "true", name="drifted"):
        tuned = on_volumes(sized(tune(experiment=experiment, model_version=new_version, models=MODELS_PATH), "tune"))
        deployed(new_version, tuned, repository, overlay)


@dsl.pipeline(
    name="seoul-traffic-retrain-katib",
    description="Featurize, check drift, tune as a Katib Experiment (trials as pods), refit the best trial, deploy if better.")
def retrain_katib_pipeline(
    served_version: str,
    new_version: str,
    experiment_json: str = json.dumps(yaml.safe_load(EXPERIMENT_FILE.read_text())),
    timeout_seconds: int = 6 * 3600,
    repository: str = GITOPS_REPOSITORY,
    overlay: str = GITOPS_OVERLAY,
):
    check = check_drift(served_version)
    with dsl.If(check.outputs["drifted"] == "true", name="drifted"):
        katib = sized(
            katib_tune(experiment_json=experiment_json, experiment_name=f"seoul-traffic-gbdt-{new_version}",
                       timeout_seconds=timeout_seconds),
            "katib-tune")
        fitted = refit(experiment_json=experiment_json, assignments=katib.output, model_version=new_version, models=MODELS_PATH)
        on_volumes(sized(fitted, "refit"))
        deployed(new_version, fitted, repository, overlay)


@dsl.pipeline(name="seoul-traffic-train", description="Featurize and fit one gbdt model.")
def train_pipeline(model_version: str, hyperparameters: str = "--num_iterations=400 --learning_rate=0.1 --num_leaves=127"):
    features = on_volumes(sized(featurize(data=DATA_PATH), "featurize"), models=False)
    fitted = train(data=DATA_PATH, trainer="gbdt", hyperparameters=hyperparameters, model_version=model_version, models=MODELS_PATH)
    on_volumes(sized(fitted, "train"))
    fitted.after(features)


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    for name, function in [("seoul-traffic-retrain", retrain_pipeline), ("seoul-traffic-retrain-katib", retrain_katib_pipeline),
                           ("seoul-traffic-train", train_pipeline), ("featurize", featurize), ("tune", tune),
                           ("katib-tune", katib_tune), ("refit", refit), ("train", train), ("drift", drift), ("deploy", deploy)]:
        compiler.Compiler().compile(function, str(out / f"{name}.yaml"))
        print(out / f"{name}.yaml")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "kfp-compiled"))
