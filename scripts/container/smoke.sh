#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Run IMAGE (`serve`), wait for /ping, POST the real test.csv to /invocations, check the 1459
# predictions and their intervals, then stop the container by ID (SIGTERM) and remove it.
# Env: ENGINE (podman|docker), IMAGE, HOUSE_PRICES_DATA (folder with test.csv), PORT.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
test_csv="${HOUSE_PRICES_DATA:?set HOUSE_PRICES_DATA to the folder with test.csv}/test.csv"
port="${PORT:-$(free_port)}"
work="$(mktemp -d)"
cid=""
cleanup() { [[ -n "$cid" ]] && container rm -f "$cid" >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT

t0="$(now)"
cid="$(container run -d -p "127.0.0.1:$port:8080" "$IMAGE" serve)"
cold="$(wait_ping "http://127.0.0.1:$port" 120 "$cid")"
log "cold start: run -> /ping 200 in ${cold}s"
curl -sf -X POST -H 'Content-Type: text/csv' --data-binary "@$test_csv" \
    -o "$work/predictions.csv" -w '%{time_total}\n' "http://127.0.0.1:$port/invocations" >"$work/time"
log "POST test.csv: $(cat "$work/time")s"
check_predictions "$work/predictions.csv" 1459
t0="$(now)"
container stop -t 30 "$cid" >/dev/null
stop_s="$(since "$t0")"
code="$(container inspect --format '{{.State.ExitCode}}' "$cid")"
log "stop (SIGTERM): ${stop_s}s, exit code $code"
[[ "$code" == 0 ]] || { container logs "$cid" >&2; exit 1; }
printf '{"cold_start_s": %s, "post_test_csv_s": %s, "stop_s": %s}\n' "$cold" "$(cat "$work/time")" "$stop_s"
