#!/usr/bin/env bash
# Markdown report of the reproduced pipeline against a base revision (the champion):
# `dvc metrics diff --md`, `dvc params diff --md`, the promotion rule's verdict and
# `dvc plots diff` rendered to HTML. Written to OUT_DIR/metrics-report.md (the PR comment
# body), appended to $GITHUB_STEP_SUMMARY when set; plots in OUT_DIR/plots (a CI artifact).
#
# Usage: metrics-report.sh [BASE_REV] [OUT_DIR]        (defaults: main, build/ci)
# Runs from the current directory (a DVC project inside a git work tree).
set -euo pipefail
# dvc and houseprices from the project venv when run outside make.
PATH="$(cd "$(dirname "$0")/../.." && pwd)/${VENV:-.venv}/bin:$PATH"

base="${1:-main}"
out="${2:-build/ci}"
mkdir -p "$out"
report="$out/metrics-report.md"

if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
  echo "error: git revision '$base' not found: fetch it (actions/checkout with fetch-depth: 0)" >&2
  exit 1
fi
short=$(git rev-parse --short "$base^{commit}")
profile="${HOUSEPRICES_PROFILE:-full}"

{
  echo "<!-- houseprices-metrics-report -->"
  echo "## Model metrics: working tree vs \`$base\` ($short)"
  echo
  echo "Pipeline profile: \`$profile\`."
  if [ "$profile" != full ]; then
    echo "Metrics from a reduced profile are a smoke signal, not a comparison with the champion:"
    echo "the promotion rule below refuses to compare different CV schemes."
  fi
  echo
  echo "### Metrics"
  echo
  metrics=$(dvc metrics diff --md --all "$base")
  echo "${metrics:-No metrics found.}"
  echo
  echo "### Parameters"
  echo
  params=$(dvc params diff --md "$base")
  # with no change dvc prints an empty table (its header only)
  if [ "$(printf '%s\n' "$params" | grep -c '^|')" -gt 2 ]; then
    echo "$params"
  else
    echo "No parameter changed."
  fi
  echo
  # The rule's verdict goes into this report, not straight to the job summary.
  env -u GITHUB_STEP_SUMMARY -u GITHUB_OUTPUT \
    python -m houseprices.registry promote --champion-ref "$base" --output "$out/decision.json" 2>/dev/null ||
    echo "_The promotion rule could not run (see the job log)._"
} >"$report"

if dvc plots diff "$base" --out "$out/plots" >"$out/plots.log" 2>&1; then
  echo "Plots: \`dvc plots diff\` HTML in the \`metrics-report\` artifact." >>"$report"
else
  echo "_\`dvc plots diff\` failed: see the job log._" >>"$report"
  cat "$out/plots.log" >&2
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$report" >>"$GITHUB_STEP_SUMMARY"; fi
cat "$report"
