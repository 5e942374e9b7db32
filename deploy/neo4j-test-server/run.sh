#!/usr/bin/env bash
# A Neo4j Community 5.26 server for tests and development (embedded, Bolt on 127.0.0.1).
#   run.sh start    build if needed (Maven, cached in ~/.m2), start, wait for the ready line
#   run.sh stop     stop it cleanly (SIGTERM), then forcibly after a timeout
#   run.sh status   say whether it runs
# Settings (environment): NEO4J_TEST_PORT (7687), NEO4J_TEST_DATA (target/data here),
# NEO4J_TEST_HEAP (1g), NEO4J_TEST_PAGECACHE_MB (256), NEO4J_TEST_TIMEOUT (seconds, 180).
# Authentication is off: any user and password are accepted.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
target="$here/target"
port="${NEO4J_TEST_PORT:-7687}"
data="${NEO4J_TEST_DATA:-$target/data}"
heap="${NEO4J_TEST_HEAP:-1g}"
pagecache_mb="${NEO4J_TEST_PAGECACHE_MB:-256}"
timeout="${NEO4J_TEST_TIMEOUT:-180}"
pidfile="$target/neo4j-$port.pid"
log="$target/neo4j-$port.log"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"

show_log() {
    echo "--- $log (last 60 lines)" >&2
    tail -n 60 "$log" >&2
    if [ -f "$data/logs/debug.log" ]; then
        echo "--- $data/logs/debug.log (last 30 lines)" >&2
        tail -n 30 "$data/logs/debug.log" >&2
    fi
}

running_pid() {
    [ -f "$pidfile" ] || return 1
    local pid
    pid="$(cat "$pidfile")"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; else return 1; fi
}

build() {
    local stamp="$target/.built"
    if [ -f "$stamp" ] && [ -z "$(find "$here/pom.xml" "$here/src" -newer "$stamp" -print -quit)" ]; then
        return 0
    fi
    if ! command -v mvn >/dev/null 2>&1; then
        echo "neo4j test server: Maven (mvn) is not installed; install it (apt-get install maven) and a JDK 17" >&2
        return 1
    fi
    echo "neo4j test server: building with Maven (the first build downloads ~120 MB into ~/.m2)"
    (cd "$here" && mvn -B -q -Dstyle.color=never package) || { echo "neo4j test server: the Maven build failed" >&2; return 1; }
    touch "$stamp"
}

start() {
    if pid="$(running_pid)"; then
        echo "neo4j test server already running (pid $pid) on bolt://127.0.0.1:$port"
        return 0
    fi
    command -v "$java_bin" >/dev/null 2>&1 || { echo "neo4j test server: no java found; install a JDK 17 (apt-get install openjdk-17-jdk-headless)" >&2; return 1; }
    build
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "neo4j test server: port $port is already in use by another process; set NEO4J_TEST_PORT" >&2
        return 1
    fi
    mkdir -p "$data"
    : >"$log"
    nohup "$java_bin" -Xms256m "-Xmx$heap" -XX:+ExitOnOutOfMemoryError \
        --add-opens=java.base/java.nio=ALL-UNNAMED \
        --add-opens=java.base/java.io=ALL-UNNAMED \
        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
        -Dio.netty.tryReflectionSetAccessible=true \
        "-Dpagecache.mb=$pagecache_mb" \
        -cp "$target/classes:$target/lib/*" congming.neo4j.TestServer "$data" "$port" \
        >"$log" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$pidfile"
    local waited=0
    while ! grep -q "neo4j test server ready on" "$log"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "neo4j test server: the process exited before it was ready" >&2
            show_log
            rm -f "$pidfile"
            return 1
        fi
        if [ "$waited" -ge "$timeout" ]; then
            echo "neo4j test server: not ready after ${timeout}s" >&2
            show_log
            stop >&2
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    grep "neo4j test server ready on" "$log"
    echo "  data: $data, log: $log, pid $pid; stop it with: $0 stop"
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$pidfile"
        echo "neo4j test server is not running (port $port)"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge 60 ]; then
            echo "neo4j test server: still running 60s after SIGTERM; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done
    rm -f "$pidfile"
    echo "neo4j test server stopped (pid $pid)"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) if pid="$(running_pid)"; then echo "running (pid $pid) on bolt://127.0.0.1:$port"; else echo "not running"; exit 1; fi ;;
    build) build ;;
    *) echo "usage: $0 start|stop|status|build" >&2; exit 2 ;;
esac
