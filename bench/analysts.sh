#!/usr/bin/env bash
# Latencies of the analysts' requests on a generated portfolio, on SQLite and PostgreSQL.
#
#   bench/analysts.sh                                   # 100,000 startups, 10,000,000 observations
#   STARTUPS=2000 OBSERVATIONS=200000 bench/analysts.sh # a quick run
#   bench/analysts.sh --startups 2000 --observations 200000 --backends sqlite --requests 50
#
# For each backend: builds the release binary, generates a fresh database
# (`betadata generate`, timed by /usr/bin/time -v: elapsed and peak RSS), starts
# `betadata serve` on a free loopback port, then times sequential requests over one
# keep-alive connection (curl, `time_total`): WARMUP requests first, not counted, then
# REQUESTS timed ones; prints p50/p90/p99/max in ms and a Markdown table with the goals.
# PostgreSQL is used when `psql -h $PGHOST -U $PGUSER` answers: a database
# betadata_bench_<pid> is created and dropped again on exit.
#
# Environment (or the matching --flag): STARTUPS, OBSERVATIONS, SEED, REQUESTS, WARMUP,
# BACKENDS ("sqlite postgres"), DEEP_PAGES (pages of 1000 walked to reach the deep page),
# WORKERS (HTTP workers of the server, default: its own default, the number of cores),
# MEASURE_BUDGET (60: seconds one request's timing may take; slower requests are timed fewer
# times),
# PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), RUST_LOG (warn: no line per request).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

STARTUPS=${STARTUPS:-100000}
OBSERVATIONS=${OBSERVATIONS:-10000000}
SEED=${SEED:-1}
REQUESTS=${REQUESTS:-200}
WARMUP=${WARMUP:-20}
BACKENDS=${BACKENDS:-sqlite postgres}
DEEP_PAGES=${DEEP_PAGES:-50}
WORKERS=${WORKERS:-}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGCONNECT_TIMEOUT=5
export RUST_LOG=${RUST_LOG:-warn}

# Time limits, in seconds.
GENERATE_LIMIT=${GENERATE_LIMIT:-3600}
START_LIMIT=60
REQUEST_LIMIT=60
MEASURE_BUDGET=${MEASURE_BUDGET:-60}

while [[ $# -gt 0 ]]; do
    case "$1" in
    --startups) STARTUPS=$2 ;;
    --observations) OBSERVATIONS=$2 ;;
    --seed) SEED=$2 ;;
    --requests) REQUESTS=$2 ;;
    --warmup) WARMUP=$2 ;;
    --backends) BACKENDS=$2 ;;
    --deep-pages) DEEP_PAGES=$2 ;;
    --workers) WORKERS=$2 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "unknown argument: $1 (see --help)" >&2
        exit 2
        ;;
    esac
    shift 2
done

BIN=target/release/betadata
WORK=$(mktemp -d -t betadata-bench.XXXXXX)
PG_DB=betadata_bench_$$
SERVER_PID=
PG_CREATED=

cleanup() {
    stop_server
    if [[ -n $PG_CREATED ]]; then
        psql -q -d postgres -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}

section() { printf '\n## %s\n\n' "$*"; }

# json EXPRESSION: evaluates a Python expression over the JSON document `d` read from stdin.
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# get PATH: the body of one request to the server.
get() { curl -sS --max-time "$REQUEST_LIMIT" "$BASE$1"; }

# timed PATH COUNT: COUNT sequential requests to PATH over one connection; prints
# "<http status> <seconds>" per request.
timed() {
    local path=$1 count=$2 config=$WORK/curl.conf
    if ((count == 0)); then return; fi
    : >"$config"
    for ((i = 0; i < count; i++)); do
        printf 'url = "%s%s"\noutput = "/dev/null"\n' "$BASE" "$path" >>"$config"
    done
    curl -sS --max-time "$REQUEST_LIMIT" -K "$config" -w '%{http_code} %{time_total}\n'
}

# measure LABEL PATH GOAL_MS: warms up, times REQUESTS requests and adds a row to the table;
# GOAL_MS is the p50 goal, or "-" for none. A 404 is reported as "not available". A request
# so slow that the run would exceed MEASURE_BUDGET seconds is timed fewer times (at least 5).
measure() {
    local label=$1 path=$2 goal=$3 status seconds
    read -r status seconds < <(curl -sS --max-time "$REQUEST_LIMIT" -o /dev/null \
        -w '%{http_code} %{time_total}\n' "$BASE$path")
    if [[ $status == 404 ]]; then
        echo "$label: $path answered 404: not available"
        ROWS+=("| $label | \`$path\` | | not available (404) | | | | $(goal_text "$goal") | n/a |")
        return
    fi
    if [[ $status != 200 ]]; then
        echo "$label: $path answered $status" >&2
        ROWS+=("| $label | \`$path\` | | HTTP $status | | | | $(goal_text "$goal") | FAIL |")
        return
    fi
    read -r status seconds < <(curl -sS --max-time "$REQUEST_LIMIT" -o /dev/null \
        -w '%{http_code} %{time_total}\n' "$BASE$path")
    local requests=$REQUESTS warmup=$WARMUP
    if python3 -c 'import sys; sys.exit(not float(sys.argv[1]) * (int(sys.argv[2]) + int(sys.argv[3])) > float(sys.argv[4]))' \
        "$seconds" "$REQUESTS" "$WARMUP" "$MEASURE_BUDGET"; then
        requests=$(python3 -c 'import sys; print(max(5, int(float(sys.argv[2]) / float(sys.argv[1]))))' "$seconds" "$MEASURE_BUDGET")
        warmup=0
        echo "$label: ${seconds}s a request: timing $requests requests (no more warm-up) to stay within ${MEASURE_BUDGET}s"
    fi
    timed "$path" "$warmup" >/dev/null
    local stats
    # Nearest-rank percentiles of the times, in ms; the verdict compares p50 with the goal.
    stats=$(timed "$path" "$requests" | python3 -c '
import math, sys
goal = sys.argv[1]
rows = [line.split() for line in sys.stdin if line.strip()]
bad = sum(1 for status, _ in rows if status != "200")
ms = sorted(float(t) * 1000 for _, t in rows)
rank = lambda p: ms[max(0, math.ceil(p * len(ms)) - 1)]
verdict = "FAIL" if bad else "-" if goal == "-" else "PASS" if rank(0.5) < float(goal) else "FAIL"
print(len(ms), bad, *("%.2f" % rank(p) for p in (0.5, 0.9, 0.99, 1.0)), verdict)' "$goal")
    local n bad p50 p90 p99 max verdict
    read -r n bad p50 p90 p99 max verdict <<<"$stats"
    printf '%-28s n=%s non-200=%s p50=%s p90=%s p99=%s max=%s ms %s\n' \
        "$label" "$n" "$bad" "$p50" "$p90" "$p99" "$max" "$verdict"
    local shown=$path
    if ((${#shown} > 90)); then shown="${shown:0:87}…"; fi
    ROWS+=("| $label | \`$shown\` | $n | $p50 | $p90 | $p99 | $max | $(goal_text "$goal") | $verdict |")
}

goal_text() { if [[ $1 == - ]]; then echo "-"; else echo "p50 < $1 ms"; fi; }

# The metric with the most observations, and how many: "<id> <count>".
top_metric() {
    local sql="SELECT metric_id, COUNT(*) FROM observations GROUP BY metric_id ORDER BY 2 DESC, 1 LIMIT 1"
    case $1 in
    sqlite) python3 -c 'import sqlite3, sys; print(*sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone())' "$DB_PATH" "$sql" ;;
    postgres) psql -At -F ' ' -d "$PG_DB" -c "$sql" ;;
    esac
}

run_backend() {
    local backend=$1 url
    case $backend in
    sqlite)
        DB_PATH=$WORK/bench.db
        url=$DB_PATH
        ;;
    postgres)
        if ! psql -q -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
            section "postgres: skipped"
            echo "psql -h $PGHOST -U $PGUSER does not answer: PostgreSQL not measured."
            return
        fi
        psql -q -d postgres -c "CREATE DATABASE $PG_DB" >/dev/null
        PG_CREATED=1
        url="postgres://$PGUSER@$PGHOST:$PGPORT/$PG_DB"
        ;;
    *)
        echo "unknown backend: $backend" >&2
        return 1
        ;;
    esac

    section "$backend: generate $STARTUPS startups, $OBSERVATIONS observations (seed $SEED)"
    echo "\$ $BIN --database <$backend db> generate --startups $STARTUPS --observations $OBSERVATIONS --seed $SEED"
    timeout "$GENERATE_LIMIT" /usr/bin/time -v -o "$WORK/time.txt" \
        "$BIN" --database "$url" generate --startups "$STARTUPS" --observations "$OBSERVATIONS" --seed "$SEED"
    local elapsed rss
    elapsed=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$WORK/time.txt")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
    echo "generate: elapsed $elapsed (h:mm:ss or m:ss), peak RSS $((rss / 1024)) MiB"
    if [[ $backend == sqlite ]]; then
        echo "database file: $(du -h "$DB_PATH" | cut -f1)"
    else
        echo "database size: $(psql -At -d "$PG_DB" -c "SELECT pg_size_pretty(pg_database_size('$PG_DB'))")"
    fi

    local port
    port=$(free_port)
    BASE="http://127.0.0.1:$port"
    local serve=("$BIN" --database "$url" serve --bind "127.0.0.1:$port")
    if [[ -n $WORKERS ]]; then serve+=(--workers "$WORKERS"); fi
    "${serve[@]}" >"$WORK/serve-$backend.log" 2>&1 &
    SERVER_PID=$!
    local waited=0
    until curl -sf --max-time 2 -o /dev/null "$BASE/health"; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null || ((waited >= START_LIMIT * 10)); then
            echo "the server did not answer /health:" >&2
            cat "$WORK/serve-$backend.log" >&2
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done

    section "$backend: requests ($WARMUP warm-up, then $REQUESTS timed, sequential, one connection)"
    # The incubator hosting the most startups, found through the API.
    local incubator='' most=-1 id total
    for id in $(get "/api/v1/incubators?page_size=1000" | json '" ".join(i["id"] for i in d["data"])'); do
        total=$(get "/api/v1/startups?incubator=$id&page_size=1" | json 'd["meta"]["total"]')
        if ((total > most)); then incubator=$id most=$total; fi
    done
    local filtered="/api/v1/startups?phase=construction&incubator=$incubator&page_size=20"
    echo "incubator: $incubator ($most startups; $(get "$filtered" | json 'd["meta"]["total"]') in construction)"

    # A page deep in the name order, reached by following links.next.
    local next="/api/v1/startups?sort=name&page_size=1000&fields=id" walked=0
    while ((walked < DEEP_PAGES)) && [[ -n $next ]]; do
        next=$(get "$next" | json '(d["links"]["next"] or "").split("://", 1)[-1].partition("/")[2]')
        next=${next:+/$next}
        walked=$((walked + 1))
    done
    local deep=''
    if [[ -n $next ]]; then
        deep=$(python3 -c '
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1]); q = [(k, v) for k, v in u.parse_qsl(p.query) if k != "fields"]
print(p.path + "?" + u.urlencode([(k, "20" if k == "page_size" else v) for k, v in q]))' "$next")
        echo "deep page: after $((walked * 1000)) startups in name order"
    fi

    local metric count
    read -r metric count < <(top_metric "$backend")
    echo "monthly aggregation: metric $metric, $count observations"

    ROWS=()
    measure "filtered page (20 rows)" "$filtered" 5
    measure "first page, unfiltered" "/api/v1/startups?page_size=20" -
    if [[ -n $deep ]]; then
        measure "deep page, sort=name" "$deep" -
    fi
    measure "stats" "/api/v1/stats" 50
    measure "monthly aggregation" "/api/v1/metrics/$metric/observations?granularity=month&agg=sum" 100
    measure "search q=emploi" "/api/v1/startups?q=emploi" -
    stop_server

    section "$backend: results"
    echo "$STARTUPS startups, $OBSERVATIONS observations; generated in $elapsed, peak RSS $((rss / 1024)) MiB;"
    echo "monthly aggregation over the $count observations of \`$metric\`; latencies in ms."
    echo
    echo "| request | path | n | p50 | p90 | p99 | max | goal | result |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"
    printf '%s\n' "${ROWS[@]}"

    if [[ $backend == postgres ]]; then
        psql -q -d postgres -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null
        PG_CREATED=
    fi
}

section "build"
cargo build --release --quiet
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory; $(rustc --version)"
for backend in $BACKENDS; do
    run_backend "$backend"
done
