#!/usr/bin/env bash
# Start, stop and check the real Redis and Elasticsearch servers govcrawl needs, on loopback.
#
#   scripts/services.sh start|stop|status|env|tools|restart-redis
#   scripts/services.sh start-secure|stop-secure|secure-env
#
# Redis is Debian's redis-server; Elasticsearch is the integ-test-zip distribution from Maven
# Central (version pinned below, cached in GOVCRAWL_CACHE_DIR), run as an unprivileged user because
# it refuses to run as root. Data, logs and pid files live under run/ in the project root.
# A service whose URL is already set in the environment (GOVCRAWL_REDIS_URL / GOVCRAWL_ES_URL,
# e.g. your own cluster) is not started here. `env` prints the export lines for the local servers.
#
# `start-secure` starts a second pair on other ports with authentication and TLS on, as production
# runs them (docs/deployment.md): Redis with ACL users and TLS only (rediss://, port 6480), and
# Elasticsearch with security and HTTPS (port 9251), users from the file realm and the role of
# deploy/elasticsearch/roles.yml. Certificates (a local CA) and generated passwords live under
# run/secure/; `secure-env` prints the export lines a govcrawl process needs for them.
set -euo pipefail

ES_VERSION="${GOVCRAWL_ES_VERSION:-8.19.9}"
REDIS_PORT="${GOVCRAWL_LOCAL_REDIS_PORT:-6479}"
ES_PORT="${GOVCRAWL_LOCAL_ES_PORT:-9250}"
ES_HEAP="${GOVCRAWL_LOCAL_ES_HEAP:-1g}"
ES_USER="${GOVCRAWL_LOCAL_ES_USER:-govcrawl-es}"
SECURE_REDIS_PORT="${GOVCRAWL_LOCAL_SECURE_REDIS_PORT:-6480}"
SECURE_ES_PORT="${GOVCRAWL_LOCAL_SECURE_ES_PORT:-9251}"
CACHE_DIR="${GOVCRAWL_CACHE_DIR:-/var/cache/govcrawl}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${GOVCRAWL_RUN_DIR:-$ROOT/run}"
ES_HOME="$CACHE_DIR/elasticsearch-$ES_VERSION"
SECURE_DIR="$RUN_DIR/secure"

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

port_holder() {  # port_holder PORT: prints who listens on 127.0.0.1:PORT (or any address), nothing if free
    local line
    line="$(ss -Hltnp "sport = :$1" 2>/dev/null | head -1)" || true
    [ -n "$line" ] || return 0
    local who; who="$(printf '%s' "$line" | grep -o 'users:(("[^"]*",pid=[0-9]*' | head -1 | sed 's/users:(("//; s/",pid=/ pid /')"
    printf '%s' "${who:-another process}"
}

need_free_port() {  # need_free_port PORT WHAT SETTING
    local holder; holder="$(port_holder "$1")"
    [ -z "$holder" ] || die "cannot start $2: port $1 is already in use by $holder (stop it, or choose other ports with $3)"
}

es_cause() {  # es_cause DIR: the one log line of this start that says why Elasticsearch stopped
    local logs=("$1/logs/stdout.log") line
    [ -f "$1/logs/govcrawl-local.log" ] && logs+=("$1/logs/govcrawl-local.log")
    [ -f "$1/logs/govcrawl-secure.log" ] && logs+=("$1/logs/govcrawl-secure.log")
    # A busy port first: the launcher's own ERROR lines only say that the node died.
    line="$(tail -q -n 300 "${logs[@]}" 2>/dev/null | grep -h -o -E 'Failed to bind to [^ ]+' | tail -n 1)" || true
    if [ -n "$line" ]; then printf '%s (address already in use)' "$line"; return 0; fi
    line="$(tail -q -n 300 "${logs[@]}" 2>/dev/null \
        | grep -h -E 'ERROR|Exception|[Ee]rror:|Invalid|invalid|unknown setting|[Cc]annot|denied' \
        | grep -v -E 'Suppressed|Rethrowing|did not exit normally|died while starting|starting java failed' \
        | grep -v -E 'A fatal exception has occurred|Could not create the Java Virtual Machine|^\s+at |^error:$' \
        | head -n 1)" || true
    printf '%s' "$(printf '%s' "${line:-no error in its logs}" | sed 's/^[[:space:]]*//' | cut -c1-300)"
}

redis_cause() {  # redis_cause LOG: the one line of Redis's last start that says why it stopped
    local last line
    last="$(awk '/Redis is starting/ { n = NR } { l[NR] = $0 } END { for (i = n; i <= NR; i++) print l[i] }' \
        "$1" 2>/dev/null | grep -E ' # ' | sed 's/^[0-9]*:[A-Z] [^#]*# //')" || true
    line="$(printf '%s\n' "$last" | grep -E 'Could not create server TCP listening socket' | head -n 1)" || true
    [ -n "$line" ] || line="$(printf '%s\n' "$last" \
        | grep -v -E '^$|Redis is starting|Redis version|Configuration loaded|no config file' | head -n 1)" || true
    printf '%s' "${line:-no error in its log}" | cut -c1-300
}

# Bounded: whatever else holds the port may accept a connection and never answer.
redis_ping() { timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
es_healthy() {
    curl -fsS --max-time 5 "http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1
}

start_redis() {
    need redis-server redis-server
    mkdir -p "$RUN_DIR/redis"
    if pid_alive "$RUN_DIR/redis/redis.pid" && redis_ping; then
        log "redis already running on 127.0.0.1:$REDIS_PORT"; return 0
    fi
    need_free_port "$REDIS_PORT" redis GOVCRAWL_LOCAL_REDIS_PORT
    # Hashes stay listpack-encoded up to 4096 entries: the frontier's seen-set buckets (sized for ~1000
    # URLs, skewed up to 4x by uneven shards) rely on it for their ~17 bytes per URL.
    setsid redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize no \
        --dir "$RUN_DIR/redis" --pidfile "$RUN_DIR/redis/redis.pid" --logfile "$RUN_DIR/redis/redis.log" \
        --appendonly yes --appendfsync everysec --save "" \
        --hash-max-listpack-entries 4096 --hash-max-listpack-value 64 </dev/null >/dev/null 2>&1 &
    wait_redis "$!" "$RUN_DIR/redis" "127.0.0.1:$REDIS_PORT" redis_ping
    log "redis up on 127.0.0.1:$REDIS_PORT"
}

wait_redis() {  # wait_redis PID DIR ADDRESS PING_FUNCTION: until Redis answers; stop early if it died
    for _ in $(seq 1 100); do
        "$4" && return 0
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    redis_failed "$2" "$3"
}

redis_failed() {  # redis_failed DIR ADDRESS: say why redis did not come up (from its log) and exit
    die "redis did not start on $2: $(redis_cause "$1/redis.log") (log: $1/redis.log)"
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
    need_free_port "$ES_PORT" "elasticsearch (HTTP)" GOVCRAWL_LOCAL_ES_PORT
    need_free_port "$((ES_PORT + 100))" "elasticsearch (transport port = HTTP port + 100)" GOVCRAWL_LOCAL_ES_PORT
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
    launch_es "$dir" "$ES_PORT" es_healthy
}

es_java_home() {  # the JDK Elasticsearch runs on: the integ-test zip ships none (ES_JAVA_HOME wins when set)
    if [ -n "${ES_JAVA_HOME:-}" ]; then printf '%s' "$ES_JAVA_HOME"; return 0; fi
    command -v java >/dev/null 2>&1 || die "java is missing: install a JDK 17+ (apt-get install openjdk-17-jre-headless)"
    dirname "$(dirname "$(readlink -f "$(command -v java)")")"
}

as_es_user() {  # as_es_user COMMAND...: run as the unprivileged Elasticsearch user when we are root
    if [ "$(id -u)" = 0 ]; then runuser -u "$ES_USER" -- "$@"; else "$@"; fi
}

launch_es() {  # launch_es DIR PORT HEALTH_FUNCTION: start the node configured in DIR and wait until healthy
    local dir="$1" port="$2" healthy="$3"
    if [ "$(id -u)" = 0 ]; then
        ensure_es_user
        chown -R "$ES_USER" "$dir"
    fi
    local java_home; java_home="$(es_java_home)"
    local cmd=(env "ES_JAVA_HOME=$java_home" "ES_PATH_CONF=$dir/config" "ES_JAVA_OPTS=-Xms$ES_HEAP -Xmx$ES_HEAP -Djava.io.tmpdir=$dir/tmp"
               "ES_TMPDIR=$dir/tmp"
               "$ES_HOME/bin/elasticsearch" -d -p "$dir/es.pid")
    rm -f "$dir/es.pid"
    # Keep the last run's server log aside, so a failure is explained by this start's lines only.
    local old
    for old in "$dir"/logs/govcrawl-local.log "$dir"/logs/govcrawl-secure.log; do
        [ -f "$old" ] && mv -f "$old" "$old.previous"
    done
    if ! as_es_user "${cmd[@]}" >"$dir/logs/stdout.log" 2>&1; then
        es_failed "$dir" "failed to start"
    fi
    for _ in $(seq 1 180); do
        "$healthy" && { log "elasticsearch $ES_VERSION up on 127.0.0.1:$port"; return 0; }
        pid_alive "$dir/es.pid" || es_failed "$dir" "stopped while starting"
        sleep 1
    done
    es_failed "$dir" "did not become healthy within 180 s"
}

es_failed() {  # es_failed DIR WHAT: say why Elasticsearch did not come up (from its logs) and exit
    die "elasticsearch $2: $(es_cause "$1") (logs: $1/logs/)"
}

# --- Secured servers (start-secure) ---------------------------------------------------------------
secure_value() {  # secure_value NAME: a generated password, made once and kept in run/secure/credentials
    local file="$SECURE_DIR/credentials"
    mkdir -p "$SECURE_DIR" && touch "$file" && chmod 600 "$file"
    if ! grep -q "^$1=" "$file"; then
        printf '%s=%s\n' "$1" "$(openssl rand -hex 16)" >> "$file"
    fi
    grep "^$1=" "$file" | head -1 | cut -d= -f2-
}

make_certificates() {  # a local CA, a server certificate for 127.0.0.1/localhost and a client certificate
    local tls="$SECURE_DIR/tls"
    [ -f "$tls/client.pem" ] && return 0
    need openssl openssl
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=govcrawl local CA" \
        -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
    local name
    for name in server client; do
        openssl req -newkey rsa:2048 -nodes -subj "/CN=govcrawl local $name" \
            -keyout "$tls/$name.key" -out "$tls/$name.csr" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=%s\n' \
            "$([ "$name" = server ] && echo serverAuth || echo clientAuth)" > "$tls/$name.ext"
        openssl x509 -req -in "$tls/$name.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
            -days 3650 -extfile "$tls/$name.ext" -out "$tls/$name.pem" 2>/dev/null
    done
    chmod 644 "$tls"/*.pem && chmod 640 "$tls"/*.key
    rm -f "$tls"/*.csr "$tls"/*.ext
}

secure_redis_ping() {
    timeout 3 redis-cli --tls --cacert "$SECURE_DIR/tls/ca.pem" -h 127.0.0.1 -p "$SECURE_REDIS_PORT" \
        --user govcrawl-admin --pass "$(secure_value REDIS_ADMIN_PASSWORD)" --no-auth-warning ping 2>/dev/null \
        | grep -q PONG
}

start_secure_redis() {
    need redis-server redis-server
    local dir="$SECURE_DIR/redis"
    mkdir -p "$dir"
    if pid_alive "$dir/redis.pid" && secure_redis_ping; then
        log "secured redis already running on 127.0.0.1:$SECURE_REDIS_PORT (TLS)"; return 0
    fi
    need_free_port "$SECURE_REDIS_PORT" "secured redis" GOVCRAWL_LOCAL_SECURE_REDIS_PORT
    make_certificates
    # The default user is off; govcrawl's user reaches only govcrawl:* keys and no dangerous command
    # (FLUSHALL, CONFIG, DEBUG, KEYS, ...); the admin user is for operators and the tests' cleanup.
    (umask 077; {
        echo "user default off"
        echo "user govcrawl on >$(secure_value REDIS_PASSWORD) ~govcrawl:* resetchannels +@all -@dangerous"
        echo "user govcrawl-admin on >$(secure_value REDIS_ADMIN_PASSWORD) ~* &* +@all"
    } > "$dir/users.acl")
    setsid redis-server --bind 127.0.0.1 --port 0 --tls-port "$SECURE_REDIS_PORT" --daemonize no \
        --tls-cert-file "$SECURE_DIR/tls/server.pem" --tls-key-file "$SECURE_DIR/tls/server.key" \
        --tls-ca-cert-file "$SECURE_DIR/tls/ca.pem" --tls-auth-clients optional \
        --aclfile "$dir/users.acl" \
        --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
        --appendonly yes --appendfsync everysec --save "" \
        --hash-max-listpack-entries 4096 --hash-max-listpack-value 64 </dev/null >/dev/null 2>&1 &
    wait_redis "$!" "$dir" "127.0.0.1:$SECURE_REDIS_PORT" secure_redis_ping
    log "secured redis up on 127.0.0.1:$SECURE_REDIS_PORT (TLS, ACL users)"
}

secure_es_healthy() {
    curl -fsS --max-time 5 --cacert "$SECURE_DIR/tls/ca.pem" -u "govcrawl-admin:$(secure_value ES_ADMIN_PASSWORD)" \
        "https://127.0.0.1:$SECURE_ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1
}

start_secure_es() {
    local dir="$SECURE_DIR/elasticsearch"
    if pid_alive "$dir/es.pid" && secure_es_healthy; then
        log "secured elasticsearch already running on 127.0.0.1:$SECURE_ES_PORT (HTTPS)"; return 0
    fi
    need_free_port "$SECURE_ES_PORT" "secured elasticsearch (HTTP)" GOVCRAWL_LOCAL_SECURE_ES_PORT
    need_free_port "$((SECURE_ES_PORT + 100))" "secured elasticsearch (transport port = HTTP port + 100)" \
        GOVCRAWL_LOCAL_SECURE_ES_PORT
    fetch_elasticsearch
    make_certificates
    mkdir -p "$dir/data" "$dir/logs" "$dir/config/certs" "$dir/tmp"
    cp -r "$ES_HOME/config/." "$dir/config/"
    cp "$SECURE_DIR/tls/ca.pem" "$SECURE_DIR/tls/server.pem" "$SECURE_DIR/tls/server.key" "$dir/config/certs/"
    cp "$ROOT/deploy/elasticsearch/roles.yml" "$dir/config/roles.yml"
    cat > "$dir/config/elasticsearch.yml" <<EOF
cluster.name: govcrawl-secure
node.name: govcrawl-secure-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: $SECURE_ES_PORT
transport.port: $((SECURE_ES_PORT + 100))
path.data: $dir/data
path.logs: $dir/logs
cluster.routing.allocation.disk.threshold_enabled: false
# Security on, as in production: users and roles from files (config/users, config/roles.yml), HTTPS.
xpack.security.enabled: true
xpack.security.authc.api_key.enabled: true
xpack.security.http.ssl.enabled: true
xpack.security.http.ssl.key: certs/server.key
xpack.security.http.ssl.certificate: certs/server.pem
xpack.security.http.ssl.certificate_authorities: [certs/ca.pem]
EOF
    local java_home; java_home="$(es_java_home)"
    local user password role
    : > "$dir/config/users"; : > "$dir/config/users_roles"
    for user in govcrawl-admin govcrawl; do
        if [ "$user" = govcrawl-admin ]; then role=superuser; password="$(secure_value ES_ADMIN_PASSWORD)"
        else role=govcrawl_writer; password="$(secure_value ES_PASSWORD)"; fi
        env "ES_JAVA_HOME=$java_home" "ES_PATH_CONF=$dir/config" \
            "$ES_HOME/bin/elasticsearch-users" useradd "$user" -p "$password" -r "$role" >/dev/null \
            || die "could not add the Elasticsearch user $user to $dir/config/users"
    done
    launch_es "$dir" "$SECURE_ES_PORT" secure_es_healthy
}

secure_env() {  # the export lines for a govcrawl process using the secured servers (govcrawl's users)
    local tls="$SECURE_DIR/tls"
    echo "export GOVCRAWL_REDIS_URL=rediss://127.0.0.1:$SECURE_REDIS_PORT/0"
    echo "export GOVCRAWL_REDIS_USERNAME=govcrawl"
    echo "export GOVCRAWL_REDIS_PASSWORD=$(secure_value REDIS_PASSWORD)"
    echo "export GOVCRAWL_REDIS_CA_CERTS=$tls/ca.pem"
    echo "export GOVCRAWL_ES_URL=https://127.0.0.1:$SECURE_ES_PORT"
    echo "export GOVCRAWL_ES_USER=govcrawl"
    echo "export GOVCRAWL_ES_PASSWORD=$(secure_value ES_PASSWORD)"
    echo "export GOVCRAWL_ES_CA_CERTS=$tls/ca.pem"
    # Not govcrawl settings: what an operator (or a test's cleanup) administers the servers with.
    echo "export GOVCRAWL_LOCAL_REDIS_ADMIN_PASSWORD=$(secure_value REDIS_ADMIN_PASSWORD)"
    echo "export GOVCRAWL_LOCAL_ES_ADMIN_PASSWORD=$(secure_value ES_ADMIN_PASSWORD)"
    echo "export GOVCRAWL_LOCAL_TLS_DIR=$tls"
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

tools() {  # the command-line tools the tests call: promtool, amtool, chromium, docker-compose, kustomize
    need promtool prometheus
    need amtool prometheus-alertmanager
    need chromium chromium
    need docker-compose docker-compose   # `docker compose config` needs no engine (tests/test_deploy.py)
    need_kustomize
}

KUSTOMIZE_MODULE="sigs.k8s.io/kustomize/kustomize/v5@v5.5.0"

need_kustomize() {  # kubectl's built-in Kustomize, or kustomize itself, built from its Go module
    command -v kubectl >/dev/null 2>&1 && return 0
    command -v kustomize >/dev/null 2>&1 && return 0
    command -v go >/dev/null 2>&1 \
        || die "kustomize is missing: install kubectl, or Go (then run scripts/services.sh tools again)"
    log "kustomize is missing: building $KUSTOMIZE_MODULE with go install into ${GOBIN:-/usr/local/bin}"
    GOBIN="${GOBIN:-/usr/local/bin}" go install "$KUSTOMIZE_MODULE" \
        || die "go install $KUSTOMIZE_MODULE failed: install kubectl or kustomize and run again"
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
    start-secure) start_secure_redis; start_secure_es ;;
    stop-secure)
        stop_pidfile "secured redis" "$SECURE_DIR/redis/redis.pid"
        stop_pidfile "secured elasticsearch" "$SECURE_DIR/elasticsearch/es.pid"
        ;;
    secure-env) secure_env ;;
    env)
        redis_local && echo "export GOVCRAWL_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
        es_local && echo "export GOVCRAWL_ES_URL=http://127.0.0.1:$ES_PORT"
        true
        ;;
    *) echo "usage: $0 start|stop|status|env|tools|restart-redis|start-secure|stop-secure|secure-env" >&2; exit 2 ;;
esac
