#!/usr/bin/env bash
# Latencies of the worst requests an outsider can send, on a generated portfolio, on SQLite and
# PostgreSQL, with the response cache and the export spool off.
#
#   BIN=target/release/betadata bench/hostile.sh      # 100,000 startups, 200,000 observations
#   STARTUPS=2000 OBSERVATIONS=20000 REPS=3 bench/hostile.sh
#   SKIP_PG=1 bench/hostile.sh                         # SQLite only
#
# For each backend: generates a fresh database (`betadata generate`, wall time printed), starts
# `betadata serve --cache-mib 0 --spool-mib 0` on a free loopback port, waits for /health, then
# sends each request REPS times, one after another (no concurrency, a new connection each time:
# `curl -s -o /dev/null -w '%{http_code} %{time_total} %{size_download}'`). Prints, per request:
# the statuses seen and the one expected, the first, median and max times in seconds, the bytes
# of the body, the throughput of the first download (exports) and `meta.total` of a JSON list
# (fetched once more after the timings, not timed). Then one Markdown table per backend, and a
# summary with the generation time and the worst median of each backend.
# Requests: searches (8 distinct 3-letter prefixes, the most allowed; a broad prefix; a broad
# prefix sorted; 9 words and stop words only, both a 400), sorts, filters, time travel
# (`as_of`), statistics, and the two whole CSV exports.
# PostgreSQL is used when `psql -h $PGHOST -U $PGUSER` answers (unless SKIP_PG=1): a database
# betadata_hostile_<pid> is created, and dropped again when the script exits.
#
# Environment: BIN (default: `cargo build --release` then target/release/betadata), STARTUPS
# (100000), OBSERVATIONS (200000), SEED (1), REPS (5), PAGE_SIZE (100; the API allows up to
# 1000), USERTYPE (particulier) and THEMATIQUE (Santé), values of the generator's vocabularies
# (USERTYPES, THEMES in src/generate.rs), AS_OF (2018-06-30), REQUEST_LIMIT (300: seconds one
# request may take before curl gives up, reported as status 000), GENERATE_LIMIT (3600),
# SKIP_PG (set to 1 to skip PostgreSQL), PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres),
# RUST_LOG (warn). Other BETADATA_* variables (BETADATA_QUERY_TIMEOUT, BETADATA_WORKERS…) reach
# the server as usual; the cache and spool budgets are forced to 0 by flags.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

STARTUPS=${STARTUPS:-100000}
OBSERVATIONS=${OBSERVATIONS:-200000}
SEED=${SEED:-1}
REPS=${REPS:-5}
PAGE_SIZE=${PAGE_SIZE:-100}
USERTYPE=${USERTYPE:-particulier}
THEMATIQUE=${THEMATIQUE:-Santé}
AS_OF=${AS_OF:-2018-06-30}
SKIP_PG=${SKIP_PG:-}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGCONNECT_TIMEOUT=5
export RUST_LOG=${RUST_LOG:-warn}

# Time limits, in seconds.
GENERATE_LIMIT=${GENERATE_LIMIT:-3600}
START_LIMIT=60
REQUEST_LIMIT=${REQUEST_LIMIT:-300}

# shellcheck source=bench/args.sh
source bench/args.sh "$@"

if ! [[ $REPS =~ ^[1-9][0-9]*$ ]]; then
    echo "REPS must be a positive integer, not '$REPS'" >&2
    exit 2
fi
for tool in curl python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "$tool is needed" >&2
        exit 2
    fi
done

if [[ -z ${BIN:-} ]]; then
    cargo build --release --quiet --bin betadata
    BIN=target/release/betadata
fi
if [[ ! -x $BIN ]]; then
    echo "no executable betadata at BIN=$BIN" >&2
    exit 2
fi

WORK=$(mktemp -d -t betadata-hostile.XXXXXX)
PG_DB=betadata_hostile_$$
SERVER_PID=
PG_CREATED=
SUMMARY=()

stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}

drop_pg() {
    if [[ -n $PG_CREATED ]]; then
        psql -q -d postgres -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
        PG_CREATED=
    fi
}

cleanup() {
    stop_server
    drop_pg
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section() { printf '\n## %s\n\n' "$*"; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# urlencode TEXT: TEXT as one query-string value.
urlencode() { python3 -c 'import sys, urllib.parse as u; print(u.quote(sys.argv[1], safe=""))' "$1"; }

# Seconds since the epoch, with fractions.
now() { date +%s.%N; }

# elapsed START END: END - START in seconds, one decimal.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Reads "<status> <seconds> <bytes>" lines (one per repetition) from the file argv[1]; prints
# "<statuses> <first s> <median s> <max s> <bytes> <MB/s of the first> <verdict>", where
# statuses are the distinct ones seen (comma-separated) and the verdict says whether every
# status was the expected argv[2].
STATS_PY='
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
expect, export = sys.argv[2], sys.argv[3] == "export"
statuses = sorted({r[0] for r in rows})
times = [float(r[1]) for r in rows]
size = int(float(rows[0][2]))
first = times[0]
rate = "%.1f" % (size / 1e6 / first) if export and first > 0 else "-"
verdict = "ok" if statuses == [expect] else "UNEXPECTED"
print(",".join(statuses), "%.4f" % first, "%.4f" % statistics.median(times),
      "%.4f" % max(times), size, rate, verdict)
'

# The total of a JSON list response read from stdin, or "-".
TOTAL_PY='
import json, sys
try:
    print(json.load(sys.stdin)["meta"]["total"])
except Exception:
    print("-")
'

# measure LABEL PATH EXPECTED_STATUS [export]: REPS sequential requests to PATH; adds a row to
# ROWS and a line to the backend's results.
measure() {
    local label=$1 path=$2 expect=$3 kind=${4:-json} times=$WORK/times out i
    : >"$times"
    for ((i = 0; i < REPS; i++)); do
        out=$(curl -s -o /dev/null --max-time "$REQUEST_LIMIT" \
            -w '%{http_code} %{time_total} %{size_download}' "$BASE$path") || true
        echo "${out:-000 $REQUEST_LIMIT 0}" >>"$times"
    done
    local statuses first median max bytes rate verdict total=-
    read -r statuses first median max bytes rate verdict \
        < <(python3 -c "$STATS_PY" "$times" "$expect" "$kind")
    if [[ $kind != export && $statuses == 200 ]]; then
        total=$( (curl -s --max-time "$REQUEST_LIMIT" "$BASE$path" || true) | python3 -c "$TOTAL_PY")
    fi
    local extra=''
    if [[ $rate != - ]]; then extra+=" MB/s(first)=$rate"; fi
    if [[ $total != - ]]; then extra+=" total=$total"; fi
    printf '%-30s status=%s (expect %s) first=%ss median=%ss max=%ss bytes=%s%s %s\n' \
        "$label" "$statuses" "$expect" "$first" "$median" "$max" "$bytes" "$extra" "$verdict"
    local shown=$path
    if ((${#shown} > 90)); then shown="${shown:0:87}…"; fi
    ROWS+=("| $BACKEND | $label | \`$shown\` | $statuses | $expect | $first | $median | $max | $bytes | $rate | $total | $verdict |")
    printf '%s\t%s\t%s\n' "$median" "$label" "$statuses" >>"$WORK/results-$BACKEND"
}

run_backend() {
    BACKEND=$1
    local url
    case $BACKEND in
    sqlite)
        url=$WORK/hostile.db
        ;;
    postgres)
        if [[ $SKIP_PG == 1 ]]; then
            section "postgres: skipped (SKIP_PG=1)"
            SUMMARY+=("postgres: skipped (SKIP_PG=1)")
            return
        fi
        if ! psql -q -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
            section "postgres: skipped"
            echo "psql -h $PGHOST -p $PGPORT -U $PGUSER does not answer: PostgreSQL not measured."
            SUMMARY+=("postgres: skipped (psql -h $PGHOST -U $PGUSER does not answer)")
            return
        fi
        psql -q -d postgres -c "CREATE DATABASE $PG_DB" >/dev/null
        PG_CREATED=1
        url="postgres://$PGUSER@$PGHOST:$PGPORT/$PG_DB"
        ;;
    esac

    section "$BACKEND: generate $STARTUPS startups, $OBSERVATIONS observations (seed $SEED)"
    echo "\$ $BIN --database <$BACKEND db> generate --startups $STARTUPS --observations $OBSERVATIONS --seed $SEED"
    local start end generated
    start=$(now)
    if ! timeout "$GENERATE_LIMIT" "$BIN" --database "$url" generate \
        --startups "$STARTUPS" --observations "$OBSERVATIONS" --seed "$SEED" \
        >"$WORK/generate-$BACKEND.log" 2>&1; then
        echo "generate failed (or took over ${GENERATE_LIMIT}s):" >&2
        cat "$WORK/generate-$BACKEND.log" >&2
        return 1
    fi
    end=$(now)
    generated=$(elapsed "$start" "$end")
    echo "generate: ${generated}s"
    if [[ $BACKEND == sqlite ]]; then
        echo "database file: $(du -h "$url" | cut -f1)"
    else
        echo "database size: $(psql -At -d "$PG_DB" -c "SELECT pg_size_pretty(pg_database_size('$PG_DB'))")"
    fi

    local port
    port=$(free_port)
    BASE="http://127.0.0.1:$port"
    "$BIN" --database "$url" serve --bind "127.0.0.1:$port" --cache-mib 0 --spool-mib 0 \
        >"$WORK/serve-$BACKEND.log" 2>&1 &
    SERVER_PID=$!
    local waited=0
    until curl -sf --max-time 2 -o /dev/null "$BASE/health"; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null || ((waited >= START_LIMIT * 10)); then
            echo "the server did not answer /health:" >&2
            cat "$WORK/serve-$BACKEND.log" >&2
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done

    local api=/api/v1 ps=$PAGE_SIZE usertype thematique nine stop_only
    usertype=$(urlencode "$USERTYPE")
    thematique=$(urlencode "$THEMATIQUE")
    # 9 distinct words (one more than allowed), and 400 times the stop word "a".
    nine="cha%20ann%20mil%20inc%20ser%20con%20app%20ave%20num"
    stop_only=$(printf 'a%%20%.0s' {1..400})

    section "$BACKEND: requests (each $REPS times, sequential; cache and spool off)"
    ROWS=()
    : >"$WORK/results-$BACKEND"
    # Searches.
    measure "search, 8 prefixes" "$api/startups?q=cha%20ann%20mil%20inc%20ser%20con%20app%20ave&page_size=$ps" 200
    measure "search q=ser" "$api/startups?q=ser" 200
    measure "search q=ser, page, -updated" "$api/startups?q=ser&sort=-updated&page_size=$ps" 200
    measure "search q=emploi" "$api/startups?q=emploi" 200
    measure "search, 9 words" "$api/startups?q=$nine&page_size=$ps" 400
    measure "search, 400 stop words" "$api/startups?q=$stop_only" 400
    # Sorts.
    measure "sort=-name" "$api/startups?sort=-name&page_size=$ps" 200
    measure "sort=-updated" "$api/startups?sort=-updated&page_size=$ps" 200
    measure "sort=created" "$api/startups?sort=created&page_size=$ps" 200
    # Filters.
    measure "3 phases" "$api/startups?phase=investigation,construction,acceleration&page_size=$ps" 200
    measure "usertype + thematique" "$api/startups?usertype=$usertype&thematique=$thematique&page_size=$ps" 200
    measure "created between" "$api/startups?created_after=2015-01-01&created_before=2024-12-31&page_size=$ps" 200
    # Time travel and statistics.
    measure "as_of" "$api/startups?as_of=$AS_OF&page_size=$ps" 200
    measure "as_of + phase" "$api/startups?as_of=$AS_OF&phase=construction&page_size=$ps" 200
    measure "stats as_of" "$api/stats?as_of=$AS_OF" 200
    measure "stats" "$api/stats" 200
    measure "stats/outcomes by=incubator" "$api/stats/outcomes?by=incubator" 200
    measure "stats/outcomes by=cohort" "$api/stats/outcomes?by=cohort" 200
    measure "stats/outcomes cohort as_of" "$api/stats/outcomes?by=cohort&as_of=$AS_OF" 200
    measure "stats/phase-durations" "$api/stats/phase-durations" 200
    # Whole exports (no page_size: every row).
    measure "export startups CSV" "$api/startups?format=csv" 200 export
    measure "export observations CSV" "$api/observations?format=csv" 200 export
    stop_server

    section "$BACKEND: results"
    echo "$STARTUPS startups, $OBSERVATIONS observations (seed $SEED), generated in ${generated}s;"
    echo "$REPS sequential requests each, cache and spool off; times in seconds; MB/s of the first"
    echo "download (exports); total: meta.total of the list."
    echo
    echo "| backend | request | path | status | expected | first | median | max | bytes | MB/s | total | check |"
    echo "| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    printf '%s\n' "${ROWS[@]}"

    local worst label statuses unexpected
    IFS=$'\t' read -r worst label statuses < <(sort -t$'\t' -k1,1 -g -r "$WORK/results-$BACKEND" | head -n 1)
    unexpected=$(printf '%s\n' "${ROWS[@]}" | grep -c 'UNEXPECTED |$' || true)
    SUMMARY+=("$BACKEND: generated in ${generated}s; worst median ${worst}s ($label, status $statuses); $unexpected request(s) with an unexpected status")

    if [[ $BACKEND == postgres ]]; then
        drop_pg
    fi
}

echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory; binary: $BIN ($("$BIN" --version 2>/dev/null || echo 'version unknown'))"
run_backend sqlite
run_backend postgres

section "summary"
printf '%s\n' "${SUMMARY[@]}"
