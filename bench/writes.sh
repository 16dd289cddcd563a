#!/usr/bin/env bash
# Latency of the write API, for one or more builds in turns, on SQLite and PostgreSQL: what a
# state service waits for each write, triggers and all (the tallies, the stored lines, the
# search index, the change feed).
#
#   BINS="/tmp/betadata-before target/release/betadata" bench/writes.sh
#   STARTUPS=100000 REPS=300 ROUNDS=3 bench/writes.sh
#
# Generates a fresh database of each backend (`betadata generate`, STARTUPS startups, 10
# observations a startup) with the first build, and copies it for each other build, so that a
# build that migrates it at start leaves the others' as generated. Then, ROUNDS times, for each
# backend and each build in turn: starts `betadata serve --cache-mib 0 --spool-mib 0` on a free
# loopback port (bench/lib.sh), creates an admin token, and sends REPS times, one request at a
# time on one kept-alive connection: POST a startup (one phase, one sponsor), POST a second
# phase to it, PATCH its pitch, DELETE it. Prints the median and the 90th percentile of each
# kind of write, in milliseconds. Each round deletes what it created. The limit on each token's
# writes is lifted (BETADATA_WRITE_RATE).
#
# Environment: BINS (default: `cargo build --release` then target/release/betadata), STARTUPS
# (1000), SEED (1), REPS (200), ROUNDS (2), BACKENDS ("sqlite postgres"), SKIP_PG (1 skips
# PostgreSQL), PGHOST (/var/run/postgresql: the server's socket), PGPORT (5432), PGUSER
# (postgres). Needs curl, python3 and psql.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

STARTUPS=${STARTUPS:-1000}
SEED=${SEED:-1}
REPS=${REPS:-200}
ROUNDS=${ROUNDS:-2}
BACKENDS=${BACKENDS:-sqlite postgres}
export PGHOST=${PGHOST:-/var/run/postgresql} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export RUST_LOG=${RUST_LOG:-warn}
# Writes as fast as they come: the bench measures them, not the limit on each token.
export BETADATA_WRITE_RATE=1000000

# shellcheck source=bench/args.sh
source bench/args.sh "$@"

fail() {
    echo "bench/writes.sh: $*" >&2
    exit 2
}

for name in STARTUPS SEED REPS ROUNDS; do
    [[ ${!name} =~ ^[0-9]+$ ]] || fail "$name must be a whole number, not '${!name}'"
done
for backend in $BACKENDS; do
    [[ $backend =~ ^(sqlite|postgres)$ ]] || fail "BACKENDS holds sqlite and postgres, not '$backend'"
done
for tool in curl python3 psql; do
    command -v "$tool" >/dev/null || fail "$tool is missing"
done
if [[ -z ${BINS:-} ]]; then
    cargo build --release --quiet --bin betadata
    BINS=target/release/betadata
fi
builds "$BINS"

WORK=$(mktemp -d -t betadata-writes.XXXXXX)
PG_DB=betadata_writes_$$
# shellcheck source=bench/lib.sh
source bench/lib.sh

echo "machine: $(nproc) cores; $STARTUPS startups; $REPS of each write, one at a time"
echo
echo "| round | backend | build | POST startup | POST phase | PATCH pitch | DELETE startup |"
echo "| ---: | --- | --- | ---: | ---: | ---: | ---: |"
for backend in $BACKENDS; do
    generated "$backend" "${BUILDS[0]}" || continue
    for ((round = 1; round <= ROUNDS; round++)); do
        for n in "${!BUILDS[@]}"; do
            bin=${BUILDS[$n]}
            copy_database "$URL" "$n"
            serve "$bin" "$COPY_URL"
            token=$("$bin" --database "$COPY_URL" token create --name "writes-$round" \
                --scope admin 2>/dev/null)
            cells=$(python3 - "$BASE" "$token" "$REPS" "$round" <<'EOF'
import http.client, json, statistics, sys, time, urllib.parse

base, token, reps, round_number = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
conn = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc)

def call(method, path, body=None, kind="application/json", expect=(200,)):
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = kind
    began = time.perf_counter()
    conn.request(method, "/api/v1" + path, json.dumps(body) if body is not None else None, headers)
    answer = conn.getresponse()
    text = answer.read()
    took = (time.perf_counter() - began) * 1000
    if answer.status not in expect:
        sys.exit(f"{method} {path}: {answer.status} {text[:300]!r}")
    return took, text

incubator = json.loads(call("GET", "/incubators?page_size=1")[1])["data"][0]["id"]
sponsor = json.loads(call("GET", "/organisations?page_size=1")[1])["data"][0]["id"]
times = {"create": [], "phase": [], "patch": [], "delete": []}
for i in range(reps):
    id = f"bench-writes-{round_number}-{i}"
    times["create"].append(call("POST", "/startups", {
        "id": id, "name": f"Écriture {i}", "incubator": incubator, "sponsors": [sponsor],
        "phases": [{"phase": "investigation", "start": "2025-01-06"}],
    }, expect=(201,))[0])
    times["phase"].append(call("POST", f"/startups/{id}/phases",
        {"phase": "construction", "start": "2025-06-02"}, expect=(201,))[0])
    times["patch"].append(call("PATCH", f"/startups/{id}", {"pitch": f"Essai {i}"},
        kind="application/merge-patch+json")[0])
    times["delete"].append(call("DELETE", f"/startups/{id}", expect=(204,))[0])

def cell(values):
    values = sorted(values)
    return f"{statistics.median(values):.2f} / {values[int(len(values) * 0.9)]:.2f} ms"

print(" | ".join(cell(times[k]) for k in ("create", "phase", "patch", "delete")))
EOF
)
            stop_server
            echo "| $round | $backend | \`$bin\` | $cells |"
        done
    done
done
echo
echo "Each cell: median / 90th percentile."
