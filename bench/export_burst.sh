#!/usr/bin/env bash
# A crowd downloading the same whole export at once, right after the server starts (nothing
# rendered yet): how many get it whole, how long the last one waits, the server's peak RSS.
#
#   bench/export_burst.sh                          # 100,000 startups, 32 downloads of the CSV
#   STARTUPS=1000 CLIENTS=8 bench/export_burst.sh
#   BIN=/path/to/another/betadata DB=/tmp/l100k.db bench/export_burst.sh   # another build, a kept database
#
# Environment: BIN (default: build target/release/betadata), DB (a SQLite file; generated with
# `betadata generate --startups $STARTUPS --observations $((10 * STARTUPS)) --seed 1` when it
# does not exist, in a temporary folder deleted on exit unless DB is given), STARTUPS (100000),
# CLIENTS (32), URL_PATH (/api/v1/startups?format=csv). Each client is one curl; a download is
# whole when curl exits 0 with status 200 (a body cut short makes curl fail).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

STARTUPS=${STARTUPS:-100000}
CLIENTS=${CLIENTS:-32}
URL_PATH=${URL_PATH:-/api/v1/startups?format=csv}
WORK=$(mktemp -d)
SERVER=
cleanup() {
    [[ -n "$SERVER" ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

if [[ -z "${BIN:-}" ]]; then
    cargo build --release --quiet --bin betadata
    BIN=target/release/betadata
fi
DB=${DB:-$WORK/burst.db}
if [[ ! -f "$DB" ]]; then
    echo "generating $STARTUPS startups into $DB"
    "$BIN" --database "$DB" generate --startups "$STARTUPS" \
        --observations $((10 * STARTUPS)) --seed 1 >/dev/null
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RUST_LOG=warn "$BIN" --database "$DB" serve --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && break
    sleep 0.1
done

started=$(date +%s.%N)
pids=()
for i in $(seq "$CLIENTS"); do
    (
        out=$(curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}' \
            "http://127.0.0.1:$PORT$URL_PATH") && code=0 || code=$?
        echo "$out $code" >"$WORK/client.$i"
    ) &
    pids+=($!)
done
wait "${pids[@]}"
ended=$(date +%s.%N)
rss=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")

cat "$WORK"/client.* | awk -v clients="$CLIENTS" -v wall="$(echo "$ended - $started" | bc)" -v rss="$rss" '
    { status[$1]++ }
    $1 == 200 && $4 == 0 { whole++; bytes += $2; if ($3 > slowest) slowest = $3 }
    $1 == 200 && $4 != 0 { cut++ }
    END {
        printf "%d downloads at once: %d whole, %d cut short (status 200, curl failed)", clients, whole, cut
        for (s in status) if (s != 200) printf ", %d answered %s", status[s], s
        printf "\nbytes of whole downloads: %d; slowest whole download: %.2f s; all done in %.2f s\n", bytes, slowest, wall
        printf "server peak RSS: %.1f MB\n", rss * 1024 / 1e6
    }'
