#!/usr/bin/env bash
# POST a file to the running server: ./predict.sh FILE [CONTENT_TYPE] [ACCEPT]
# e.g. ./predict.sh "$HOUSE_PRICES_DATA/test.csv"   or   ./predict.sh one.json application/json
set -euo pipefail
file="${1:?usage: predict.sh FILE [text/csv|application/json] [ACCEPT]}"
content_type="${2:-text/csv}"
accept="${3:-$content_type}"
curl --fail-with-body -sS -X POST -H "Content-Type: $content_type" -H "Accept: $accept" \
    --data-binary "@$file" "http://127.0.0.1:${PORT:-8080}/invocations"
