#!/usr/bin/env bash
# Requests a second that each build renders, the response cache and the export spool off, for
# one or more builds side by side on the same generated data, on SQLite and PostgreSQL: what
# the first request after a write, and every analyst's one-off query, pays (issue 18).
#
#   BINS="/tmp/betadata-before target/release/betadata" bench/rendered.sh
#   STARTUPS=1000 DURATION=3 SKIP_PG=1 bench/rendered.sh   # the current build only, quick
#
# For each backend: generates a database once with the first build (`betadata generate`, 10
# observations a startup), picks the requests through the API (the incubator hosting the most
# startups, the first startup of its page of startups in construction), gives each build its
# own copy of the database (a build that migrates it at start leaves the others' data as
# generated), then for each request and each build in turn starts `betadata serve --cache-mib
# 0 --spool-mib 0` on its copy, on a free loopback port, checks the answer (status 200; its
# bytes, its own address taken out, the same as the first build's, or the line is marked
# DIFFERENT and the script fails at the end), sends wrk
# for WARMUP seconds (not counted) and then for DURATION seconds at CONNECTIONS connections, and prints
# requests/s, wrk's p50 and p99, and the requests that failed (not 2xx, or no answer within
# wrk's 2 s: a figure that counts them is not a rate). Builds run one at a time on the same data: compare their
# ratios within one run, not with the figures of another day.
#
#   page       /api/v1/startups?phase=construction&incubator=<id>&page_size=20
#   item       /api/v1/startups/<id>
#   search     /api/v1/startups?q=emploi&page_size=20
#   stats      /api/v1/stats
#   stats-day  /api/v1/stats?as_of=2020-06-30
#   stats-day=YYYY-MM-DD   /api/v1/stats?as_of=YYYY-MM-DD (any day)
#
# A search is ranked by the database until the server has read its search index, which the
# first search starts (under a second at 100,000 startups, longer under load): with the default
# WARMUP, the first searches measured may still be ranked by the database; WARMUP=5 measures
# the index alone.
#
# Environment: BINS (default: `cargo build --release` then target/release/betadata), STARTUPS
# (100000), SEED (1), DURATION (5), WARMUP (1, seconds of wrk not counted), CONNECTIONS (32),
# THREADS (2), REQUESTS (the names above,
# "page item search stats stats-day"), SKIP_PG (1 skips
# PostgreSQL), PGHOST (127.0.0.1; a folder such as /var/run/postgresql is the server's socket
# in it), PGPORT (5432), PGUSER (postgres), RUST_LOG (warn).
# libpq's own variables reach psql and the server too: PGSSLMODE=disable measures PostgreSQL
# without TLS, which libpq otherwise uses over the loopback whenever the server offers it (as
# Debian's does); see BENCHMARKS.md for what it costs.
# Needs wrk (apt-get install -y wrk), curl, jq, python3.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

STARTUPS=${STARTUPS:-100000}
SEED=${SEED:-1}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
REQUESTS=${REQUESTS:-page item search stats stats-day}
SKIP_PG=${SKIP_PG:-}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGCONNECT_TIMEOUT=5
export RUST_LOG=${RUST_LOG:-warn}

# shellcheck source=bench/args.sh
source bench/args.sh "$@"

for tool in wrk curl jq python3; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y $tool)" >&2; exit 2; }
done
if [[ -z ${BINS:-} ]]; then
    cargo build --release --quiet --bin betadata
    BINS=target/release/betadata
fi
builds "$BINS"

WORK=$(mktemp -d -t betadata-rendered.XXXXXX)
PG_DB=betadata_rendered_$$
# shellcheck source=bench/lib.sh
source bench/lib.sh

# wrk_figures URL: "req/s p50 p99 failed" of a measured run, after a 1 s warm-up: milliseconds,
# and the answers that were not 2xx plus the requests wrk gave up on (2 s without an answer).
wrk_figures() {
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$1" >/dev/null
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$1" >"$WORK/wrk.txt"
    python3 - "$WORK/wrk.txt" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\b", text, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
not_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
timeouts = re.search(r"Socket errors:.*timeout (\d+)", text)
failed = sum(int(m.group(1)) for m in (not_2xx, timeouts) if m)
print(f"{rate:.1f} {ms('50'):.2f} {ms('99'):.2f} {failed}")
EOF
}

bench_backend() {
    local backend=$1 url
    generated "$backend" "${BUILDS[0]}" || return 0
    url=$URL
    serve "${BUILDS[0]}" "$url"
    local incubator startup
    incubator=$(curl -sf "$BASE/api/v1/stats" |
        jq -r '.startups_by_incubator | to_entries | max_by(.value) | .key')
    startup=$(curl -sf "$BASE/api/v1/startups?phase=construction&incubator=$incubator&page_size=20" |
        jq -r '.data[0].id')
    stop_server
    local -A requests=(
        [page]="/api/v1/startups?phase=construction&incubator=$incubator&page_size=20"
        [item]="/api/v1/startups/$startup"
        [search]="/api/v1/startups?q=emploi&page_size=20"
        [stats]="/api/v1/stats"
        [stats-day]="/api/v1/stats?as_of=2020-06-30"
    )
    printf '\n## %s, %s startups, %s observations, %s s at %s connections\n\n' \
        "$backend" "$STARTUPS" $((STARTUPS * 10)) "$DURATION" "$CONNECTIONS"
    printf '| request | build | bytes | req/s | p50 ms | p99 ms | failed | same bytes |\n'
    printf '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n'
    for name in $REQUESTS; do
        local path=${requests[$name]:-} reference= n=0
        if [[ $name == stats-day=* ]]; then path="/api/v1/stats?as_of=${name#stats-day=}"; fi
        [[ -n $path ]] || { echo "unknown request: $name (see --help)" >&2; exit 2; }
        for bin in "${BUILDS[@]}"; do
            copy_database "$url" "$n"
            n=$((n + 1))
            serve "$bin" "$COPY_URL"
            local status
            status=$(curl -s -o "$WORK/body" -w '%{http_code}' "$BASE$path")
            [[ $status == 200 ]] || { echo "$path answered $status" >&2; exit 1; }
            local digest same=yes
            digest=$(sed "s|$BASE||g" "$WORK/body" | sha256sum | cut -c1-12)
            if [[ -z $reference ]]; then
                reference=$digest
            elif [[ $digest != "$reference" ]]; then
                same="DIFFERENT ($digest, first $reference)"
                DIFFERENT=1
            fi
            read -r rate p50 p99 failed < <(wrk_figures "$BASE$path")
            stop_server
            printf '| %s | `%s` | %s | %s | %s | %s | %s | %s |\n' "$name" "$bin" \
                "$(stat -c %s "$WORK/body")" "$rate" "$p50" "$p99" "$failed" "$same"
        done
    done
}

DIFFERENT=
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_backend sqlite
bench_backend postgres
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n $DIFFERENT ]]; then
    echo "some build answered other bytes than the first one (marked DIFFERENT above)" >&2
    exit 1
fi
