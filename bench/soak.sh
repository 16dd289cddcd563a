#!/usr/bin/env bash
# Soak: mixed reads and writes on loopback for a bounded time, on a fresh SQLite file and on a
# fresh PostgreSQL database, then a check through the API that no acknowledged write was lost
# and nothing else was written (bench/soak.py does the traffic and the check).
#
#   bench/soak.sh                      # both backends, 120 s each
#   DURATION=600 bench/soak.sh sqlite  # one backend, longer
#
# Builds the release binary unless BIN names one. For each backend: migrates the database,
# fills it with a synthetic portfolio (`betadata generate`, BASE_STARTUPS and
# BASE_OBSERVATIONS), so that what the run writes is a fraction of what it reads, issues an
# admin token (`betadata token create --name soak --scope admin`), starts
# `betadata serve` on a free loopback port (2 workers, --write-rate high enough not to throttle
# the writers), runs bench/soak.py, stops the server and deletes the database (the PostgreSQL
# one is created and dropped here). Exits non-zero when any backend fails: a 5xx, a lost or
# extra write, or RSS grown by more than RSS_GROWTH_MIB (32) between the first and last minute.
# Environment: BIN, DURATION (120), PG_URL (postgres://postgres@127.0.0.1:5432),
# BASE_STARTUPS (2000), BASE_OBSERVATIONS (100000), READERS (4), WRITERS (4), WRITE_RATE (20
# write requests a second), BATCH (10), RSS_GROWTH_MIB (32).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
DURATION=${DURATION:-120}
BASE_STARTUPS=${BASE_STARTUPS:-2000}
BASE_OBSERVATIONS=${BASE_OBSERVATIONS:-100000}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
BACKENDS=("$@")
if [[ ${#BACKENDS[@]} -eq 0 ]]; then BACKENDS=(sqlite postgres); fi
export RUST_LOG=${RUST_LOG:-warn}

if [[ -z ${BIN:-} ]]; then
    cargo build --release
    BIN=target/release/betadata
fi

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

WORK=$(mktemp -d /tmp/betadata-soak.XXXXXX)
SERVER_PID=
PG_DB=
cleanup() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
    if [[ -n $PG_DB ]]; then
        psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null || true
        PG_DB=
    fi
}
trap 'cleanup; rm -rf "$WORK"' EXIT

status=0
for backend in "${BACKENDS[@]}"; do
    case $backend in
        sqlite) database=$WORK/soak.db ;;
        postgres)
            PG_DB=betadata_soak_$$
            psql "$PG_URL/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null
            database=$PG_URL/$PG_DB
            ;;
        *) echo "soak: unknown backend \`$backend\`; give sqlite or postgres" >&2; exit 2 ;;
    esac
    "$BIN" --database "$database" migrate >/dev/null
    "$BIN" --database "$database" generate --startups "$BASE_STARTUPS" \
        --observations "$BASE_OBSERVATIONS" >/dev/null
    token=$("$BIN" --database "$database" token create --name soak --scope admin 2>/dev/null)
    port=$(free_port)
    base=http://127.0.0.1:$port
    "$BIN" --database "$database" serve --bind "127.0.0.1:$port" --workers 2 \
        --write-rate 1000000 2>"$WORK/server-$backend.log" &
    SERVER_PID=$!
    for _ in $(seq 150); do
        curl -fs -o /dev/null "$base/health" && break
        sleep 0.2
    done
    echo "## soak on $backend ($("$BIN" --version 2>/dev/null || echo "$BIN")), ${DURATION}s"
    if ! python3 bench/soak.py "$base" "$token" "$SERVER_PID" "$DURATION"; then
        status=1
        echo "server log (last lines):"
        tail -20 "$WORK/server-$backend.log"
    fi
    cleanup
done
exit $status
