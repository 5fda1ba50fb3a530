#!/usr/bin/env bash
# Bring the Kaggle data into data/raw in CI, from the first source that is configured:
#   1. HOUSE_PRICES_DATA (a local folder) or data/raw already there;
#   2. DVC_REMOTE_URL: a DVC remote (s3://, gs://, ssh://, ...) added as the local default,
#      then `dvc pull data/raw.dvc` (its credentials come from the usual env variables);
#   3. KAGGLE_USERNAME + KAGGLE_KEY: the Kaggle CLI is installed into .venv and downloads it.
# Then `make data` does the work and checks the files against data/raw.sha256.
#
# Usage: fetch-data.sh [--check]
#   --check   only report the source found (and available=true|false to $GITHUB_OUTPUT).
# DATA_OPTIONAL=1 turns "no source" into available=false and exit 0 (pull requests from forks
# get no secrets: their jobs then skip the steps that need data).
set -euo pipefail
cd "$(dirname "$0")/../.."

check_only=false
[ "${1:-}" = "--check" ] && check_only=true

output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1" >>"$GITHUB_OUTPUT"; fi
}

if [ -n "${HOUSE_PRICES_DATA:-}" ] || [ -f data/raw/train.csv ]; then
  source=local
elif [ -n "${DVC_REMOTE_URL:-}" ]; then
  source=dvc
elif [ -n "${KAGGLE_USERNAME:-}" ] && [ -n "${KAGGLE_KEY:-}" ]; then
  source=kaggle
else
  source=none
fi
echo "data source: $source"
output "source=$source"

if [ "$source" = none ]; then
  output "available=false"
  msg="no data source: set HOUSE_PRICES_DATA, the DVC_REMOTE_URL variable or the KAGGLE_USERNAME/KAGGLE_KEY secrets (docs/ci-cd.md)"
  if [ "${DATA_OPTIONAL:-0}" = 1 ] || $check_only; then
    echo "$msg: the steps that need data are skipped"
    exit 0
  fi
  echo "error: $msg" >&2
  exit 1
fi
output "available=true"
$check_only && exit 0

venv="${VENV:-.venv}"
case "$source" in
  local)
    # data/raw already there (an earlier step): `make data` re-verifies it in place
    export HOUSE_PRICES_DATA="${HOUSE_PRICES_DATA:-$PWD/data/raw}"
    ;;
  dvc)
    "$venv/bin/dvc" remote add --local --force ci "$DVC_REMOTE_URL"
    "$venv/bin/dvc" remote default --local ci
    ;;
  kaggle)
    command -v kaggle >/dev/null ||
      "$venv/bin/uv" pip install --quiet --python "$venv/bin/python" -r scripts/ci/data-tools.txt
    ;;
esac
make data
