# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# Shared helpers of smoke.sh and container-test.sh: `container` runs the chosen engine
# (ENGINE=podman uses the project's private store, see podman-env.sh; ENGINE=docker as is).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENGINE="${ENGINE:-podman}"
IMAGE="${IMAGE:-localhost/houseprices:dev}"
PYTHON="${PYTHON:-python3}"
if [[ "$ENGINE" == podman ]]; then
    # shellcheck source=podman-env.sh
    . "$here/podman-env.sh"
    container() { hp_podman "$@"; }
else
    container() { "$ENGINE" "$@"; }
fi
log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_ping URL TIMEOUT_S CID: poll /ping until 200; print the seconds it took.
wait_ping() {
    local url="$1" timeout="$2" cid="$3" t0 code
    t0="$(now)"
    while :; do
        code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/ping" || true)"
        [[ "$code" == 200 ]] && { since "$t0"; return 0; }
        if [[ "$(container inspect --format '{{.State.Running}}' "$cid" 2>/dev/null)" != true ]]; then
            log "container $cid stopped before /ping answered 200:"; container logs "$cid" >&2 || true
            return 1
        fi
        if awk -v a="$t0" -v b="$(now)" -v t="$timeout" 'BEGIN { exit !(b - a > t) }'; then
            log "no 200 on /ping within ${timeout}s (last code $code):"; container logs "$cid" >&2 || true
            return 1
        fi
        sleep 0.05
    done
}

# check_predictions CSV N: header Id,SalePrice,lower,upper, N rows, finite, lower < price < upper.
check_predictions() {
    "$PYTHON" - "$1" "$2" <<'PY'
import csv, math, sys
rows = list(csv.reader(open(sys.argv[1])))
assert rows[0] == ["Id", "SalePrice", "lower", "upper"], f"unexpected header {rows[0]}"
body = rows[1:]
assert len(body) == int(sys.argv[2]), f"{len(body)} predictions, expected {sys.argv[2]}"
for r in body:
    price, lo, up = map(float, r[1:])
    assert all(map(math.isfinite, (price, lo, up))) and 0 < lo < price < up, r
print(f"{len(body)} predictions with 90 % intervals: ok", file=sys.stderr)
PY
}
