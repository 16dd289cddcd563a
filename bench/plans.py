#!/usr/bin/env python3
"""Single requests, one after the other, against servers of the same data: the median time of
each of ~30 requests (every filter, sort, search and statistic an analyst sends), to see which
query plans a change makes faster or slower. Each server is asked REPS times per request; the
bodies must be the same on every server (their own address taken out).

    bench/plans.py http://127.0.0.1:8411 http://127.0.0.1:8412 [...]

Serve the servers with `--cache-mib 0 --spool-mib 0` so that every answer is rendered. The
ids in the requests (an incubator, a startup) are read from the first server.
"""
import hashlib
import json
import os
import statistics
import sys
import time
import urllib.request

REPS = int(os.environ.get("REPS", "5"))


def get(url):
    started = time.perf_counter()
    with urllib.request.urlopen(url) as answer:
        body = answer.read()
    return time.perf_counter() - started, body


def requests(base):
    incubator = json.loads(get(base + "/api/v1/incubators?page_size=1")[1])["data"][0]["id"]
    first = f"/api/v1/startups?phase=construction&incubator={incubator}&page_size=20"
    startup = json.loads(get(base + first)[1])["data"][0]["id"]
    return [
        first,
        f"/api/v1/startups/{startup}",
        "/api/v1/startups?page_size=20",
        "/api/v1/startups?q=emploi&page_size=20",
        "/api/v1/startups?q=cha%20ann%20mil%20inc%20ser%20con%20app%20ave&page_size=20",
        "/api/v1/startups?q=ser&sort=-updated&page_size=20",
        "/api/v1/startups?sort=-name&page_size=20",
        "/api/v1/startups?sort=-updated&page_size=20",
        "/api/v1/startups?sort=created&page_size=20",
        f"/api/v1/startups?incubator={incubator}&sort=-created&page_size=20",
        "/api/v1/startups?phase=investigation,construction,acceleration&page_size=20",
        "/api/v1/startups?usertype=etudiant&thematique=Sant%C3%A9&page_size=20",
        "/api/v1/startups?created_after=2015-01-01&created_before=2024-12-31&page_size=20",
        "/api/v1/startups?as_of=2020-06-30&page_size=20",
        "/api/v1/startups?as_of=2020-06-30&phase=construction&page_size=20",
        "/api/v1/startups?sponsor=dinum&page_size=20",
        "/api/v1/stats",
        "/api/v1/stats?as_of=2020-06-30",
        f"/api/v1/stats?incubator={incubator}",
        "/api/v1/stats/outcomes?by=incubator",
        "/api/v1/stats/outcomes?by=cohort",
        "/api/v1/stats/phase-durations",
        "/api/v1/phase-history?page_size=20",
        "/api/v1/phase-history?phase=construction&page_size=20",
        "/api/v1/observations?page_size=20",
        "/api/v1/metrics?page_size=20",
        f"/api/v1/metrics?startup={startup}",
        f"/api/v1/incubators/{incubator}",
        "/api/v1/changes?page_size=20",
    ]


def main(bases):
    if not bases:
        sys.exit(__doc__)
    names = " | ".join(f"server {i + 1} ms" for i in range(len(bases)))
    print(f"| request | {names} | same bytes |")
    print("| --- |" + " ---: |" * len(bases) + " --- |")
    for path in requests(bases[0]):
        medians, digests = [], set()
        for base in bases:
            times = []
            for _ in range(REPS):
                took, body = get(base + path)
                times.append(took)
            digests.add(hashlib.sha256(body.replace(base.encode(), b"")).hexdigest())
            medians.append(f"{statistics.median(times) * 1000:.1f}")
        same = "yes" if len(digests) == 1 else "DIFFERENT"
        print(f"| `{path.removeprefix('/api/v1')}` | {' | '.join(medians)} | {same} |")


if __name__ == "__main__":
    main(sys.argv[1:])
