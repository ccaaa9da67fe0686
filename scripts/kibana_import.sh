#!/usr/bin/env bash
# Import govcrawl's Kibana data views, saved searches and dashboard (deploy/kibana/saved_objects.ndjson).
# Usage: KIBANA_URL=http://127.0.0.1:5601 [KIBANA_USER=elastic KIBANA_PASSWORD=...] [KIBANA_SPACE=ops] \
#        scripts/kibana_import.sh [FILE]
# Objects with the same ids are overwritten, so running it again after an update is safe.
set -euo pipefail

file="${1:-$(dirname "$0")/../deploy/kibana/saved_objects.ndjson}"
if [[ -z "${KIBANA_URL:-}" ]]; then
  echo "KIBANA_URL is empty: set it to the Kibana address, e.g. KIBANA_URL=http://127.0.0.1:5601" >&2
  exit 2
fi
if [[ ! -f "$file" ]]; then
  echo "$file does not exist: give the path of saved_objects.ndjson" >&2
  exit 2
fi
base="${KIBANA_URL%/}"
if [[ -n "${KIBANA_SPACE:-}" ]]; then
  base="$base/s/$KIBANA_SPACE"
fi
auth=()
if [[ -n "${KIBANA_USER:-}" ]]; then
  auth=(--user "$KIBANA_USER:${KIBANA_PASSWORD:-}")
fi

answer=$(curl --silent --show-error --fail-with-body "${auth[@]}" \
  -X POST "$base/api/saved_objects/_import?overwrite=true" \
  -H "kbn-xsrf: true" \
  --form file=@"$file") || { echo "Import into Kibana at $base failed (curl error above) ${answer}" >&2; exit 1; }

if [[ "$answer" != *'"success":true'* ]]; then
  echo "Kibana imported with errors (fix the objects named below and run again): $answer" >&2
  exit 1
fi
echo "Imported $(grep -c . "$file") saved objects into $base: $answer"
