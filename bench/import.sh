#!/usr/bin/env bash
# Time `betadata import` of a generated beta.gouv.fr content tree into a fresh database, for one
# or more builds side by side, on SQLite and PostgreSQL.
#
#   bench/import.sh                  # 100,000 startup files, the current build, both backends
#   STARTUPS=2000 bench/import.sh    # a quick run
#   BINS="/tmp/before target/release/betadata" ROUNDS=2 bench/import.sh   # two builds in turns
#   BIN=target/debug/betadata STARTUPS=300 SKIP_PG=1 bench/import.sh      # without a release build
#
# Writes a tree of STARTUPS startup files (plus 20 incubators and 40 organisations) under a
# temporary folder, once. Then, ROUNDS times, for each backend and each build in turn: imports
# it into a fresh database (a SQLite file, or a PostgreSQL database created for the run and
# dropped after it) under /usr/bin/time -v, then imports it again (nothing changes: the sync
# path), and prints the elapsed time, the CPU time and the peak RSS of each import (the
# importing process's; PostgreSQL's own processes are not counted). Builds run one at a time on
# the same tree: compare their figures within one run. Everything it writes is deleted on exit.
#
# Environment (or --help): BINS (builds, apart by spaces; BIN is the same for one; default:
# `cargo build --release` then target/release/betadata), STARTUPS (100000), ROUNDS (1),
# BACKENDS ("sqlite postgres"), SKIP_PG (1 skips PostgreSQL), PGHOST (127.0.0.1; a folder such
# as /var/run/postgresql is the server's socket in it), PGPORT (5432), PGUSER (postgres).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

STARTUPS=${STARTUPS:-100000}
ROUNDS=${ROUNDS:-1}
BACKENDS=${BACKENDS:-sqlite postgres}
SKIP_PG=${SKIP_PG:-}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGCONNECT_TIMEOUT=5

# shellcheck source=bench/args.sh
source bench/args.sh "$@"

BINS=${BINS:-${BIN:-}}
if [[ -z $BINS ]]; then
    cargo build --release --quiet --bin betadata
    BINS=target/release/betadata
fi
builds "$BINS"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/betadata-import-bench.XXXXXX")
PG_DB=betadata_import_$$
# shellcheck source=bench/lib.sh
source bench/lib.sh

TREE=$WORK/content
mkdir -p "$TREE/_startups" "$TREE/_incubators" "$TREE/_organisations" "$TREE/_phases"

echo "writing $STARTUPS startup files to $TREE" >&2
# One awk process writes every file: a shell loop would take longer than the import.
awk -v n="$STARTUPS" -v root="$TREE" 'BEGIN {
    srand(1);
    split("administration-centrale operateur securite-sociale collectivite-territoriale", types, " ");
    for (o = 1; o <= 40; o++) {
        f = sprintf("%s/_organisations/org-%02d.md", root, o);
        printf "---\nname: Organisation %d\nacronym: ORG%d\ntype: %s\n---\n", o, o, types[1 + o % 4] > f;
        close(f);
    }
    for (i = 1; i <= 20; i++) {
        f = sprintf("%s/_incubators/incub-%02d.md", root, i);
        printf "---\ntitle: Incubateur %d\nowner: /organisations/org-%02d\nwebsite: https://incub-%d.example.gouv.fr\ncontact: contact@incub-%d.example.gouv.fr\n---\nUn incubateur du banc d essai.\n", i, i, i, i > f;
        close(f);
    }
    split("investigation construction acceleration consolidation", active, " ");
    split("transfere abandon opere success alumni", exits, " ");
    split("etat particulier entreprise association collectivite-territoriale", users, " ");
    split("Santé Social Emploi Transport Écologie Éducation", themes, " ");
    for (s = 1; s <= n; s++) {
        f = sprintf("%s/_startups/startup-%06d.md", root, s);
        year = 2014 + s % 11; month = 1 + s % 12;
        printf "---\ntitle: Startup %d\nmission: Simplifier la démarche numéro %d\n", s, s > f;
        printf "incubator: incub-%02d\nsponsors:\n  - /organisations/org-%02d\n  - /organisations/org-%02d\n", 1 + s % 20, 1 + s % 40, 1 + (s * 7) % 40 > f;
        printf "phases:\n  - name: investigation\n    start: %04d-%02d-01\n    end: %04d-%02d-28\n", year, month, year, month > f;
        printf "  - name: construction\n    start: 01-%02d-%04d\n", month, year + 1 > f;
        if (s % 3 == 0) printf "  - name: %s\n    start: %04d-%02d-15\n", exits[1 + s % 5], year + 2, month > f;
        printf "link: https://startup-%d.beta.gouv.fr\nrepository: https://github.com/betagouv/startup-%d\n", s, s > f;
        printf "contact: contact@startup-%d.beta.gouv.fr\nstats_url: https://startup-%d.beta.gouv.fr/stats\n", s, s > f;
        printf "usertypes:\n  - %s\nthematiques:\n  - %s\ntechno: []\naccessibility_status: non conforme\n", users[1 + s % 5], themes[1 + s % 6] > f;
        if (s % 4 == 0) printf "events:\n  - name: fast\n    date: %04d-06-01\n    comment: Promotion %d\n", year + 1, s % 20 > f;
        printf "---\n## Le problème\n\nLes usagers de la démarche %d attendent trop longtemps.\n\n## La solution\n\nUn service numérique simple.\n", s > f;
        close(f);
    }
}'

# A fresh database of BACKEND in URL: the SQLite file (with its WAL files) or the PostgreSQL
# database of the last import is removed first.
fresh() {
    rm -f "$WORK"/sqlite.db*
    if [[ $1 == postgres && -n $PG_CREATED ]]; then
        psql -q -d postgres -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null
        PG_CREATED=
    fi
    database "$1"
}

# The figure /usr/bin/time -v printed after LABEL in LOG.
timed() {
    sed -n "s/^[[:space:]]*$1: //p" "$2"
}

# Seconds from /usr/bin/time's h:mm:ss or m:ss.ss.
seconds() {
    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.1f", s }' <<<"$1"
}

ROWS=()
for round in $(seq "$ROUNDS"); do
    for backend in $BACKENDS; do
        for bin in "${BUILDS[@]}"; do
            fresh "$backend" || continue
            for run in first second; do
                echo "== round $round, $backend, $bin: $run import ($STARTUPS startups)" >&2
                log=$WORK/$run.log
                RUST_LOG=warn /usr/bin/time -v "$bin" --database "$URL" import "$TREE" 2>"$log" || {
                    cat "$log" >&2
                    exit 1
                }
                grep '^import:' "$log" >&2
                elapsed=$(seconds "$(timed 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$log")")
                cpu=$(awk '/User time|System time/ { s += $NF } END { printf "%.1f", s }' "$log")
                rss=$(( $(timed 'Maximum resident set size (kbytes)' "$log") / 1024 ))
                echo "elapsed ${elapsed} s, CPU ${cpu} s, peak RSS ${rss} MiB" >&2
                ROWS+=("| $round | $backend | \`$bin\` | $run | $elapsed s | $cpu s | $rss MiB |")
            done
            if [[ $backend == sqlite ]]; then ls -l "$URL" >&2; fi
        done
    done
done

echo
echo "| round | backend | build | import | elapsed | CPU (user + system) | peak RSS |"
echo "| ---: | --- | --- | --- | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
