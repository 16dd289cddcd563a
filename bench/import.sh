#!/usr/bin/env bash
# Time `betadata import` of a generated beta.gouv.fr content tree on a fresh SQLite database.
#
#   bench/import.sh                  # 100,000 startup files
#   STARTUPS=2000 bench/import.sh    # a quick run
#   BIN=target/debug/betadata STARTUPS=300 bench/import.sh   # try the script without a release build
#
# Builds the release binary, writes a tree of STARTUPS startup files (plus 20 incubators and
# 40 organisations) under a temporary folder, imports it into a fresh SQLite file under
# /usr/bin/time -v (elapsed time and peak RSS), then imports it again (nothing changes: the
# sync path). Everything it writes is deleted on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

STARTUPS=${STARTUPS:-100000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/betadata-import-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# BIN names another build to time (e.g. target/debug/betadata to try the script quickly).
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=target/release/betadata
fi

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

DB=$WORK/import.db
for run in first second; do
    echo "== $run import ($STARTUPS startups, SQLite)" >&2
    RUST_LOG=warn /usr/bin/time -v "$BIN" --database "$DB" import "$TREE" 2>"$WORK/$run.log" || {
        cat "$WORK/$run.log" >&2
        exit 1
    }
    grep '^import:' "$WORK/$run.log" >&2
    grep -E 'Elapsed \(wall clock\)|Maximum resident' "$WORK/$run.log" >&2
done
ls -l "$DB" >&2
