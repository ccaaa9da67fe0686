#!/usr/bin/env bash
# Start, stop and check the real Redis and Elasticsearch servers govcrawl needs, on loopback.
#
#   scripts/services.sh start|stop|status|env|tools|restart-redis
#
# Redis is Debian's redis-server; Elasticsearch is the integ-test-zip distribution from Maven
# Central (version pinned below, cached in GOVCRAWL_CACHE_DIR), run as an unprivileged user because
# it refuses to run as root. Data, logs and pid files live under run/ in the project root.
# A service whose URL is already set in the environment (GOVCRAWL_REDIS_URL / GOVCRAWL_ES_URL,
# e.g. your own cluster) is not started here. `env` prints the export lines for the local servers.
set -euo pipefail

ES_VERSION="${GOVCRAWL_ES_VERSION:-8.19.9}"
REDIS_PORT="${GOVCRAWL_LOCAL_REDIS_PORT:-6479}"
ES_PORT="${GOVCRAWL_LOCAL_ES_PORT:-9250}"
ES_HEAP="${GOVCRAWL_LOCAL_ES_HEAP:-1g}"
ES_USER="${GOVCRAWL_LOCAL_ES_USER:-govcrawl-es}"
CACHE_DIR="${GOVCRAWL_CACHE_DIR:-/var/cache/govcrawl}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${GOVCRAWL_RUN_DIR:-$ROOT/run}"
ES_HOME="$CACHE_DIR/elasticsearch-$ES_VERSION"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

need() {  # need COMMAND DEBIAN_PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "$1 is missing: installing Debian package $2"
        apt-get update -qq >/dev/null || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null \
            || die "could not install $2: install it (apt-get install $2) and run again"
        command -v "$1" >/dev/null 2>&1 && return 0
    fi
    die "$1 is not installed: install the Debian package $2 (apt-get install $2) and run again"
}

redis_local() { [ -z "${GOVCRAWL_REDIS_URL:-}" ]; }
es_local() { [ -z "${GOVCRAWL_ES_URL:-}" ]; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

redis_ping() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
es_healthy() {
    curl -fsS "http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1
}

start_redis() {
    need redis-server redis-server
    mkdir -p "$RUN_DIR/redis"
    if pid_alive "$RUN_DIR/redis/redis.pid" && redis_ping; then
        log "redis already running on 127.0.0.1:$REDIS_PORT"; return 0
    fi
    # Hashes stay listpack-encoded up to 4096 entries: the frontier's seen-set buckets (sized for ~1000
    # URLs, skewed up to 4x by uneven shards) rely on it for their ~17 bytes per URL.
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
        --dir "$RUN_DIR/redis" --pidfile "$RUN_DIR/redis/redis.pid" --logfile "$RUN_DIR/redis/redis.log" \
        --appendonly yes --appendfsync everysec --save "" \
        --hash-max-listpack-entries 4096 --hash-max-listpack-value 64 >/dev/null
    for _ in $(seq 1 100); do redis_ping && { log "redis up on 127.0.0.1:$REDIS_PORT"; return 0; }; sleep 0.1; done
    die "redis did not answer on 127.0.0.1:$REDIS_PORT: see $RUN_DIR/redis/redis.log"
}

fetch_elasticsearch() {
    [ -x "$ES_HOME/bin/elasticsearch" ] && return 0
    command -v java >/dev/null 2>&1 || die "java is missing: install a JDK 17+ (apt-get install openjdk-17-jre-headless)"
    command -v mvn >/dev/null 2>&1 || die "mvn is missing: install Maven (apt-get install maven) to fetch Elasticsearch"
    need unzip unzip
    mkdir -p "$CACHE_DIR"
    log "fetching Elasticsearch $ES_VERSION (integ-test-zip) from Maven Central into $CACHE_DIR"
    mvn -q -B -Dstyle.color=never dependency:copy \
        -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
        -DoutputDirectory="$CACHE_DIR" >/dev/null \
        || die "mvn could not fetch org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION"
    rm -rf "$ES_HOME.tmp" && mkdir -p "$ES_HOME.tmp"
    unzip -q "$CACHE_DIR/elasticsearch-$ES_VERSION.zip" -d "$ES_HOME.tmp"
    mv "$ES_HOME.tmp/elasticsearch-$ES_VERSION" "$ES_HOME" && rm -rf "$ES_HOME.tmp"
    chmod -R a+rX "$ES_HOME"
}

ensure_es_user() {
    id "$ES_USER" >/dev/null 2>&1 && return 0
    useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER" \
        || die "could not create the user $ES_USER that Elasticsearch runs as"
}

start_es() {
    local dir="$RUN_DIR/elasticsearch"
    if pid_alive "$dir/es.pid" && es_healthy; then
        log "elasticsearch already running on 127.0.0.1:$ES_PORT"; return 0
    fi
    fetch_elasticsearch
    mkdir -p "$dir/data" "$dir/logs" "$dir/config" "$dir/tmp"
    cp -r "$ES_HOME/config/." "$dir/config/"
    cat > "$dir/config/elasticsearch.yml" <<EOF
cluster.name: govcrawl-local
node.name: govcrawl-local-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: $ES_PORT
transport.port: $((ES_PORT + 100))
path.data: $dir/data
path.logs: $dir/logs
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
# Local, loopback-only test node: no TLS or users (see deploy/ for a secured cluster).
xpack.security.enabled: false
EOF
    if [ "$(id -u)" = 0 ]; then
        ensure_es_user
        chown -R "$ES_USER" "$dir"
    fi
    # The integ-test zip ships no JDK: use the machine's (ES_JAVA_HOME wins when set).
    local java_home="${ES_JAVA_HOME:-}"
    if [ -z "$java_home" ]; then
        command -v java >/dev/null 2>&1 || die "java is missing: install a JDK 17+ (apt-get install openjdk-17-jre-headless)"
        java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
    fi
    local cmd=(env "ES_JAVA_HOME=$java_home" "ES_PATH_CONF=$dir/config" "ES_JAVA_OPTS=-Xms$ES_HEAP -Xmx$ES_HEAP -Djava.io.tmpdir=$dir/tmp"
               "ES_TMPDIR=$dir/tmp"
               "$ES_HOME/bin/elasticsearch" -d -p "$dir/es.pid")
    rm -f "$dir/es.pid"
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$ES_USER" -- "${cmd[@]}" >"$dir/logs/stdout.log" 2>&1 \
            || die "elasticsearch failed to start: see $dir/logs/stdout.log"
    else
        "${cmd[@]}" >"$dir/logs/stdout.log" 2>&1 || die "elasticsearch failed to start: see $dir/logs/stdout.log"
    fi
    for _ in $(seq 1 180); do
        es_healthy && { log "elasticsearch $ES_VERSION up on 127.0.0.1:$ES_PORT"; return 0; }
        sleep 1
    done
    die "elasticsearch did not become healthy on 127.0.0.1:$ES_PORT within 180 s: see $dir/logs/"
}

stop_pidfile() {  # stop_pidfile NAME PIDFILE
    if pid_alive "$2"; then
        local pid; pid="$(cat "$2")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
        log "$1 stopped"
    else
        log "$1 not running"
    fi
    rm -f "$2"
}

status() {
    local rc=0
    if redis_local; then
        if redis_ping; then log "redis: up (redis://127.0.0.1:$REDIS_PORT/0)"; else log "redis: down"; rc=1; fi
    else log "redis: external ($GOVCRAWL_REDIS_URL)"; fi
    if es_local; then
        if es_healthy; then log "elasticsearch: up (http://127.0.0.1:$ES_PORT)"; else log "elasticsearch: down"; rc=1; fi
    else log "elasticsearch: external (set by GOVCRAWL_ES_URL)"; fi
    return $rc
}

tools() {  # the command-line tools the tests call: promtool, amtool, chromium
    need promtool prometheus
    need amtool prometheus-alertmanager
    need chromium chromium
}

case "${1:-}" in
    tools) tools ;;
    start)
        redis_local && start_redis || log "GOVCRAWL_REDIS_URL is set: not starting a local redis"
        es_local && start_es || log "GOVCRAWL_ES_URL is set: not starting a local elasticsearch"
        ;;
    stop)
        redis_local && stop_pidfile redis "$RUN_DIR/redis/redis.pid"
        es_local && stop_pidfile elasticsearch "$RUN_DIR/elasticsearch/es.pid"
        true
        ;;
    restart-redis)  # used by tests and operators: stop and start redis, keeping its data
        stop_pidfile redis "$RUN_DIR/redis/redis.pid"; start_redis ;;
    status) status ;;
    env)
        redis_local && echo "export GOVCRAWL_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
        es_local && echo "export GOVCRAWL_ES_URL=http://127.0.0.1:$ES_PORT"
        true
        ;;
    *) echo "usage: $0 start|stop|status|env|tools|restart-redis" >&2; exit 2 ;;
esac
