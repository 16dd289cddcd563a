#!/usr/bin/env bash
# Throughput and latency of the read paths with wrk at 32 connections, for one or more server
# binaries on one database: the response cache's before/after figures (BENCHMARKS.md).
#
#   bench/response_cache.sh DATABASE BINARY[=EXTRA_FLAGS]...
#   bench/response_cache.sh /tmp/s1k.db /tmp/before target/release/betadata target/release/betadata=--cache-mib=0
#
# DATABASE is a SQLite file or a postgres:// URL, filled beforehand by `betadata generate`.
# For each binary: starts `betadata serve` on a free loopback port (2 workers, RUST_LOG=warn),
# warms each path up with one request, then runs `wrk -t2 -c32 -d$DURATION --latency` on each
# path and prints requests/s, transfer/s, p50 and p99, the server's CPU time an answer (user and
# system, from /proc/PID/stat: less moved by a busy machine than requests/s), then the server's
# peak RSS (VmHWM).
# Environment: DURATION (10s), INCUBATOR (dinum), PHASE (construction).
set -euo pipefail

DATABASE=$1
shift
DURATION=${DURATION:-10s}
INCUBATOR=${INCUBATOR:-dinum}
PHASE=${PHASE:-construction}
export RUST_LOG=warn

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The CPU time process PID has used, in clock ticks (user + system).
cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$1/stat"
}

SERVER_PID=
stop() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}
trap stop EXIT

for spec in "$@"; do
    binary=${spec%%=*}
    flags=()
    if [[ $spec == *=* ]]; then flags=("${spec#*=}"); fi
    port=$(free_port)
    base=http://127.0.0.1:$port
    "$binary" --database "$DATABASE" serve --bind "127.0.0.1:$port" --workers 2 "${flags[@]}" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        curl -fs -o /dev/null "$base/health" && break
        sleep 0.2
    done
    item=$(curl -fs "$base/api/v1/startups?page_size=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
    paths=(
        "/api/v1/startups?incubator=$INCUBATOR&phase=$PHASE&page_size=20"
        "/api/v1/startups/$item"
        "/api/v1/startups?page_size=1000"
        "/compat/v2.7/startups.json"
        "/api/v1/startups?format=csv"
    )
    echo "## $binary ${flags[*]:-} on $DATABASE"
    printf '| path | bytes | req/s | transfer/s | p50 | p99 | server CPU an answer |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n'
    for path in "${paths[@]}"; do
        bytes=$(curl -fs -o /dev/null -w '%{size_download}' "$base$path")
        before=$(cpu_ticks "$SERVER_PID")
        out=$(wrk -t2 -c32 -d"$DURATION" --latency "$base$path")
        ticks=$(($(cpu_ticks "$SERVER_PID") - before))
        answers=$(awk '/requests in/ {print $1}' <<<"$out")
        cpu=$(python3 -c 'import sys; print("%.1f µs" % (int(sys.argv[1]) / int(sys.argv[2]) / int(sys.argv[3]) * 1e6))' "$ticks" "$(getconf CLK_TCK)" "$answers")
        rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
        transfer=$(awk '/^Transfer\/sec/ {print $2}' <<<"$out")
        p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
        p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
        errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' || true)
        printf '| `%s` | %s | %s | %s | %s | %s | %s |%s\n' "$path" "$bytes" "$rps" "$transfer" "$p50" "$p99" "$cpu" "${errors:+ $errors}"
    done
    echo "peak RSS: $(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status")"
    stop
done
