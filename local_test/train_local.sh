#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Train inside the image as SageMaker would: ./train_local.sh [IMAGE]
# Builds local_test/test_dir (the /opt/ml tree: hyperparameters.json with string values, the
# Kaggle train.csv as the "training" channel), mounts it at /opt/ml and runs `train`.
# The model lands in local_test/test_dir/model/; a failure reason in test_dir/output/failure.
# Env: ENGINE (podman|docker, default podman), HOUSE_PRICES_DATA (folder with train.csv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
IMAGE="${1:-${IMAGE:-localhost/houseprices:dev}}"
# shellcheck source=../scripts/container/lib.sh
. "$here/../scripts/container/lib.sh"
dir="$here/test_dir"
mkdir -p "$dir/input/config" "$dir/input/data/training" "$dir/model" "$dir/output"
cp "${HOUSE_PRICES_DATA:?set HOUSE_PRICES_DATA to the folder with train.csv}/train.csv" \
    "$dir/input/data/training/train.csv"
[[ -f "$dir/input/config/hyperparameters.json" ]] ||
    printf '{"train.cv.n_repeats": "1"}\n' >"$dir/input/config/hyperparameters.json"
chmod -R a+rwX "$dir"
container run --rm -v "$dir:/opt/ml" "$IMAGE" train
