#!/usr/bin/env bash
# The whole job on the local farm: serve simulated sites, load the registry, crawl one cycle,
# write the reports and print a summary. Called by `make demo` (which installs and starts services).
#
#   DEMO_SITES=30 DEMO_SEED=1 scripts/demo.sh
#   DEMO_WORLD=b DEMO_SITES=40 scripts/demo.sh      # the second, independently written world
set -euo pipefail
cd "$(dirname "$0")/.."

WORLD="${DEMO_WORLD:-a}"
SITES="${DEMO_SITES:-30}"
SEED="${DEMO_SEED:-1}"
PORT="${DEMO_PORT:-8800}"
OUT="${DEMO_OUT:-out/demo}"
BASE_IP="${DEMO_BASE_IP:-127.0.1.1}"
NAME="${DEMO_NAME:-demo}"
FARM_DIR="run/$NAME-farm"
PY="${PYTHON:-python}"

eval "$(scripts/services.sh env)"
export GOVCRAWL_REDIS_URL GOVCRAWL_ES_URL

# Everything of this demo lives under its own prefixes, wiped at the start so a rerun starts fresh.
PREFIX_SETTINGS=(-s "GOVCRAWL_REDIS_PREFIX=govcrawl:$NAME" -s "GOVCRAWL_ES_INDEX_PREFIX=govcrawl-$NAME")
"$PY" -m scripts.demo_reset "govcrawl:$NAME" "govcrawl-$NAME"

rm -rf "$FARM_DIR" && mkdir -p "$FARM_DIR" "$OUT"
echo "== starting the farm (world $WORLD): $SITES simulated government sites from $BASE_IP, port $PORT"
"$PY" -m scripts.farm serve --world "$WORLD" --sites "$SITES" --seed "$SEED" --out "$FARM_DIR" \
    --port "$PORT" --base-ip "$BASE_IP" --slow-seconds 20 > "$FARM_DIR/farm.log" 2>&1 &
FARM_PID=$!
trap 'kill $FARM_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -f "$FARM_DIR/ready" ] && break; sleep 0.2; done
[ -f "$FARM_DIR/ready" ] || { echo "the farm did not start: see $FARM_DIR/farm.log" >&2; exit 1; }

step() {  # step NAME LOG COMMAND...: run quietly into LOG; show its key line, or its tail on failure
    local name="$1" log="$2"; shift 2
    if ! "$@" > "$log" 2>&1; then
        echo "   $name failed; the end of $log:" >&2
        tail -20 "$log" >&2
        exit 1
    fi
    grep -hE "INFO: (Loaded|Wrote|Elasticsearch schema at)|Every registered site|\] (WARNING|ERROR):" "$log" \
        | sed -E 's/^[0-9-]+ [0-9:]+ \[[^]]+\] /   /' | grep -v "Gave up retrying" | head -5 || true
}

echo "== installing Elasticsearch templates"
step templates "$OUT/templates.log" scrapy templates "${PREFIX_SETTINGS[@]}"

echo "== loading the registry ($FARM_DIR/registry.csv)"
step seed "$OUT/seed.log" scrapy seed "$FARM_DIR/registry.csv" "${PREFIX_SETTINGS[@]}"

echo "== crawling one cycle of every site (log: $OUT/crawl.log)"
start=$(date +%s)
step crawl "$OUT/crawl.log" scrapy crawl govsite -a once=1 "${PREFIX_SETTINGS[@]}" \
    -s GOVCRAWL_ALLOWED_NETWORKS=127.0.0.0/8 -s GOVCRAWL_CRAWL_DELAY_SECONDS=0.05 \
    -s GOVCRAWL_CRAWL_TIMEOUT_SECONDS=10 -s GOVCRAWL_METRICS_PORT=0
echo "   crawl finished in $(( $(date +%s) - start )) s"

echo "== writing reports to $OUT/"
for ext in json xlsx html; do
    step report "$OUT/report-$ext.log" scrapy report -o "$OUT/report.$ext" "${PREFIX_SETTINGS[@]}"
done

"$PY" -m scripts.demo_summary "$OUT/report.json" "$FARM_DIR/truth.json" "govcrawl-$NAME"

if [ "$WORLD" = a ]; then
    # Backdating needs two crawls: five sites publish an honest item and a backdated one, are re-checked and
    # crawled again; every page stored as backdated (on any site) is scored against what they published.
    echo
    echo "== five sites publish items (one backdated each); re-check and crawl them again"
    "$PY" -m scripts.demo_backdating publish "$FARM_DIR" 5 > "$OUT/published.json"
    mapfile -t PUBLISHERS < <("$PY" -c 'import json,sys; print("\n".join(json.load(sys.stdin)["sites"]))' \
        < "$OUT/published.json")
    step recheck "$OUT/recheck.log" scrapy recheck "${PUBLISHERS[@]}" "${PREFIX_SETTINGS[@]}"
    step crawl "$OUT/crawl-2.log" scrapy crawl govsite -a once=1 "${PREFIX_SETTINGS[@]}" \
        -s GOVCRAWL_ALLOWED_NETWORKS=127.0.0.0/8 -s GOVCRAWL_CRAWL_DELAY_SECONDS=0.05 \
        -s GOVCRAWL_CRAWL_TIMEOUT_SECONDS=10 -s GOVCRAWL_METRICS_PORT=0
    step report "$OUT/report-2.log" scrapy report -o "$OUT/report-after-publishing.json" "${PREFIX_SETTINGS[@]}"
    echo "content checks after the second crawl:"
    "$PY" -m scripts.demo_backdating score "$OUT/published.json" "govcrawl-$NAME"
fi
echo
echo "Reports: $OUT/report.json  $OUT/report.xlsx  $OUT/report.html"
echo "Elasticsearch indices: govcrawl-$NAME-* at $GOVCRAWL_ES_URL ; Redis keys: govcrawl:$NAME:*"
