#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The container proof: in the built IMAGE, `train` fails cleanly without data (reason in
# /opt/ml/output/failure, non-zero exit), trains from the mounted Kaggle train.csv, `serve`s
# that model, and its predictions for the whole test.csv equal `houseprices predict` on the
# host to 1e-6. Then the smoke test of the image's own champion (cold start, SIGTERM stop).
# Writes reports/container_test.json. Env: ENGINE, IMAGE, HOUSE_PRICES_DATA, PYTHON, HP.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
data="${HOUSE_PRICES_DATA:?set HOUSE_PRICES_DATA to the folder with train.csv and test.csv}"
HP="${HP:-houseprices}"
report="${REPORT:-reports/container_test.json}"
work="$(mktemp -d)"
cid=""
cleanup() { [[ -n "$cid" ]] && container rm -f "$cid" >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT

opt_ml() {  # a fresh /opt/ml tree the image's non-root user can write
    local root="$work/$1"
    mkdir -p "$root/input/config" "$root/input/data/training" "$root/model" "$root/output"
    chmod -R a+rwX "$root"
    echo "$root"
}

# 1. Training failure: no data -> exit non-zero, reason in /opt/ml/output/failure.
bad="$(opt_ml bad)"
if container run --rm -v "$bad:/opt/ml" "$IMAGE" train >"$work/bad.log" 2>&1; then
    log "train without data exited 0"; cat "$work/bad.log" >&2; exit 1
fi
grep -q "No training data" "$bad/output/failure" || { log "no failure reason written"; exit 1; }
log "train without data: non-zero exit, failure: $(head -1 "$bad/output/failure")"

# 2. Train from the mounted data (string hyperparameters, SageMaker style).
ml="$(opt_ml good)"
cp "$data/train.csv" "$ml/input/data/training/train.csv"
printf '{"train.cv.n_repeats": "1"}\n' >"$ml/input/config/hyperparameters.json"
t0="$(now)"
container run --rm -v "$ml:/opt/ml" "$IMAGE" train
train_s="$(since "$t0")"
test -s "$ml/model/model.joblib"
log "trained in the container in ${train_s}s"

# 3. Serve that model and POST the whole test.csv.
port="$(free_port)"
cid="$(container run -d -v "$ml/model:/opt/ml/model:ro" -p "127.0.0.1:$port:8080" "$IMAGE" serve)"
cold="$(wait_ping "http://127.0.0.1:$port" 120 "$cid")"
curl -sf -X POST -H 'Content-Type: text/csv' --data-binary "@$data/test.csv" \
    -o "$work/container.csv" "http://127.0.0.1:$port/invocations"
container stop -t 30 "$cid" >/dev/null
container rm -f "$cid" >/dev/null
cid=""
check_predictions "$work/container.csv" 1459

# 4. The same model (trained in the container) predicting on the host.
"$HP" predict "$data/test.csv" -o "$work/host.csv" --model "$ml/model/model.joblib" >/dev/null
"$PYTHON" - "$work/container.csv" "$work/host.csv" <<'PY'
import sys
import numpy as np
import pandas as pd
served, host = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
assert served["Id"].tolist() == host["Id"].tolist(), "Ids differ"
for col in ("SalePrice", "lower", "upper"):
    np.testing.assert_allclose(served[col], host[col], rtol=1e-6, err_msg=col)
worst = max(float(np.max(np.abs(served[c] / host[c] - 1))) for c in ("SalePrice", "lower", "upper"))
print(f"container-trained model == host `houseprices predict` on 1459 rows (max rel diff {worst:.1e})")
PY

# 5. The image's own champion: cold start, POST, graceful stop.
smoke="$("$here/smoke.sh")"
size="$(container image inspect --format '{{.Size}}' "$IMAGE")"
log "image size: $((size / 1000000)) MB"
mkdir -p "$(dirname "$report")"
"$PYTHON" - "$report" "$size" "$train_s" "$cold" "$smoke" <<'PY'
import json, sys
out, size, train_s, cold, smoke = sys.argv[1:]
doc = {"image_bytes": int(size), "train_in_container_s": float(train_s),
       "cold_start_trained_model_s": float(cold), "smoke": json.loads(smoke)}
open(out, "w").write(json.dumps(doc, indent=2) + "\n")
print(json.dumps(doc))
PY
log "container test passed"
