#!/usr/bin/env bash
# Proves deploy/Dockerfile's build stage works without a Docker engine: copies exactly what the stage COPYs from the
# build context (the repository root) into an empty folder, then runs the stage's
# `RUN swift ...` and `RUN install ...` steps there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"

# The build stage: the lines after the first FROM and before the second.
stage="$(awk '/^FROM /{n++; next} n==1' deploy/Dockerfile)"

while read -r _ arguments; do
  read -r -a words <<<"$arguments"
  destination="${words[-1]}"
  for source in "${words[@]:0:${#words[@]}-1}"; do
    if [[ "$destination" == */ ]]; then
      mkdir -p "$work/$destination"
      target="$work/$destination$(basename "$source")"
    else
      target="$work/$destination"
    fi
    mkdir -p "$(dirname "$target")"
    cp -R "$source" "$target"
  done
done < <(grep -E '^COPY ' <<<"$stage")

cd "$work"
echo "build context copied to $work: $(ls | tr '\n' ' ')"
while read -r _ command; do
  echo "+ $command"
  bash -c "$command"
done < <(grep -E '^RUN (swift|install) ' <<<"$stage" | sed 's#/out/#'"$work"'/out/#')
test -x "$work/out/usr/local/bin/tunekit"
"$work/out/usr/local/bin/tunekit" --help >/dev/null
echo "Dockerfile build stage OK: tunekit built from the Dockerfile's context alone"
