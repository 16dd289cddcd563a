#!/usr/bin/env bash
# The analysts' kinds of request, each answered by two or more builds on the same generated
# data, one request after the other: the same bytes from every build (or the line says
# DIFFERENT and the script fails at the end), and each build's median time over one keep-alive
# connection, the response cache and the export spool off. For a change to statements or
# indexes, whose plans depend on the values asked: the bytes must not move, and a request
# that gets slower shows here before an analyst meets it.
#
#   BINS="/tmp/betadata-before target/release/betadata" bench/same_answers.sh
#   STARTUPS=2000 SKIP_PG=1 BINS="…" bench/same_answers.sh   # quick, SQLite alone
#
# For each backend: generates a database with the first build (`betadata generate`, 10
# observations a startup), picks through the API the incubators hosting the most and the
# fewest startups, a startup and one of its metrics, then gives each build its own copy of the
# database (a build that migrates at start leaves the others' as generated) and, for each
# request of the list below, checks its status and bytes (its own address taken out) and
# times REPEAT requests after one not counted. Prints, per request, each build's median in
# ms and its ratio to the first build's.
#
# Environment: BINS (required: two or more betadata binaries), STARTUPS (100000), SEED (1),
# REPEAT (9), SKIP_PG (1 skips PostgreSQL), PGHOST (127.0.0.1), PGPORT (5432), PGUSER
# (postgres), RUST_LOG (warn). Needs curl, jq, python3.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

STARTUPS=${STARTUPS:-100000}
SEED=${SEED:-1}
REPEAT=${REPEAT:-9}
SKIP_PG=${SKIP_PG:-}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGCONNECT_TIMEOUT=5
export RUST_LOG=${RUST_LOG:-warn}

# shellcheck source=bench/args.sh
source bench/args.sh "$@"

for tool in curl jq python3; do
    command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }
done
builds "${BINS:-}"
((${#BUILDS[@]} >= 2)) || { echo "BINS must name two or more builds" >&2; exit 2; }

WORK=$(mktemp -d -t betadata-same.XXXXXX)
PG_DB=betadata_same_$$
# shellcheck source=bench/lib.sh
source bench/lib.sh

# The requests, with INCUBATOR, SMALL (the incubator hosting the fewest startups), STARTUP and
# METRIC put in: every filter of the startups' list alone and combined, common and rare
# phases, past days, sorts, searches, one startup and its relations, metrics, observations,
# the statistics and the changes feed.
REQUESTS='
/api/v1/startups?page_size=20
/api/v1/startups?phase=construction&incubator=INCUBATOR&page_size=20
/api/v1/startups?phase=construction&incubator=SMALL&page_size=20
/api/v1/startups?phase=abandon-investigation&page_size=20
/api/v1/startups?phase=opere&incubator=SMALL&page_size=20
/api/v1/startups?phase=construction,investigation&incubator=INCUBATOR&page_size=20
/api/v1/startups?incubator=SMALL&page_size=20
/api/v1/startups?sponsor=ademe&page_size=20
/api/v1/startups?sponsor=ademe&phase=investigation&page_size=20
/api/v1/startups?created_before=2012-01-01&page_size=20
/api/v1/startups?created_before=2016-01-01&incubator=INCUBATOR&page_size=20
/api/v1/startups?created_after=2025-11-01&page_size=20
/api/v1/startups?created_after=2018-01-01&created_before=2018-02-01&page_size=20
/api/v1/startups?created_after=2025-06-01&phase=construction&page_size=20
/api/v1/startups?as_of=2015-01-01&page_size=20
/api/v1/startups?as_of=2015-01-01&phase=construction&page_size=20
/api/v1/startups?as_of=2020-06-30&phase=acceleration&incubator=INCUBATOR&page_size=20
/api/v1/startups?as_of=2024-06-30&phase=investigation&page_size=20
/api/v1/startups?sort=name&page_size=20
/api/v1/startups?sort=-created&page_size=20
/api/v1/startups?sort=created&phase=consolidation&page_size=20
/api/v1/startups?sort=-updated&incubator=SMALL&page_size=20
/api/v1/startups?q=emploi&page_size=20
/api/v1/startups?q=emploi&phase=construction&page_size=20
/api/v1/startups?q=emploi&created_before=2014-01-01&page_size=20
/api/v1/startups?q=sant%C3%A9%20num%C3%A9rique&page_size=20
/api/v1/startups?fields=id,name&phase=construction&page_size=100
/api/v1/startups?phase=construction&incubator=INCUBATOR&format=csv
/api/v1/incubators/INCUBATOR/startups?phase=construction&page_size=20
/api/v1/startups/STARTUP
/api/v1/startups/STARTUP?as_of=2020-01-01
/api/v1/startups/STARTUP/phases
/api/v1/startups/STARTUP/metrics
/api/v1/startups/STARTUP/history
/api/v1/phase-history?phase=opere&page_size=20
/api/v1/phase-history?startup=STARTUP
/api/v1/metrics?startup=STARTUP
/api/v1/metrics/METRIC/observations?page_size=20
/api/v1/metrics/METRIC/observations?from=2024-01-01&to=2024-03-01
/api/v1/metrics/METRIC/observations?granularity=month&agg=sum
/api/v1/observations?metric=METRIC&page_size=20
/api/v1/observations?page_size=20
/api/v1/stats
/api/v1/stats?as_of=2015-01-01
/api/v1/stats?as_of=2020-06-30
/api/v1/stats?incubator=SMALL
/api/v1/stats?incubator=INCUBATOR&as_of=2019-01-01
/api/v1/stats/phase-durations?incubator=SMALL&since=2024-01-01
/api/v1/stats/outcomes?by=cohort
/api/v1/stats/outcomes?by=incubator&as_of=2018-01-01
/api/v1/changes?since=1&page_size=20
/api/v1/changes?page_size=20
/api/v1/incubators/INCUBATOR
/api/v1/organisations?page_size=20
'

# time_requests FILE OUT: for each path of FILE, "status sha median_ms" of REPEAT requests
# after one, over one connection to $BASE; the answer's bytes with $BASE taken out.
time_requests() {
    python3 - "$1" "$2" "$BASE" "$REPEAT" <<'EOF'
import hashlib, http.client, statistics, sys, time, urllib.parse
paths, out, base, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
host = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
with open(paths) as lines, open(out, "w") as results:
    for path in (line.strip() for line in lines):
        if not path:
            continue
        took = []
        for i in range(repeat + 1):
            started = time.perf_counter()
            conn.request("GET", path)
            answer = conn.getresponse()
            body = answer.read()
            if i:
                took.append((time.perf_counter() - started) * 1000)
        digest = hashlib.sha256(body.replace(base.encode(), b"")).hexdigest()[:12]
        results.write(f"{answer.status} {digest} {statistics.median(took):.2f}\n")
EOF
}

bench_backend() {
    local backend=$1 url
    generated "$backend" "${BUILDS[0]}" || return 0
    url=$URL
    serve "${BUILDS[0]}" "$url"
    local incubator small startup metric
    incubator=$(curl -sf "$BASE/api/v1/stats" |
        jq -r '.startups_by_incubator | to_entries | max_by(.value) | .key')
    small=$(curl -sf "$BASE/api/v1/stats" |
        jq -r '.startups_by_incubator | to_entries | min_by(.value) | .key')
    startup=$(curl -sf "$BASE/api/v1/startups?incubator=$incubator&page_size=1" | jq -r '.data[0].id')
    metric=$(curl -sf "$BASE/api/v1/metrics?startup=$startup&page_size=1" | jq -r '.data[0].id')
    stop_server
    sed -e "s/SMALL/$small/g; s/INCUBATOR/$incubator/g; s/STARTUP/$startup/g; s/METRIC/$metric/g" \
        <<<"$REQUESTS" | sed '/^$/d' >"$WORK/paths"
    local n=0
    for bin in "${BUILDS[@]}"; do
        copy_database "$url" "$n"
        serve "$bin" "$COPY_URL"
        time_requests "$WORK/paths" "$WORK/times-$n"
        stop_server
        n=$((n + 1))
    done
    printf '\n## %s, %s startups: median ms of %s requests, one connection\n\n' \
        "$backend" "$STARTUPS" "$REPEAT"
    python3 - "$WORK/paths" "${#BUILDS[@]}" "$WORK" "${BUILDS[@]}" <<'EOF'
import sys
paths = [p.strip() for p in open(sys.argv[1]) if p.strip()]
count, work, builds = int(sys.argv[2]), sys.argv[3], sys.argv[4:]
times = [[line.split() for line in open(f"{work}/times-{n}")] for n in range(count)]
print("| request | " + " | ".join(f"`{b}`" for b in builds) + " | same bytes |")
print("| --- |" + " ---: |" * count + " --- |")
different = False
for i, path in enumerate(paths):
    first = times[0][i]
    cells = []
    for n in range(count):
        status, digest, ms = times[n][i]
        ratio = "" if n == 0 else f" ({float(ms) / max(float(first[2]), 0.001):.2f}×)"
        cells.append(f"{ms}{ratio}" + ("" if status == "200" else f" [{status}]"))
    same = all(times[n][i][:2] == first[:2] for n in range(count))
    different |= not same
    print(f"| `{path}` | " + " | ".join(cells) + f" | {'yes' if same else 'DIFFERENT'} |")
if different:
    open(f"{work}/different", "w").close()
EOF
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_backend sqlite
bench_backend postgres
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -e $WORK/different ]]; then
    echo "some build answered other bytes than the first one (marked DIFFERENT above)" >&2
    exit 1
fi
