#!/usr/bin/env bash
# After a retrain whose challenger won: commit what `dvc repro` changed (dvc.lock, metrics,
# plots data, model card) on a new branch, push it (and the DVC outputs when a DVC remote is
# configured), and open a pull request whose body is the metrics report.
# Usage: open-retrain-pr.sh REPORT.md
# Env: GH_TOKEN (contents: write + pull-requests: write), BASE_BRANCH (default main),
#      RETRAIN_BRANCH (default retrain/<UTC date>-<run id>), DVC_REMOTE_URL (optional).
set -euo pipefail

report="${1:?usage: open-retrain-pr.sh REPORT.md}"
[ -s "$report" ] || { echo "error: $report is missing or empty" >&2; exit 1; }
base="${BASE_BRANCH:-main}"
branch="${RETRAIN_BRANCH:-retrain/$(date -u +%Y%m%d)-${GITHUB_RUN_ID:-local}}"
PATH="$(cd "$(dirname "$0")/../.." && pwd)/${VENV:-.venv}/bin:$PATH"

if git diff --quiet; then
  echo "nothing changed in tracked files: no pull request"
  exit 0
fi
if [ -n "${DVC_REMOTE_URL:-}" ]; then
  dvc push  # the PR's dvc.lock must point at artifacts others can pull
fi

metric_line=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("%s %.5f -> %.5f" % (d["metric"], d["champion"], d["challenger"]))' \
  "$(dirname "$report")/decision.json" 2>/dev/null || echo "challenger beats champion")

git switch --quiet --create "$branch"
git add --update
git -c user.name="github-actions[bot]" \
    -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
    commit --quiet --message "Retrain: promote the challenger ($metric_line)"
git push --quiet origin "$branch"
gh pr create --base "$base" --head "$branch" \
  --title "Retrain: promote the challenger ($metric_line)" --body-file "$report"
