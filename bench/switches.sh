#!/usr/bin/env bash
# Thread switches and CPU time the server spends an answer, for one or more builds in turns, on
# PostgreSQL, the response cache and the export spool off: what a read costs betadata's own
# process beside PostgreSQL's round trip (issue 18).
#
#   BINS="/tmp/betadata-before target/release/betadata" bench/switches.sh
#   REQUEST=page ROUNDS=3 bench/switches.sh
#
# Generates a fresh PostgreSQL database (`betadata generate`, STARTUPS startups, 10
# observations a startup) with the first build, dropped on exit. Then, ROUNDS times, for each
# build in turn: starts `betadata serve --cache-mib 0 --spool-mib 0` on a free loopback port
# (bench/lib.sh),
# sends wrk for WARMUP seconds (not counted), then for DURATION seconds at CONNECTIONS
# connections while `perf stat -e context-switches,task-clock` watches the server's process,
# and prints requests/s, the server's context switches an answer and its CPU time an answer,
# and the CPU time PostgreSQL's processes spent an answer meanwhile (all of the user postgres's
# processes on the machine, read from /proc before and after: a coarse figure, in clock ticks).
#
# REQUEST: item (one startup, the first of the page below; the default), page (an incubator's
# startups in construction, the incubator of the first startup listed, 20 rows) or stats
# (`/api/v1/stats`, the whole portfolio today).
#
# Environment: BINS (default: `cargo build --release` then target/release/betadata), STARTUPS
# (1000), SEED (1), ROUNDS (2), DURATION (5), WARMUP (3), CONNECTIONS (32), THREADS (2), REQUEST
# (item), PGHOST (/var/run/postgresql: the server's socket), PGPORT (5432), PGUSER (postgres).
# Needs perf (apt-get install -y linux-perf), wrk, curl, python3 and psql.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

STARTUPS=${STARTUPS:-1000}
SEED=${SEED:-1}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
REQUEST=${REQUEST:-item}
export PGHOST=${PGHOST:-/var/run/postgresql} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export RUST_LOG=${RUST_LOG:-warn}

# shellcheck source=bench/args.sh
source bench/args.sh "$@"

fail() {
    echo "bench/switches.sh: $*" >&2
    exit 2
}

for name in STARTUPS ROUNDS DURATION WARMUP CONNECTIONS THREADS; do
    [[ ${!name} =~ ^[0-9]+$ ]] || fail "$name must be a whole number, not '${!name}'"
done
[[ $REQUEST =~ ^(item|page|stats)$ ]] || fail "REQUEST must be item, page or stats, not '$REQUEST'"
for tool in perf wrk curl python3 psql; do
    command -v "$tool" >/dev/null || fail "$tool is missing"
done
if [[ -z ${BINS:-} ]]; then
    cargo build --release --quiet --bin betadata
    BINS=target/release/betadata
fi
builds "$BINS"

WORK=$(mktemp -d -t betadata-switches.XXXXXX)
PG_DB=betadata_switches_$$
# shellcheck source=bench/lib.sh
source bench/lib.sh

generated postgres "${BUILDS[0]}" || fail "PostgreSQL does not answer"

json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# The CPU time, in clock ticks, that the user postgres's processes have spent so far.
postgres_ticks() {
    local pid ticks=0 fields
    for pid in $(pgrep -u postgres); do
        read -r -a fields <"/proc/$pid/stat" 2>/dev/null || continue
        # utime and stime, the 14th and 15th fields (the name, field 2, has no space here).
        ticks=$((ticks + fields[13] + fields[14]))
    done
    echo "$ticks"
}

echo "machine: $(nproc) cores; $STARTUPS startups on PostgreSQL; wrk $CONNECTIONS connections, ${DURATION}s; request: $REQUEST"
echo
echo "| round | build | req/s | context switches an answer | server CPU an answer | PostgreSQL CPU an answer |"
echo "| ---: | --- | ---: | ---: | ---: | ---: |"
for ((round = 1; round <= ROUNDS; round++)); do
    for bin in "${BUILDS[@]}"; do
        serve "$bin" "$URL"
        first=$(curl -sf "$BASE/api/v1/startups?page_size=1")
        case $REQUEST in
        item) path=/api/v1/startups/$(json 'd["data"][0]["id"]' <<<"$first") ;;
        page) path="/api/v1/startups?phase=construction&incubator=$(json 'd["data"][0]["incubator"]' <<<"$first")&page_size=20" ;;
        stats) path=/api/v1/stats ;;
        esac
        wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" "$BASE$path" >/dev/null
        perf stat -x, -e context-switches,task-clock -p "$SERVER_PID" -o "$WORK/perf.csv" \
            -- sleep "$DURATION" &
        perf=$!
        pg_before=$(postgres_ticks)
        out=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" "$BASE$path")
        pg_ticks=$(($(postgres_ticks) - pg_before))
        wait "$perf"
        stop_server
        answers=$(awk '/requests in/ {print $1}' <<<"$out")
        python3 - "$round" "$bin" "$answers" "$DURATION" "$WORK/perf.csv" "$pg_ticks" "$(getconf CLK_TCK)" <<'EOF'
import sys
round_number, build, answers, seconds, perf, pg_ticks, tick_hz = sys.argv[1:]
answers, seconds = int(answers), float(seconds)
counts = {}
for line in open(perf, encoding="utf-8"):
    cells = line.strip().split(",")
    if len(cells) > 2 and cells[0] and not line.startswith("#"):
        counts[cells[2]] = float(cells[0])
switches = counts["context-switches"] / answers
cpu_us = counts["task-clock"] * 1000 / answers  # task-clock is in ms
pg_us = int(pg_ticks) / int(tick_hz) * 1e6 / answers
print(f"| {round_number} | `{build}` | {answers / seconds:,.1f} | {switches:.2f} | {cpu_us:.1f} µs | {pg_us:.0f} µs |")
EOF
    done
done
