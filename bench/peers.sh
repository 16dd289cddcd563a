#!/usr/bin/env bash
# betadata against two peers, in one run: Datasette serving the same SQLite file, and nginx
# serving as static files the very bytes betadata answered (a server that does no work).
#
#   bench/peers.sh                                  # ~1,000 and 100,000 startups, SQLite and PostgreSQL
#   STARTUPS=1000 SIZES=small bench/peers.sh        # a quick run (about two minutes)
#   bench/peers.sh --sizes small --backends sqlite --duration 3
#   BIN=target/debug/betadata SIZES=small DURATION=2 bench/peers.sh   # try the script without a release build
#
# For each size (SIZES: "small" is STARTUPS startups, "large" is LARGE_STARTUPS) it generates
# a fresh portfolio with `betadata generate` (timed by /usr/bin/time -v) in a fresh SQLite file
# and, when PostgreSQL answers, in a fresh database betadata_peers_<pid>_<size>, dropped on exit.
# It picks the requests below through betadata's API and keeps, as files, the bytes betadata's
# SQLite server answered to each. Then, for each request in turn, one server at a time, each
# on a free loopback port and started afresh (so that a peak RSS belongs to that request):
#
#   1. `betadata serve` on SQLite;
#   2. nginx (a process of its own with a temporary config, pid and logs; not the system service;
#      as user nobody when started by root) serving those files, checked byte for byte first;
#   3. Datasette (`datasette serve -i`, immutable, facet suggestions off) on the same SQLite
#      file, for the requests its API has an equivalent of (column filters, primary key, FTS
#      search, CSV stream);
#   4. `betadata serve` on PostgreSQL.
#
# Back to back, so that each ratio compares figures taken seconds apart on a machine whose load
# may change. With ROUNDS above 1, the servers take their turns again, ROUNDS times over, for
# each request: the report compares medians over the rounds, and PostgreSQL ÷ SQLite is the
# median of each round's ratio (on a shared machine one round can move a ratio by 40 %). Each request is first fetched once (status 200 and size checked), then sent by
# wrk for WARMUP seconds (not counted; then the server is let finish what it was answering),
# then for DURATION seconds at CONNECTIONS connections (again for 5 × DURATION when fewer than
# MIN_ANSWERS answers came back, except for whole exports):
# requests/s, p50/p99 (wrk's histogram), MB/s (bytes received, headers included, answers still
# streaming at the end too; MB = 10^6 bytes), the server's peak RSS during those seconds (VmHWM,
# reset through /proc/PID/clear_refs before the phase; the sum over nginx's processes) and the
# CPU time the server used (from /proc/PID/stat: % of one core, and ms per answer; PostgreSQL's
# own processes are not counted). The 1-minute load average is recorded with every row: the
# machine may be shared. Finally bench/peers_report.py prints the table, the ratios (exports
# compared on MB/s) and a PASS/FAIL line per target of issue 7.
#
# The requests (the incubator and the startup are found through the API):
#   page    /api/v1/startups?phase=construction&incubator=<incubator with most startups>&page_size=20
#   item    /api/v1/startups/<first startup of that page>
#   search  /api/v1/startups?q=emploi&page_size=20
#   stats   /api/v1/stats
#   csv     /api/v1/startups?format=csv            (the whole portfolio, streamed)
#   csv-1   the same at one connection             (the rate of one download)
#   ndjson  /api/v1/startups?format=ndjson         (the whole portfolio as JSON lines)
#   v27     /compat/v2.7/startups.json             (the whole portfolio as one JSON document)
# Datasette: page = startups.json?incubator_id=…&latest_phase_id=construction&
# latest_phase_start__lte=<today>&_size=20 (the same rows: the harness checks the counts),
# item = startups/<id>.json, search = startups.json?_search=emploi*&_searchmode=raw&_size=20
# (the same FTS5 table, prefix match as betadata's), csv = startups.csv?_stream=on&_size=max.
#
# Environment (or the matching --flag): SIZES ("small large"), ROUNDS (1), STARTUPS (1000), LARGE_STARTUPS
# (100000), OBSERVATIONS_PER_STARTUP (10), SEED (1), BACKENDS ("sqlite postgres"), PEERS
# ("nginx datasette"; they need the sqlite backend), DURATION (3 s; 10 gives steadier
# figures), WARMUP (1 s), MIN_ANSWERS (20), CONNECTIONS (32), THREADS (wrk threads, 2),
# WORKERS (the server's HTTP workers; default its own, the number of cores), RENDERED (1: serve
# betadata with its response cache and export spool off, `--cache-mib 0 --spool-mib 0`, so
# that every answer is rendered: what issue 18 compares; the report then checks issue 18's
# goals rather than issue 7's targets), STRICT (1: exit 1
# when a target fails), BIN (a betadata binary; default: build target/release/betadata),
# PGHOST (127.0.0.1; a folder such as /var/run/postgresql is the server's socket in it, as
# README.md advises for a server on the same machine), PGPORT (5432), PGUSER (postgres), DATASETTE_VENV
# (~/.cache/betadata-bench-venv), DATASETTE_SPEC (datasette==0.65.5).
#
# Tools it installs when missing: wrk and nginx with apt-get (as root, or through sudo; curl,
# ss and /usr/bin/time too if need be), and Datasette with pip in DATASETTE_VENV, outside the
# repository. Everything else it writes goes to a temporary folder deleted on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
HERE=$PWD/bench

SIZES=${SIZES:-small large}
ROUNDS=${ROUNDS:-1}
STARTUPS=${STARTUPS:-1000}
LARGE_STARTUPS=${LARGE_STARTUPS:-100000}
OBSERVATIONS_PER_STARTUP=${OBSERVATIONS_PER_STARTUP:-10}
SEED=${SEED:-1}
BACKENDS=${BACKENDS:-sqlite postgres}
PEERS=${PEERS:-nginx datasette}
DURATION=${DURATION:-3}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-}
RENDERED=${RENDERED:-}
STRICT=${STRICT:-0}
DATASETTE_VENV=${DATASETTE_VENV:-$HOME/.cache/betadata-bench-venv}
DATASETTE_SPEC=${DATASETTE_SPEC:-datasette==0.65.5}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGCONNECT_TIMEOUT=5
export RUST_LOG=${RUST_LOG:-warn}

# Time limits, in seconds.
GENERATE_LIMIT=${GENERATE_LIMIT:-1800}
START_LIMIT=60
STOP_LIMIT=5
REQUEST_LIMIT=120
# wrk counts a request as timed out after this; after the warm-up the server is given up to
# SETTLE_LIMIT to finish what it was still answering; a request with fewer than MIN_ANSWERS
# answers in DURATION is measured again for 5 × DURATION.
WRK_TIMEOUT=30
SETTLE_LIMIT=30
MIN_ANSWERS=${MIN_ANSWERS:-20}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
    if [[ $1 == -h || $1 == --help ]]; then
        usage
        exit 0
    fi
    if [[ $# -lt 2 ]]; then
        echo "$1 needs a value (see --help)" >&2
        exit 2
    fi
    case "$1" in
    --sizes) SIZES=$2 ;;
    --rounds) ROUNDS=$2 ;;
    --startups) STARTUPS=$2 ;;
    --large-startups) LARGE_STARTUPS=$2 ;;
    --observations-per-startup) OBSERVATIONS_PER_STARTUP=$2 ;;
    --seed) SEED=$2 ;;
    --backends) BACKENDS=$2 ;;
    --peers) PEERS=$2 ;;
    --duration) DURATION=$2 ;;
    --warmup) WARMUP=$2 ;;
    --min-answers) MIN_ANSWERS=$2 ;;
    --connections) CONNECTIONS=$2 ;;
    --threads) THREADS=$2 ;;
    --workers) WORKERS=$2 ;;
    --rendered) RENDERED=$2 ;;
    *)
        echo "unknown argument: $1 (see --help)" >&2
        exit 2
        ;;
    esac
    shift 2
done

fail() {
    echo "bench/peers.sh: $*" >&2
    exit 2
}

# Every bad value is named before anything is generated.
for name in ROUNDS STARTUPS LARGE_STARTUPS OBSERVATIONS_PER_STARTUP SEED DURATION CONNECTIONS THREADS MIN_ANSWERS; do
    [[ ${!name} =~ ^[0-9]+$ ]] || fail "$name must be a whole number, not '${!name}'"
done
for name in ROUNDS STARTUPS LARGE_STARTUPS DURATION CONNECTIONS THREADS; do
    ((${!name} > 0)) || fail "$name must be at least 1"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || fail "WARMUP must be a whole number of seconds, not '$WARMUP'"
[[ -z $WORKERS || $WORKERS =~ ^[1-9][0-9]*$ ]] || fail "WORKERS must be a positive number, not '$WORKERS'"
[[ -z $RENDERED || $RENDERED == 1 ]] || fail "RENDERED must be 1 or empty, not '$RENDERED'"
for size in $SIZES; do
    [[ $size == small || $size == large ]] || fail "SIZES: '$size' is not a size; allowed: small, large"
done
for backend in $BACKENDS; do
    [[ $backend == sqlite || $backend == postgres ]] || fail "BACKENDS: '$backend' is not a backend; allowed: sqlite, postgres"
done
for peer in $PEERS; do
    [[ $peer == nginx || $peer == datasette ]] || fail "PEERS: '$peer' is not a peer; allowed: nginx, datasette"
done
[[ -n $SIZES ]] || fail "SIZES is empty; allowed: small, large"
[[ -n $BACKENDS ]] || fail "BACKENDS is empty; allowed: sqlite, postgres"
if ((THREADS > CONNECTIONS)); then THREADS=$CONNECTIONS; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/betadata-peers.XXXXXX")
# nginx may run as nobody: it must reach its config and the static files.
chmod 755 "$WORK"
RESULTS=$WORK/results.tsv
SERVER_PID=
PG_DB=

# stop_server: asks the server to stop; one that still runs STOP_LIMIT seconds later (a
# graceful shutdown waiting for exports whose clients are gone) is killed.
stop_server() {
    if [[ -z $SERVER_PID ]]; then return; fi
    kill "$SERVER_PID" 2>/dev/null || true
    local tries=0
    while kill -0 "$SERVER_PID" 2>/dev/null && ((tries < STOP_LIMIT * 10)); do
        sleep 0.1
        tries=$((tries + 1))
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "server $SERVER_PID still running ${STOP_LIMIT}s after SIGTERM: killed" >&2
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

cleanup() {
    stop_server
    if [[ -n $PG_DB ]]; then dropdb --if-exists "$PG_DB" >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section() { printf '\n## %s\n\n' "$*"; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# json EXPRESSION: evaluates a Python expression over the JSON document `d` read from stdin.
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

get() { curl -sS --fail --max-time "$REQUEST_LIMIT" "$1"; }

load1() { cut -d' ' -f1 /proc/loadavg; }

# --- Tools -------------------------------------------------------------------------------

as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        fail "'$*' needs root, and sudo is missing: install $* by hand"
    fi
}

APT_UPDATED=
apt_install() {
    command -v apt-get >/dev/null || fail "$1 is missing and there is no apt-get to install it"
    echo "installing $* with apt-get"
    if [[ -z $APT_UPDATED ]]; then
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

NGINX=
install_tools() {
    command -v wrk >/dev/null || apt_install wrk
    command -v curl >/dev/null || apt_install curl
    command -v ss >/dev/null || apt_install iproute2
    [[ -x /usr/bin/time ]] || apt_install time
    if [[ $PEERS == *nginx* ]]; then
        NGINX=$(command -v nginx || true)
        if [[ -z $NGINX && -x /usr/sbin/nginx ]]; then NGINX=/usr/sbin/nginx; fi
        if [[ -z $NGINX ]]; then
            # The package's service is not used: nginx runs below with a config of its own.
            apt_install nginx
            NGINX=/usr/sbin/nginx
        fi
    fi
    if [[ $PEERS == *datasette* && ! -x $DATASETTE_VENV/bin/datasette ]]; then
        echo "installing $DATASETTE_SPEC in $DATASETTE_VENV"
        python3 -m venv "$DATASETTE_VENV"
        "$DATASETTE_VENV/bin/pip" install --quiet "$DATASETTE_SPEC"
    fi
    if [[ $BACKENDS == *postgres* ]]; then
        command -v createdb >/dev/null || apt_install postgresql-client
    fi
}

# --- Peak RSS -----------------------------------------------------------------------------

# reset_peak PID...: starts a new peak (VmHWM) for each process.
reset_peak() {
    local pid
    for pid in "$@"; do
        echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || PEAK_SINCE_START=1
    done
}

# peak_kb PID...: the sum of the processes' peak RSS, in kB.
peak_kb() {
    local pid total=0 kb
    for pid in "$@"; do
        kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        total=$((total + ${kb:-0}))
    done
    echo "$total"
}

CLOCK_TICKS=$(getconf CLK_TCK)

# cpu_ticks PID...: the CPU time the processes used so far (user and system), in clock ticks.
cpu_ticks() {
    local pid total=0 ticks
    for pid in "$@"; do
        # The fields after the command name, which may hold spaces: utime and stime are the
        # 12th and 13th.
        ticks=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}')
        total=$((total + ${ticks:-0}))
    done
    echo "$total"
}

# The processes whose memory counts: the server and its children (nginx's workers).
server_pids() {
    echo "$SERVER_PID"
    pgrep -P "$SERVER_PID" 2>/dev/null || true
}

# --- Measuring ----------------------------------------------------------------------------

# measure ENDPOINT SERVER BACKEND URL [CONNECTIONS]: checks that URL answers 200, warms up,
# then runs wrk for DURATION seconds and appends a row to RESULTS.
measure() {
    local endpoint=$1 server=$2 backend=$3 url=$4 connections=${5:-$CONNECTIONS}
    local status bytes
    read -r status bytes < <(curl -sS --max-time "$REQUEST_LIMIT" -o /dev/null \
        -w '%{http_code} %{size_download}\n' "$url")
    if [[ $status != 200 ]]; then
        echo "$server/$backend $endpoint: $url answered $status; not measured" >&2
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\tHTTP %s\t%s\t-\t-\t%s\n' \
            "$SIZE" "$COUNT" "$endpoint" "$server" "$backend" "$url" "$bytes" \
            "$status" "$(load1)" "$ROUND" >>"$RESULTS"
        return
    fi
    local threads=$THREADS
    if ((threads > connections)); then threads=$connections; fi
    local wrk=(wrk -t "$threads" -c "$connections" --timeout "${WRK_TIMEOUT}s")
    if ((WARMUP > 0)); then
        "${wrk[@]}" -d "${WARMUP}s" "$url" >/dev/null
        settle "$url"
    fi
    local pids
    mapfile -t pids < <(server_pids)
    local out summary cpu_before cpu_after seconds=$DURATION answers
    while true; do
        reset_peak "${pids[@]}"
        cpu_before=$(cpu_ticks "${pids[@]}")
        out=$("${wrk[@]}" -d "${seconds}s" -s "$HERE/wrk_summary.lua" "$url")
        cpu_after=$(cpu_ticks "${pids[@]}")
        summary=$(grep '^{' <<<"$out" | tail -n 1)
        [[ -n $summary ]] || fail "wrk printed no summary for $url:"$'\n'"$out"
        answers=$(json 'd["requests"]' <<<"$summary")
        # Too few answers for a p99: once more, longer (not for a whole export, whose MB/s
        # counts every byte, finished answer or not).
        if ((answers >= MIN_ANSWERS || seconds > DURATION)) || [[ $endpoint =~ ^(csv|ndjson|v27) ]]; then
            break
        fi
        echo "$endpoint $server/$backend: $answers answers in ${seconds}s; measuring again for $((DURATION * 5))s" >&2
        settle "$url"
        seconds=$((DURATION * 5))
    done
    local rss
    rss=$(peak_kb "${pids[@]}")
    python3 - "$summary" "$SIZE" "$COUNT" "$endpoint" "$server" "$backend" "$url" "$bytes" \
        "$connections" "$rss" "$(load1)" "$((cpu_after - cpu_before))" "$CLOCK_TICKS" "$ROUND" \
        >>"$RESULTS" <<'EOF'
import json, sys
s = json.loads(sys.argv[1])
size, count, endpoint, server, backend, url, size_bytes, connections, rss, load = sys.argv[2:12]
cpu_seconds = int(sys.argv[12]) / int(sys.argv[13])
round_number = sys.argv[14]
seconds = s["duration_us"] / 1e6
kinds = {"connect_errors": "connect", "read_errors": "read", "write_errors": "write",
         "status_errors": "HTTP status >= 400", "timeouts": "timeout"}
errors = sum(s[k] for k in kinds)
notes = ["%d %s" % (s[k], name) for k, name in kinds.items() if s[k]]
done = s["requests"] > 0
if not done:
    notes.append("no answer completed in %.0f s" % seconds)
row = [size, count, endpoint, server, backend, url, size_bytes, connections,
       "%.1f" % (s["requests"] / seconds),
       "%.2f" % (s["p50_us"] / 1000) if done else "-",
       "%.2f" % (s["p99_us"] / 1000) if done else "-",
       "%.1f" % (s["bytes"] / seconds / 1e6),
       "%.1f" % (int(rss) * 1024 / 1e6),
       str(errors), "; ".join(notes), load,
       "%.0f" % (cpu_seconds / seconds * 100),
       "%.3f" % (cpu_seconds * 1000 / s["requests"]) if done else "-",
       round_number]
print("\t".join(row))
EOF
    tail -n 1 "$RESULTS" | awk -F'\t' '{printf "%-7s %-10s %-9s %8s req/s  p50 %8s ms  p99 %8s ms  %7s MB/s  peak RSS %6s MB  CPU %4s %% (%s ms/req)  errors %s  load %s %s\n", $3, $4, $5, $9, $10, $11, $12, $13, $17, $18, $14, $16, $15}'
}

# settle URL: waits (at most SETTLE_LIMIT seconds) until the server holds no connection on the
# port of URL: the answers it was still writing to the last run's clients are over.
settle() {
    local port=${1#http://127.0.0.1:} tries=0
    port=${port%%/*}
    while (($(ss -Htn state established state close-wait "( sport = :$port )" | wc -l) > 0)); do
        if ((tries >= SETTLE_LIMIT * 10)); then
            echo "port $port still busy ${SETTLE_LIMIT}s after the run: measuring anyway" >&2
            return
        fi
        sleep 0.1
        tries=$((tries + 1))
    done
}

# wait_until URL LOG: waits until URL answers 200, or the server died, or START_LIMIT.
wait_until() {
    local url=$1 log=$2 tries=0
    until curl -sf --max-time 2 -o /dev/null "$url"; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null || ((tries >= START_LIMIT * 10)); then
            echo "the server did not answer $url:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.1
        tries=$((tries + 1))
    done
}

start_betadata() {
    local url=$1 log=$2 port
    port=$(free_port)
    BASE="http://127.0.0.1:$port"
    local serve=("$BIN" --database "$url" serve --bind "127.0.0.1:$port")
    if [[ -n $WORKERS ]]; then serve+=(--workers "$WORKERS"); fi
    if [[ -n $RENDERED ]]; then serve+=(--cache-mib 0 --spool-mib 0); fi
    "${serve[@]}" >"$log" 2>&1 &
    SERVER_PID=$!
    wait_until "$BASE/health" "$log"
}

# The requests of one size, by endpoint: betadata's paths (set by find_requests), the file
# nginx serves, and Datasette's closest request (set by datasette_requests), if any.
declare -A PATHS FILES DATASETTE
ENDPOINTS=(page item search stats csv csv-1 ndjson v27)

# find_requests: picks the incubator hosting the most startups and the first startup of its
# page in construction, through the API of the server at BASE.
find_requests() {
    local incubator='' most=-1 id total
    for id in $(get "$BASE/api/v1/incubators?page_size=1000" | json '" ".join(i["id"] for i in d["data"])'); do
        total=$(get "$BASE/api/v1/startups?incubator=$id&page_size=1" | json 'd["meta"]["total"]')
        if ((total > most)); then incubator=$id most=$total; fi
    done
    [[ -n $incubator ]] || fail "the generated portfolio has no incubator"
    INCUBATOR=$incubator
    PATHS[page]="/api/v1/startups?phase=construction&incubator=$incubator&page_size=20"
    ITEM=$(get "$BASE${PATHS[page]}" | json 'd["data"][0]["id"] if d["data"] else ""')
    [[ -n $ITEM ]] || fail "no startup of $incubator is in construction: no item to ask for"
    PATHS[item]="/api/v1/startups/$ITEM"
    PATHS[search]="/api/v1/startups?q=emploi&page_size=20"
    PATHS[stats]="/api/v1/stats"
    PATHS[csv]="/api/v1/startups?format=csv"
    PATHS[csv-1]="/api/v1/startups?format=csv"
    PATHS[ndjson]="/api/v1/startups?format=ndjson"
    PATHS[v27]="/compat/v2.7/startups.json"
    FILES=([page]=page.json [item]=item.json [search]=search.json [stats]=stats.json
        [csv]=csv.csv [csv-1]=csv.csv [ndjson]=ndjson.ndjson [v27]=v27.json)
}

# totals BACKEND: what the page and the search select on the server at BASE.
totals() {
    local page search
    page=$(get "$BASE${PATHS[page]}" | json 'd["meta"]["total"]')
    search=$(get "$BASE${PATHS[search]}" | json 'd["meta"]["total"]')
    echo "$1: incubator $INCUBATOR has $page startups in construction; item $ITEM; q=emploi: $search startups"
    if [[ $1 == sqlite ]]; then PAGE_TOTAL=$page SEARCH_TOTAL=$search; fi
}

# keep_answers: the bytes nginx will serve, one answer of the server at BASE for each request,
# after a first one that warms its caches; curl's rate is that of one download.
keep_answers() {
    mkdir -p "$STATIC"
    local endpoint speed file
    for endpoint in "${ENDPOINTS[@]}"; do
        [[ $endpoint == csv-1 ]] && continue
        file=$STATIC/${FILES[$endpoint]}
        curl -sS --fail --max-time "$REQUEST_LIMIT" -o /dev/null "$BASE${PATHS[$endpoint]}"
        speed=$(curl -sS --fail --max-time "$REQUEST_LIMIT" -o "$file" -w '%{speed_download}' \
            "$BASE${PATHS[$endpoint]}")
        printf '%-7s %12s bytes (one download: %.1f MB/s) %s\n' "$endpoint" "$(stat -c %s "$file")" \
            "$(python3 -c 'import sys; print(float(sys.argv[1]) / 1e6)' "$speed")" "${PATHS[$endpoint]}"
    done
}

# write_nginx_config: a throw-away nginx serving STATIC: loopback only, its own pid and logs.
write_nginx_config() {
    NGINX_DIR=$WORK/nginx-$SIZE
    NGINX_PORT=$(free_port)
    mkdir -p "$NGINX_DIR/tmp"
    cat >"$NGINX_DIR/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $NGINX_DIR/tmp/body;
    proxy_temp_path $NGINX_DIR/tmp/proxy;
    fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
    uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
    scgi_temp_path $NGINX_DIR/tmp/scgi;
    types {
        application/json json;
        text/csv csv;
        application/x-ndjson ndjson;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $STATIC;
    }
}
EOF
    if [[ $EUID -eq 0 ]]; then chown -R nobody "$NGINX_DIR"; fi
}

# start_nginx: nginx with the config above; not as root: with the rights of nobody, as any
# user's process would have.
start_nginx() {
    local run=("$NGINX" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log")
    if [[ $EUID -eq 0 ]]; then
        run=(setpriv --reuid=nobody --regid=nogroup --clear-groups "${run[@]}")
    fi
    "${run[@]}" >"$NGINX_DIR/stdout.log" 2>&1 &
    SERVER_PID=$!
    BASE="http://127.0.0.1:$NGINX_PORT"
    wait_until "$BASE/${FILES[page]}" "$NGINX_DIR/error.log"
}

# check_nginx: every file comes back from nginx byte for byte.
check_nginx() {
    local endpoint file
    start_nginx
    for endpoint in "${ENDPOINTS[@]}"; do
        [[ $endpoint == csv-1 ]] && continue
        file=$STATIC/${FILES[$endpoint]}
        get "$BASE/${FILES[$endpoint]}" >"$WORK/check"
        cmp -s "$file" "$WORK/check" || fail "nginx did not serve the bytes of $file"
        echo "$endpoint: nginx serves the same $(stat -c %s "$WORK/check") bytes as betadata"
    done
    stop_server
}

# start_datasette: Datasette, immutable, on DB_PATH; BASE is the database's URL.
start_datasette() {
    # Immutable mode reads the file alone: move what the WAL holds into it first.
    python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA wal_checkpoint(TRUNCATE)")' "$DB_PATH"
    local port
    port=$(free_port)
    "$DATASETTE_VENV/bin/datasette" serve -i "$DB_PATH" --metadata "$WORK/datasette.json" \
        --setting suggest_facets off -h 127.0.0.1 -p "$port" >"$WORK/datasette-$SIZE.log" 2>&1 &
    SERVER_PID=$!
    wait_until "http://127.0.0.1:$port/-/versions.json" "$WORK/datasette-$SIZE.log"
    BASE="http://127.0.0.1:$port/betadata"
}

# datasette_requests: Datasette's closest requests, checked to select the rows betadata's do.
datasette_requests() {
    # The search index keeps its content in `startups`; Datasette is told so, it does not
    # recognise `content = 'startups'` by itself.
    cat >"$WORK/datasette.json" <<'EOF'
{"databases": {"betadata": {"tables": {"startups": {"fts_table": "startups_search", "fts_pk": "rowid"}}}}}
EOF
    local today
    today=$(date -u +%F)
    DATASETTE=(
        [page]="/startups.json?incubator_id=$INCUBATOR&latest_phase_id=construction&latest_phase_start__lte=$today&_size=20"
        [item]="/startups/$ITEM.json"
        [search]="/startups.json?_search=emploi*&_searchmode=raw&_size=20"
        [csv]="/startups.csv?_stream=on&_size=max"
    )
    start_datasette
    local page search
    page=$(get "$BASE${DATASETTE[page]}" | json 'd["filtered_table_rows_count"]')
    search=$(get "$BASE${DATASETTE[search]}" | json 'd["filtered_table_rows_count"]')
    echo "datasette: the page's filter selects $page rows (betadata: $PAGE_TOTAL), the search $search (betadata: $SEARCH_TOTAL)"
    if [[ $page != "$PAGE_TOTAL" || $search != "$SEARCH_TOTAL" ]]; then
        echo "warning: Datasette's queries do not select the same rows as betadata's" >&2
    fi
    stop_server
}

# measure_endpoint ENDPOINT: every server in turn, each started afresh so that its peak RSS is
# this request's, and back to back so that the ratios compare figures taken seconds apart;
# ROUNDS times over.
measure_endpoint() {
    local endpoint=$1 connections=$CONNECTIONS
    if [[ $endpoint == csv-1 ]]; then connections=1; fi
    for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
        local round=''
        if ((ROUNDS > 1)); then round=", round $ROUND of $ROUNDS"; fi
        section "$SIZE ($COUNT startups): $endpoint$round, load $(load1)"
        measure_round "$endpoint" "$connections"
    done
}

# measure_round ENDPOINT CONNECTIONS: one turn of every server.
measure_round() {
    local endpoint=$1 connections=$2
    if [[ -n $SQLITE_URL ]]; then
        start_betadata "$SQLITE_URL" "$WORK/serve-sqlite-$SIZE-$endpoint.log"
        measure "$endpoint" betadata sqlite "$BASE${PATHS[$endpoint]}" "$connections"
        stop_server
        if [[ $PEERS == *nginx* ]]; then
            start_nginx
            measure "$endpoint" nginx static "$BASE/${FILES[$endpoint]}" "$connections"
            stop_server
        fi
        if [[ $PEERS == *datasette* && -n ${DATASETTE[$endpoint]:-} && $endpoint != csv-1 ]]; then
            start_datasette
            measure "$endpoint" datasette sqlite "$BASE${DATASETTE[$endpoint]}" "$connections"
            stop_server
        fi
    fi
    if [[ -n $PG_URL ]]; then
        start_betadata "$PG_URL" "$WORK/serve-postgres-$SIZE-$endpoint.log"
        measure "$endpoint" betadata postgres "$BASE${PATHS[$endpoint]}" "$connections"
        stop_server
    fi
}

# generate BACKEND URL: a fresh portfolio of COUNT startups.
generate() {
    local backend=$1 url=$2 observations=$((COUNT * OBSERVATIONS_PER_STARTUP))
    echo "\$ betadata --database <$backend> generate --startups $COUNT --observations $observations --seed $SEED"
    timeout "$GENERATE_LIMIT" /usr/bin/time -v -o "$WORK/time.txt" \
        "$BIN" --database "$url" generate --startups "$COUNT" --observations "$observations" \
        --seed "$SEED" >"$WORK/generate.log" 2>&1 || {
        cat "$WORK/generate.log" >&2
        fail "generate failed on $backend"
    }
    local elapsed rss
    elapsed=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$WORK/time.txt")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
    echo "$backend: generated in $elapsed (m:ss), peak RSS $((rss / 1024)) MiB"
}

run_size() {
    SIZE=$1
    case $SIZE in
    small) COUNT=$STARTUPS ;;
    large) COUNT=$LARGE_STARTUPS ;;
    esac
    PATHS=() FILES=() DATASETTE=()
    PAGE_TOTAL='' SEARCH_TOTAL='' INCUBATOR='' ITEM='' SQLITE_URL='' PG_URL=''
    STATIC=$WORK/static-$SIZE
    DB_PATH=$WORK/betadata-$SIZE/betadata.db
    section "$SIZE: $COUNT startups"
    if [[ $BACKENDS == *sqlite* ]]; then
        mkdir -p "$(dirname "$DB_PATH")"
        generate sqlite "$DB_PATH"
        SQLITE_URL=$DB_PATH
        echo "SQLite file: $(du -h "$DB_PATH" | cut -f1)"
    fi
    if [[ $BACKENDS == *postgres* ]]; then
        if psql -q -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
            PG_DB=betadata_peers_$$_$SIZE
            createdb "$PG_DB"
            # A PGHOST that is a folder is the server's socket in it.
            PG_URL="postgres://$PGUSER@${PGHOST//\//%2F}:$PGPORT/$PG_DB"
            generate postgres "$PG_URL"
        else
            echo "psql -h $PGHOST -U $PGUSER does not answer: PostgreSQL not measured"
        fi
    fi
    [[ -n $SQLITE_URL || -n $PG_URL ]] || fail "no backend to measure"

    section "$SIZE ($COUNT startups): the requests"
    local backend url
    for backend in sqlite postgres; do
        url=$SQLITE_URL
        if [[ $backend == postgres ]]; then url=$PG_URL; fi
        [[ -n $url ]] || continue
        start_betadata "$url" "$WORK/serve-$backend-$SIZE.log"
        if [[ -z ${PATHS[page]:-} ]]; then find_requests; fi
        totals "$backend"
        if [[ $backend == sqlite && -n $PEERS ]]; then keep_answers; fi
        stop_server
    done
    if [[ -z $SQLITE_URL && -n $PEERS ]]; then
        echo "peers skipped: nginx serves the SQLite server's bytes and Datasette the SQLite file"
        PEERS=''
    fi
    if [[ $PEERS == *nginx* ]]; then
        write_nginx_config
        check_nginx
    fi
    if [[ $PEERS == *datasette* ]]; then datasette_requests; fi

    local endpoint
    for endpoint in "${ENDPOINTS[@]}"; do
        measure_endpoint "$endpoint"
    done

    if [[ -n $PG_URL ]]; then
        dropdb "$PG_DB"
        PG_DB=
    fi
    rm -rf "$STATIC" "$(dirname "$DB_PATH")"
}

section "setup"
install_tools
if [[ -z ${BIN:-} ]]; then
    cargo build --release --quiet
    BIN=target/release/betadata
fi
[[ -x $BIN ]] || fail "BIN=$BIN is not an executable"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory; load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n $RENDERED ]]; then echo "betadata: response cache and export spool off (RENDERED=1)"; fi
echo "betadata: $BIN ($(git rev-parse --short HEAD 2>/dev/null || echo '?'), branch $(git branch --show-current 2>/dev/null || echo '?'))"
echo "wrk: $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)"
if [[ $PEERS == *nginx* ]]; then echo "nginx: $("$NGINX" -v 2>&1)"; fi
if [[ $PEERS == *datasette* ]]; then echo "datasette: $("$DATASETTE_VENV/bin/datasette" --version)"; fi
echo "wrk: $THREADS threads, $CONNECTIONS connections, ${WARMUP}s warm-up then ${DURATION}s per request; $ROUNDS round(s)"

PEAK_SINCE_START=
ROUND=1
for size in $SIZES; do
    run_size "$size"
done
if [[ -n $PEAK_SINCE_START ]]; then
    echo "note: /proc/PID/clear_refs refused a reset: peak RSS is since each server started" >&2
fi

section "results"
report=(python3 "$HERE/peers_report.py" "$RESULTS")
if [[ -n $RENDERED ]]; then report+=(--rendered); fi
if [[ $STRICT == 1 ]]; then report+=(--strict); fi
"${report[@]}"
echo
echo "run time: $((SECONDS / 60)) min $((SECONDS % 60)) s; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
