#!/usr/bin/env bash
# Exercise the scripts the GitHub workflows call, on a throw-away git + DVC history built from
# this repository's committed pipeline files: the metrics report (dvc metrics/params/plots
# diff), the promotion rule (win, loss, different CV scheme), the PR comment and the retrain
# pull request (with a stand-in `gh` and a bare git remote), and the data-source detection.
# Run by `make promote-check`, hence by `make ci` and .ci/run.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
PATH="$root/${VENV:-.venv}/bin:$PATH"
export DVC_NO_ANALYTICS=1 PYTHONDONTWRITEBYTECODE=1
unset GITHUB_STEP_SUMMARY GITHUB_OUTPUT HOUSE_PRICES_DATA DVC_REMOTE_URL KAGGLE_USERNAME KAGGLE_KEY

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
checks=0
fail() { echo "selftest FAILED: $*" >&2; exit 1; }
expect() { # expect PATTERN FILE
  grep -q -- "$1" "$2" || { echo "--- $2:" >&2; cat "$2" >&2; fail "'$1' not in $2"; }
  checks=$((checks + 1))
}
set_metric() { # set_metric KEY VALUE (in reports/metrics.json of the current directory)
  python3 - "$1" "$2" <<'PY'
import json, sys
path = "reports/metrics.json"
data = json.load(open(path))
data[sys.argv[1]] = float(sys.argv[2]) if "." in sys.argv[2] else int(sys.argv[2])
json.dump(data, open(path, "w"), indent=2)
PY
}

# --- a repository whose main holds the champion ---------------------------------------------
repo="$tmp/repo"
mkdir -p "$repo/reports/plots" "$repo/scripts"
cp "$root"/{dvc.yaml,dvc.lock,params.yaml} "$repo/"
cp "$root/reports/metrics.json" "$repo/reports/"
cp "$root"/reports/plots/*.csv "$repo/reports/plots/"
cp -r "$root/scripts/ci" "$repo/scripts/ci"
cd "$repo"
git init -q -b main
git config user.email ci@example.invalid
git config user.name ci
dvc init -q
dvc config core.analytics false
git add -A
git commit -q -m champion
champion=$(python3 -c 'import json; print(json.load(open("reports/metrics.json"))["cv_rmsle"])')

# --- a challenger that wins by more than the margin -----------------------------------------
set_metric cv_rmsle "$(python3 -c "print($champion - 0.002)")"
GITHUB_STEP_SUMMARY="$tmp/summary.md" scripts/ci/metrics-report.sh main "$tmp/out" >/dev/null
expect "| reports/metrics.json | cv_rmsle" "$tmp/out/metrics-report.md"
expect "No parameter changed" "$tmp/out/metrics-report.md"
expect "promote the challenger" "$tmp/out/metrics-report.md"
expect "houseprices-metrics-report" "$tmp/summary.md"
[ -s "$tmp/out/plots/index.html" ] || fail "dvc plots diff wrote no HTML"
checks=$((checks + 1))

GITHUB_OUTPUT="$tmp/output" GITHUB_STEP_SUMMARY="$tmp/promote.md" \
  python -m houseprices.registry promote --champion-ref main --output "$tmp/out/decision.json" 2>/dev/null
expect "promote=true" "$tmp/output"
expect "The challenger wins" "$tmp/promote.md"

# --- the PR comment and the retrain pull request, with a stand-in gh --------------------------
mkdir -p "$tmp/bin"
cat >"$tmp/bin/gh" <<'GH'
#!/usr/bin/env bash
echo "gh $*" >>"$GH_LOG"
if [ "${GH_FAIL_EDIT:-0}" = 1 ] && [[ " $* " == *" --edit-last "* ]]; then exit 1; fi
GH
chmod +x "$tmp/bin/gh"
export GH_LOG="$tmp/gh.log"
PATH="$tmp/bin:$PATH" PR_NUMBER=7 scripts/ci/pr-comment.sh "$tmp/out/metrics-report.md" >/dev/null
expect "gh pr comment 7 --body-file $tmp/out/metrics-report.md --edit-last --create-if-none" "$GH_LOG"
PATH="$tmp/bin:$PATH" PR_NUMBER=8 GH_FAIL_EDIT=1 scripts/ci/pr-comment.sh "$tmp/out/metrics-report.md" >/dev/null
expect "gh pr comment 8 --body-file $tmp/out/metrics-report.md$" "$GH_LOG"
if PR_NUMBER=9 PATH="$tmp/bin:$PATH" scripts/ci/pr-comment.sh "$tmp/missing.md" 2>/dev/null; then
  fail "pr-comment.sh accepted a missing report"
fi

git init -q --bare "$tmp/origin.git"
git remote add origin "$tmp/origin.git"
PATH="$tmp/bin:$PATH" RETRAIN_BRANCH=retrain/selftest \
  scripts/ci/open-retrain-pr.sh "$tmp/out/metrics-report.md" >/dev/null
git ls-remote "$tmp/origin.git" >"$tmp/remote-refs"
expect "refs/heads/retrain/selftest" "$tmp/remote-refs"
git --git-dir="$tmp/origin.git" log -1 --format=%s retrain/selftest >"$tmp/pr-commit"
expect "Retrain: promote the challenger (cv_rmsle" "$tmp/pr-commit"
expect "gh pr create --base main --head retrain/selftest" "$GH_LOG"
git switch -q main

# --- a challenger inside the margin, then one scored with another CV scheme -----------------
set_metric cv_rmsle "$(python3 -c "print($champion - 0.0004)")"
GITHUB_OUTPUT="$tmp/output2" GITHUB_STEP_SUMMARY="$tmp/loss.md" \
  python -m houseprices.registry promote --champion-ref main 2>/dev/null
expect "promote=false" "$tmp/output2"
expect "does not beat the champion by the margin" "$tmp/loss.md"
if python -m houseprices.registry promote --champion-ref main --strict >/dev/null 2>&1; then
  fail "--strict exited 0 for a losing challenger"
fi

set_metric cv_rmsle 0.01
set_metric n_folds 5
python3 - <<'PY'
import yaml
lock = yaml.safe_load(open("dvc.lock"))
lock["stages"]["train"]["params"]["params.yaml"]["train"]["cv"]["n_repeats"] = 1
yaml.safe_dump(lock, open("dvc.lock", "w"), sort_keys=False)
PY
GITHUB_STEP_SUMMARY="$tmp/cv.md" python -m houseprices.registry promote --champion-ref main 2>/dev/null
expect "CV schemes differ" "$tmp/cv.md"
git checkout -q -- .

# --- copying the pushed image to ECR by digest (stand-in docker) --------------------------------
cat >"$tmp/bin/docker" <<'DOCKER'
#!/usr/bin/env bash
echo "docker $*" >>"$GH_LOG"
DOCKER
chmod +x "$tmp/bin/docker"
PATH="$tmp/bin:$PATH" SOURCE="docker.io/u/houseprices@sha256:abc" TAGS=$'r/h:sha-1\nr/h:latest\n' \
  scripts/ci/copy-image.sh
expect "docker buildx imagetools create --tag r/h:sha-1 --tag r/h:latest docker.io/u/houseprices@sha256:abc" "$GH_LOG"
if PATH="$tmp/bin:$PATH" SOURCE="u/houseprices:latest" TAGS="r/h:x" scripts/ci/copy-image.sh 2>/dev/null; then
  fail "copy-image.sh accepted a source not pinned by digest"
fi

# --- where the data would come from -----------------------------------------------------------
source_of() { env "$@" GITHUB_OUTPUT="$tmp/data-out" scripts/ci/fetch-data.sh --check >/dev/null; }
: >"$tmp/data-out"; source_of
expect "source=none" "$tmp/data-out"; expect "available=false" "$tmp/data-out"
: >"$tmp/data-out"; source_of KAGGLE_USERNAME=u KAGGLE_KEY=k
expect "source=kaggle" "$tmp/data-out"; expect "available=true" "$tmp/data-out"
: >"$tmp/data-out"; source_of DVC_REMOTE_URL=s3://bucket/path KAGGLE_USERNAME=u KAGGLE_KEY=k
expect "source=dvc" "$tmp/data-out"
: >"$tmp/data-out"; source_of HOUSE_PRICES_DATA="$tmp"
expect "source=local" "$tmp/data-out"
if scripts/ci/fetch-data.sh >/dev/null 2>&1; then fail "fetch-data.sh without a source exited 0"; fi
DATA_OPTIONAL=1 scripts/ci/fetch-data.sh >/dev/null || fail "DATA_OPTIONAL=1 should exit 0"
checks=$((checks + 4))

echo "CI scripts selftest: $checks checks passed"
