#!/usr/bin/env bash
# Post (or update) the metrics report as a comment on a pull request with the GitHub CLI.
# Usage: pr-comment.sh REPORT.md
# Env: PR_NUMBER (the pull request), GH_TOKEN (github.token with pull-requests: write),
#      GH_REPO (owner/repo; set by the workflow). The last comment of the workflow's bot is
#      edited when there is one, so a pull request carries one report, kept current.
set -euo pipefail

report="${1:?usage: pr-comment.sh REPORT.md}"
: "${PR_NUMBER:?PR_NUMBER is not set}"
[ -s "$report" ] || { echo "error: $report is missing or empty" >&2; exit 1; }
command -v gh >/dev/null || { echo "error: the GitHub CLI (gh) is not installed" >&2; exit 1; }

if ! gh pr comment "$PR_NUMBER" --body-file "$report" --edit-last --create-if-none; then
  echo "editing the last comment failed: posting a new one"
  gh pr comment "$PR_NUMBER" --body-file "$report"
fi
