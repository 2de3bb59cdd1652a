#!/bin/sh
# The retrain CronJob's step (deploy/kubernetes/retrain-cronjob.yaml), runnable anywhere tunekit is on PATH:
# check the served model's prediction log for drift against the model's own training sample; on drift, tune a new
# version named after the time and publish it on the models volume; if it scores at least as well as the served
# version on its test rows (publish-version --require-better), point the checked-out overlay at it. The next step
# commits and pushes the overlay when $STATE/new-version exists; Argo CD rolls the version out.
#   MODELS      the models volume (tune --output), e.g. /mnt/models
#   PREDICTIONS the prediction log folder of `tunekit serve --prediction-log`
#   REPO        the GitOps repository checkout; OVERLAY and EXPERIMENT are paths inside it
#   STATE       a folder shared with the push step
# Exit status: 0 (no drift; retrained and bumped; or retrained but not better, so not promoted), else the failing
# command's.
set -eu
overlay="$REPO/$OVERLAY"
served=$(tunekit publish-version --kustomize "$overlay" --print-current)
status=0
tunekit drift --reference "$MODELS/model/$served" --current "$PREDICTIONS" --json "$STATE/drift.json" || status=$?
case "$status" in
    0) echo "retrain: no dataset drift against the served version $served"; exit 0 ;;
    3) echo "retrain: dataset drift against $served: tuning a new version" ;;
    *) echo "retrain: the drift check failed (exit $status)" >&2; exit "$status" ;;
esac
version=$(date -u +%Y%m%d-%H%M%S)
MODEL_VERSION="$version" tunekit tune "$REPO/$EXPERIMENT" --output "$MODELS"
status=0
tunekit publish-version "$version" --kustomize "$overlay" --output "$MODELS" --require-better || status=$?
case "$status" in
    0) echo "$version" > "$STATE/new-version" ;;
    4) echo "retrain: $version is worse than the served $served on its test rows: not promoted (it stays published in $MODELS)"; exit 0 ;;
    *) exit "$status" ;;
esac
