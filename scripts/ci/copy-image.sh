#!/usr/bin/env bash
# Copy an image already pushed (and smoke-tested) to more tags, registry to registry, by digest:
# no rebuild, so ECR gets exactly the bytes Docker Hub got.
# Env: SOURCE (image@sha256:...), TAGS (one tag per line, docker/metadata-action's output).
set -euo pipefail
: "${SOURCE:?SOURCE (image@digest) is not set}"
: "${TAGS:?TAGS is not set}"
case "$SOURCE" in
  *@sha256:*) ;;
  *) echo "error: SOURCE must be pinned by digest (image@sha256:...), got '$SOURCE'" >&2; exit 1 ;;
esac
args=()
while IFS= read -r tag; do
  [ -n "$tag" ] && args+=(--tag "$tag")
done <<<"$TAGS"
[ "${#args[@]}" -gt 0 ] || { echo "error: TAGS holds no tag" >&2; exit 1; }
docker buildx imagetools create "${args[@]}" "$SOURCE"
