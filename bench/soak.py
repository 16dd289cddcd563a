#!/usr/bin/env python3
"""Mixed reads and writes against a running betadata server for a bounded time, then a check,
through the API, that every acknowledged write is stored and nothing else was.

    bench/soak.py BASE_URL TOKEN SERVER_PID DURATION_SECONDS

Started by bench/soak.sh, which owns the server. Readers cycle through lists, items, exports,
statistics and the change feed; writers create startups, post a phase to each startup they
created, and post batches of observations to a metric of their own, every POST with a unique
Idempotency-Key (one in ten is sent twice: the replay must be answered alike and write
nothing). Writers are paced to WRITE_RATE write requests a second between them (20), readers
are not. The server's RSS is sampled every RSS_EVERY seconds (5). Exit status 1 on any 5xx,
any unexpected answer, a lost or extra write, or the highest RSS of the last minute exceeding
the highest of the first minute by more than RSS_GROWTH_MIB (32): the first minute's peak is
taken, not its mean, so that the caches filling up at the start do not count as growth.
Environment: READERS (4), WRITERS (4), BATCH (10), WRITE_RATE (20).
"""

import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

BASE, TOKEN, PID, DURATION = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
READERS = int(os.environ.get("READERS", "4"))
WRITERS = int(os.environ.get("WRITERS", "4"))
BATCH = int(os.environ.get("BATCH", "10"))
WRITE_RATE = float(os.environ.get("WRITE_RATE", "20"))
RSS_EVERY = float(os.environ.get("RSS_EVERY", "5"))
RSS_GROWTH_MIB = float(os.environ.get("RSS_GROWTH_MIB", "32"))
RUN = f"{os.getpid()}-{int(time.time())}"

lock = threading.Lock()
statuses = Counter()  # (kind, status class) -> count
failures = []  # text of each 5xx or unexpected answer, kept to 20
written = Counter()  # kind -> acknowledged writes


def fail(message):
    with lock:
        if len(failures) < 20:
            failures.append(message)
        statuses[("failure", "x")] += 1


def request(method, path, body=None, key=None, accept=None):
    """(status, headers, bytes); a transport error counts as a failure and gives status 0."""
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
        headers["Authorization"] = f"Bearer {TOKEN}"
    if key:
        headers["Idempotency-Key"] = key
    if accept:
        headers["Accept"] = accept
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    except OSError as error:
        fail(f"{method} {path}: {error}")
        return 0, {}, b""


def expect(kind, method, path, wanted, body=None, key=None, accept=None):
    status, headers, payload = request(method, path, body, key, accept)
    with lock:
        statuses[(kind, f"{status // 100}xx")] += 1
    if status and status not in wanted:
        fail(f"{method} {path}: {status} {payload[:300]!r}")
        return None
    return payload if status else None


def get_json(path):
    payload = expect("setup", "GET", path, (200,))
    if payload is None:
        raise SystemExit(f"soak: GET {path} failed: {failures}")
    return json.loads(payload)


def all_changes(since):
    """Every change after `since`, following the pages."""
    changes, path = [], f"/api/v1/changes?since={since}&page_size=1000"
    while path:
        page = get_json(path)
        changes.extend(page["data"])
        following = page["links"].get("next")
        path = following[following.index("/api/") :] if following else None
    return changes


stop = threading.Event()
created = []  # startup ids acknowledged, shared with the readers
phased = set()
observed = Counter()  # metric id -> observations acknowledged
metrics = []


def reader(number):
    rng = random.Random(number)
    paths = [
        "/api/v1/startups?page_size=20",
        "/api/v1/startups?phase=construction&page_size=50",
        "/api/v1/startups?q=soak&page_size=20",
        "/api/v1/startups?format=csv",
        "/api/v1/incubators",
        "/api/v1/stats",
        "/api/v1/stats/outcomes?by=cohort",
        "/api/v1/changes?page_size=100",
        "/compat/v2.7/startups.json",
    ]
    while not stop.is_set():
        with lock:
            item = rng.choice(created) if created else None
            metric = rng.choice(metrics) if metrics else None
        choice = rng.randrange(len(paths) + 2)
        if choice < len(paths):
            path = paths[choice]
        elif choice == len(paths) and item:
            path = f"/api/v1/startups/{item}"
        elif metric:
            path = f"/api/v1/metrics/{metric}/observations?page_size=100"
        else:
            continue
        expect("read", "GET", path, (200,))


def writer(number, incubator):
    rng = random.Random(1000 + number)
    own = []
    metric = None
    day = 0
    serial = 0
    pause = WRITERS / WRITE_RATE
    due = time.monotonic()
    while not stop.is_set():
        due += pause
        time.sleep(max(0.0, due - time.monotonic()))
        serial += 1
        key = f"soak-{RUN}-{number}-{serial}"
        replay = rng.random() < 0.1
        unphased = [s for s in own if s not in phased]
        roll = rng.random()
        if roll < 0.4 or not own:
            startup = f"soak-{number}-{serial}"
            body = {
                "id": startup,
                "name": f"Soak {number} {serial}",
                "incubator": incubator,
                "pitch": "A startup written by the soak run",
                "phases": [{"phase": "investigation", "start": "2025-01-06"}],
            }
            sends = 2 if replay else 1
            for _ in range(sends):
                if expect("create", "POST", "/api/v1/startups", (201,), body, key) is None:
                    break
            else:
                own.append(startup)
                with lock:
                    created.append(startup)
                    written["startup"] += 1
                if metric is None:
                    metric = f"soak-metric-{number}"
                    body = {"id": metric, "label": "Soak", "unit": "u"}
                    path = f"/api/v1/startups/{startup}/metrics"
                    if expect("metric", "POST", path, (201,), body, key + "-m") is None:
                        metric = None
                    else:
                        with lock:
                            metrics.append(metric)
                            written["metric"] += 1
        elif roll < 0.7 and unphased:
            startup = rng.choice(unphased)
            body = {"phase": "construction", "start": "2025-06-02"}
            path = f"/api/v1/startups/{startup}/phases"
            sends = 2 if replay else 1
            for _ in range(sends):
                if expect("phase", "POST", path, (201,), body, key) is None:
                    break
            else:
                with lock:
                    phased.add(startup)
                    written["phase"] += 1
        elif metric:
            batch = []
            for _ in range(BATCH):
                day += 1
                date = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
                batch.append({"date": date, "value": rng.randrange(1_000_000)})
            path = f"/api/v1/metrics/{metric}/observations"
            sends = 2 if replay else 1
            for _ in range(sends):
                if expect("observations", "POST", path, (200,), batch, key) is None:
                    break
            else:
                with lock:
                    observed[metric] += len(batch)
                    written["observation"] += len(batch)
                    written["batch"] += 1


def rss_kib():
    with open(f"/proc/{PID}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    incubator = get_json("/api/v1/incubators?page_size=1")["data"][0]["id"]
    startups_before = get_json("/api/v1/startups?page_size=1")["meta"]["total"]
    before = all_changes(0)
    since = max((c["seq"] for c in before), default=0)

    samples = []  # (seconds since start, RSS KiB)
    started = time.monotonic()
    threads = [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
    threads += [threading.Thread(target=writer, args=(n, incubator)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    while (elapsed := time.monotonic() - started) < DURATION:
        samples.append((elapsed, rss_kib()))
        time.sleep(min(RSS_EVERY, max(0.0, DURATION - elapsed)))
    stop.set()
    for thread in threads:
        thread.join()
    samples.append((time.monotonic() - started, rss_kib()))
    seconds = time.monotonic() - started

    # Every acknowledged write is there, and nothing else.
    ok = True
    total = get_json("/api/v1/startups?page_size=1")["meta"]["total"]
    if total != startups_before + written["startup"]:
        ok = False
        print(f"LOST: {total} startups, expected {startups_before} + {written['startup']}")
    changes = Counter((c["resource"], c["action"]) for c in all_changes(since))
    expected = Counter(
        {
            ("startup", "create"): written["startup"],
            ("startup", "update"): written["phase"],
            ("metric", "create"): written["metric"],
            ("observation", "create"): written["observation"],
        }
    )
    expected = +expected
    if changes != expected:
        ok = False
        print(f"LOST OR EXTRA: the change feed holds {dict(changes)}, expected {dict(expected)}")
    for metric, count in observed.items():
        stored = get_json(f"/api/v1/metrics/{metric}/observations?page_size=1")["meta"]["total"]
        if stored != count:
            ok = False
            print(f"LOST: metric {metric} holds {stored} observations, {count} acknowledged")
    with lock:
        created_ids = list(created)
    for startup in created_ids:
        phases = get_json(f"/api/v1/startups/{startup}")["phases"]
        if len(phases) != (2 if startup in phased else 1):
            ok = False
            print(f"LOST: startup {startup} has {len(phases)} phase(s)")

    reads = sum(n for (kind, _), n in statuses.items() if kind == "read")
    writes = sum(n for (kind, _), n in statuses.items() if kind not in ("read", "setup", "failure"))
    print(f"duration {seconds:.0f} s, {READERS} readers, {WRITERS} writers")
    print(f"reads {reads} ({reads / seconds:.0f}/s), write requests {writes} ({writes / seconds:.1f}/s)")
    print("answers by kind: " + ", ".join(f"{k} {c} {n}" for (k, c), n in sorted(statuses.items())))
    print(
        f"acknowledged: {written['startup']} startups, {written['phase']} phases, "
        f"{written['metric']} metrics, {written['batch']} batches = {written['observation']} observations"
    )
    print(f"checked: {total} startups (meta.total), change feed {dict(changes)}")

    rss = [kib for _, kib in samples]
    first = [kib for t, kib in samples if t <= 60]
    last = [kib for t, kib in samples if t >= seconds - 60]
    growth = (max(last) - max(first)) / 1024
    print(
        f"RSS MiB: start {rss[0] / 1024:.1f}, peak {max(rss) / 1024:.1f}, end {rss[-1] / 1024:.1f}; "
        f"peak of the first minute {max(first) / 1024:.1f}, of the last {max(last) / 1024:.1f} "
        f"(growth {growth:+.1f}, bound {RSS_GROWTH_MIB}); {len(rss)} samples"
    )
    if growth > RSS_GROWTH_MIB:
        ok = False
        print(f"RSS GREW by {growth:.1f} MiB, more than {RSS_GROWTH_MIB}")
    if failures:
        ok = False
        print(f"{statuses[('failure', 'x')]} FAILED request(s), the first ones:")
        for failure in failures:
            print("  " + failure)
    print("soak: OK" if ok else "soak: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
