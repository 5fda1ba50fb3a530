#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Serve the model trained by train_local.sh: ./serve_local.sh [IMAGE]   (Ctrl-C stops it)
# Listens on 127.0.0.1:${PORT:-8080}; without local_test/test_dir/model it serves the
# champion baked into the image. Env: ENGINE (podman|docker), PORT, MODEL_SERVER_WORKERS.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
IMAGE="${1:-${IMAGE:-localhost/houseprices:dev}}"
# shellcheck source=../scripts/container/lib.sh
. "$here/../scripts/container/lib.sh"
mount=()
[[ -s "$here/test_dir/model/model.joblib" ]] && mount=(-v "$here/test_dir/model:/opt/ml/model:ro")
container run --rm -p "127.0.0.1:${PORT:-8080}:8080" \
    -e MODEL_SERVER_WORKERS="${MODEL_SERVER_WORKERS:-2}" "${mount[@]}" "$IMAGE" serve
