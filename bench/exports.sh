#!/usr/bin/env bash
# Throughput of the first download of each whole export, rendered (the response cache and the
# export spool off), for one or more builds side by side on the same generated data, on SQLite
# and PostgreSQL.
#
#   BINS="/tmp/betadata-before target/release/betadata" bench/exports.sh
#   STARTUPS=20000 REPS=3 SKIP_PG=1 bench/exports.sh      # the current build only, smaller
#
# For each backend: generates a database once with the first build (`betadata generate`) and
# copies it for each build (a build migrates its copy at its first start), then for each build
# in turn starts `betadata serve --cache-mib 0 --spool-mib 0` on a free loopback
# port and downloads each export REPS times, one after another (`curl`, a new connection each
# time, so that every download renders). Prints, per backend, export and build: the bytes, the
# first 12 hex digits of the body's SHA-256 (a build that answers other bytes than the first
# build is marked DIFFERENT, and the script fails at the end), the median seconds and MB/s
# (10^6 bytes), and the server's peak RSS (VmHWM) after all its downloads. Builds run one at a time on the same data: compare their ratios, not the figures of
# another day.
#
# Environment: BINS (default: `cargo build --release` then target/release/betadata), STARTUPS
# (100000), OBSERVATIONS (200000), SEED (1), REPS (5), SKIP_PG (1 skips PostgreSQL), PGHOST
# (127.0.0.1), PGPORT (5432), PGUSER (postgres), RUST_LOG (warn).
# libpq's own variables reach psql and the server too: PGSSLMODE=disable measures PostgreSQL
# without TLS, which libpq otherwise uses over the loopback whenever the server offers it (as
# Debian's does); see BENCHMARKS.md for what it costs.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

STARTUPS=${STARTUPS:-100000}
OBSERVATIONS=${OBSERVATIONS:-200000}
SEED=${SEED:-1}
REPS=${REPS:-5}
SKIP_PG=${SKIP_PG:-}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGCONNECT_TIMEOUT=5
export RUST_LOG=${RUST_LOG:-warn}

EXPORTS=(
    "/api/v1/startups?format=csv"
    "/api/v1/startups?format=ndjson"
    "/api/v1/phase-history?format=csv"
    "/api/v1/metrics?format=csv"
    "/api/v1/observations?format=csv"
)

# shellcheck source=bench/args.sh
source bench/args.sh "$@"

if [[ -z ${BINS:-} ]]; then
    cargo build --release --quiet --bin betadata
    BINS=target/release/betadata
fi
builds "$BINS"

WORK=$(mktemp -d -t betadata-exports.XXXXXX)
PG_DB=betadata_exports_$$
# shellcheck source=bench/lib.sh
source bench/lib.sh

# median FILE: the median of the numbers in FILE, one a line.
median() { python3 -c 'import statistics, sys; print(statistics.median(float(l) for l in open(sys.argv[1])))' "$1"; }

bench_backend() {
    local backend=$1 url
    database "$backend" || return 0
    url=$URL
    "${BUILDS[0]}" --database "$url" generate --startups "$STARTUPS" \
        --observations "$OBSERVATIONS" --seed "$SEED" >"$WORK/generate.log" 2>&1
    printf '\n## %s, %s startups, %s observations, %s downloads each\n\n' \
        "$backend" "$STARTUPS" "$OBSERVATIONS" "$REPS"
    printf '| export | build | bytes | SHA-256 | median s | MB/s | server peak RSS |\n'
    printf '| --- | --- | ---: | --- | ---: | ---: | ---: |\n'
    for export in "${EXPORTS[@]}"; do
        local reference= n=0
        for bin in "${BUILDS[@]}"; do
            # Each build its own copy: one that migrates at start changes the others' tables.
            copy_database "$url" $((n++))
            serve "$bin" "$COPY_URL"
            : >"$WORK/times"
            local bytes=0 status digest rep
            for rep in $(seq "$REPS"); do
                local out=/dev/null
                [[ $rep == 1 ]] && out="$WORK/body"
                read -r status seconds bytes < <(curl -s -o "$out" --max-time 600 \
                    -w '%{http_code} %{time_total} %{size_download}\n' "$BASE$export")
                if [[ $status != 200 ]]; then
                    echo "$export answered $status" >&2
                    exit 1
                fi
                echo "$seconds" >>"$WORK/times"
            done
            digest=$(sha256sum "$WORK/body" | cut -c1-12)
            if [[ -z $reference ]]; then
                reference=$digest
            elif [[ $digest != "$reference" ]]; then
                digest="$digest DIFFERENT"
                DIFFERENT=1
            fi
            local rss med
            rss=$(awk '/VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$SERVER_PID/status")
            stop_server
            med=$(median "$WORK/times")
            printf '| `%s` | `%s` | %s | %s | %.3f | %.1f | %s |\n' "$export" "$bin" "$bytes" \
                "$digest" "$med" "$(python3 -c "print($bytes / $med / 1e6)")" "$rss"
        done
    done
}

DIFFERENT=
bench_backend sqlite
bench_backend postgres
if [[ -n $DIFFERENT ]]; then
    echo "some build answered other bytes than the first one (marked DIFFERENT above)" >&2
    exit 1
fi
