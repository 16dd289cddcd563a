#!/usr/bin/env python3
"""The results of bench/peers.sh: one table, the ratios, and a PASS/FAIL line per target.

    python3 bench/peers_report.py RESULTS.tsv [--rendered] [--strict]

RESULTS.tsv has one row per measurement (no header), tab-separated: size, startups, endpoint,
server, backend, url, answer bytes, connections, requests/s, p50 ms, p99 ms, MB/s, peak RSS MB,
errors, note, 1-minute load, server CPU % (of one core), server CPU ms per answer, round. A value
that was not measured is `-`. With --strict the exit status is 1 when a target fails or was not
measured.

The targets checked are issue 7's (betadata as it serves, its response cache on) or, with
--rendered, issue 18's (the cache and the export spool off: every answer rendered).

When a request was measured in several rounds (peers.sh's ROUNDS: every server in turn, then
again), each figure compared is the median over the rounds, and PostgreSQL ÷ SQLite is the
median of each round's ratio: the two figures of one round were taken seconds apart, while two
rounds may fall on different loads of a shared machine.

Whole-collection exports are compared on MB/s rather than requests/s: the bytes are the same,
and MB/s also counts the answers still streaming when the run ends (at 100,000 startups an
export at 32 connections may not finish within the run).
"""

import csv
import statistics
import sys
from dataclasses import dataclass, replace

FIELDS = [
    "size", "startups", "endpoint", "server", "backend", "url", "bytes", "connections",
    "rps", "p50", "p99", "mbs", "rss", "errors", "note", "load", "cpu", "cpu_ms", "round",
]

EXPORTS = {"csv", "csv-1", "ndjson", "v27"}

ENDPOINT_NAMES = {
    "page": "filtered page (20 rows)",
    "item": "item",
    "search": "search (20 rows)",
    "stats": "stats",
    "csv": "CSV export",
    "csv-1": "CSV export, 1 connection",
    "ndjson": "JSON export (NDJSON)",
    "v27": "JSON export (v2.7 startups.json)",
}


@dataclass
class Row:
    size: str
    startups: int
    endpoint: str
    server: str
    backend: str
    url: str
    bytes: str
    connections: str
    rps: float | None
    p50: float | None
    p99: float | None
    mbs: float | None
    rss: float | None
    errors: int | None
    note: str
    load: str
    cpu: float | None
    cpu_ms: float | None
    round: int

    def throughput(self) -> float | None:
        """What is compared: MB/s for an export, requests/s for the rest."""
        return self.mbs if self.endpoint in EXPORTS else self.rps

    @classmethod
    def parse(cls, cells: list[str]) -> "Row":
        if len(cells) != len(FIELDS):
            raise ValueError(f"expected {len(FIELDS)} cells, found {len(cells)}: {cells}")
        v = dict(zip(FIELDS, cells))
        number = lambda text: None if text in ("-", "") else float(text)
        return cls(
            size=v["size"], startups=int(v["startups"]), endpoint=v["endpoint"],
            server=v["server"], backend=v["backend"], url=v["url"], bytes=v["bytes"],
            connections=v["connections"], rps=number(v["rps"]), p50=number(v["p50"]),
            p99=number(v["p99"]), mbs=number(v["mbs"]), rss=number(v["rss"]),
            errors=None if v["errors"] in ("-", "") else int(v["errors"]),
            note=v["note"], load=v["load"], cpu=number(v["cpu"]), cpu_ms=number(v["cpu_ms"]),
            round=int(v["round"]),
        )


def show(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table(rows: list[Row]) -> None:
    print("| endpoint | round | server | backend | startups | answer bytes | conns | req/s "
          "| p50 ms | p99 ms | MB/s | peak RSS MB | CPU % | CPU ms/req | errors | load |")
    print("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
          "| ---: | ---: | --- | ---: |")
    for r in rows:
        errors = "-" if r.errors is None else str(r.errors)
        if r.note:
            errors = f"{errors} ({r.note})"
        print(f"| {ENDPOINT_NAMES.get(r.endpoint, r.endpoint)} | {r.round} | {r.server} | {r.backend} "
              f"| {r.startups:,} | {int(r.bytes or 0):,} | {r.connections} | {show(r.rps)} "
              f"| {show(r.p50, 2)} | {show(r.p99, 2)} | {show(r.mbs)} | {show(r.rss)} "
              f"| {show(r.cpu, 0)} | {show(r.cpu_ms, 3)} | {errors} | {r.load} |")


class Results:
    def __init__(self, rows: list[Row]):
        self.rows = rows

    def rounds_of(self, size: str, endpoint: str, server: str, backend: str) -> list[Row]:
        return [r for r in self.rows
                if (r.size, r.endpoint, r.server, r.backend) == (size, endpoint, server, backend)]

    def find(self, size: str, endpoint: str, server: str, backend: str) -> Row | None:
        """The request's figures on that server: each the median over the rounds, with the
        errors of all rounds; `None` if it was not measured."""
        rounds = self.rounds_of(size, endpoint, server, backend)
        if not rounds:
            return None
        if len(rounds) == 1:
            return rounds[0]

        def median(field: str) -> float | None:
            values = [getattr(r, field) for r in rounds if getattr(r, field) is not None]
            return statistics.median(values) if values else None

        errors = [r.errors for r in rounds if r.errors is not None]
        return replace(
            rounds[0], rps=median("rps"), p50=median("p50"), p99=median("p99"),
            mbs=median("mbs"), rss=median("rss"), cpu=median("cpu"), cpu_ms=median("cpu_ms"),
            errors=sum(errors) if errors else None,
            note="; ".join(f"round {r.round}: {r.note}" for r in rounds if r.note),
            load="/".join(r.load for r in rounds), round=0)

    def postgres_ratios(self, size: str, endpoint: str) -> list[float]:
        """PostgreSQL's throughput ÷ SQLite's, one a round in which both answered something."""
        sqlite = {r.round: r.throughput() for r in self.rounds_of(size, endpoint, "betadata", "sqlite")}
        found = []
        for r in self.rounds_of(size, endpoint, "betadata", "postgres"):
            value = ratio(r.throughput(), sqlite.get(r.round))
            if value is not None:
                found.append(value)
        return found

    def postgres_ratio(self, size: str, endpoint: str) -> float | None:
        """The median of [`postgres_ratios`]: `None` when no round measured both."""
        found = self.postgres_ratios(size, endpoint)
        return statistics.median(found) if found else None

    def rounds(self) -> int:
        return max(r.round for r in self.rows)

    def sizes(self) -> list[str]:
        return sorted({r.size for r in self.rows}, key=lambda s: ["small", "large"].index(s))

    def startups(self, size: str) -> int | None:
        return next((r.startups for r in self.rows if r.size == size), None)


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def ratios(results: Results) -> None:
    rounds = results.rounds()
    over = f", each the median of {rounds} rounds" if rounds > 1 else ""
    for size in results.sizes():
        print(f"\n{size}, {results.startups(size):,} startups: betadata on SQLite against the "
              f"others (requests/s; exports: MB/s{over})")
        spread = " | PostgreSQL ÷ SQLite, each round" if rounds > 1 else ""
        print(f"\n| endpoint | betadata SQLite | % of nginx | × Datasette | PostgreSQL ÷ SQLite{spread} |")
        print("| --- | ---: | ---: | ---: | ---: |" + (" ---: |" if rounds > 1 else ""))
        for endpoint, name in ENDPOINT_NAMES.items():
            ours = results.find(size, endpoint, "betadata", "sqlite")
            if ours is None:
                continue
            nginx = results.find(size, endpoint, "nginx", "static")
            datasette = results.find(size, endpoint, "datasette", "sqlite")
            ours_value = ours.throughput()
            of_nginx = ratio(ours_value, nginx.throughput() if nginx else None)
            times = ratio(ours_value, datasette.throughput() if datasette else None)
            pg = results.postgres_ratio(size, endpoint)
            unit = "MB/s" if endpoint in EXPORTS else "req/s"
            each = ""
            if rounds > 1:
                each = " | " + (", ".join(f"{r:.2f}" for r in results.postgres_ratios(size, endpoint)) or "-")
            print(f"| {name} | {show(ours_value)} {unit} "
                  f"| {'-' if of_nginx is None else f'{of_nginx * 100:.1f} %'} "
                  f"| {'-' if times is None else f'{times:.1f}×'} "
                  f"| {'-' if pg is None else f'{pg:.2f}'}{each} |")


class Verdicts:
    def __init__(self):
        self.lines: list[tuple[str, str, str]] = []

    def add(self, verdict: str, target: str, measured: str) -> None:
        self.lines.append((verdict, target, measured))

    def check(self, passed: bool, target: str, measured: str, ours: Row | None = None) -> None:
        if ours is not None and ours.errors:
            self.add("FAIL", target, f"{measured}; {ours.errors} errors in that run")
        else:
            self.add("PASS" if passed else "FAIL", target, measured)

    def missing(self, target: str, what: str) -> None:
        self.add("NOT MEASURED", target, what)

    def print(self) -> None:
        for verdict, target, measured in self.lines:
            print(f"{verdict:<12}  {target}: {measured}")

    def all_passed(self) -> bool:
        return all(verdict == "PASS" for verdict, _, _ in self.lines)


def against_peer(v: Verdicts, results: Results, size: str, endpoint: str, peer: str,
                 target: str, at_least: float, as_percent: bool) -> None:
    peer_backend = "static" if peer == "nginx" else "sqlite"
    ours = results.find(size, endpoint, "betadata", "sqlite")
    theirs = results.find(size, endpoint, peer, peer_backend)
    r = ratio(ours.throughput() if ours else None, theirs.throughput() if theirs else None)
    if r is None:
        v.missing(target, f"needs betadata on SQLite and {peer} at the {size} size")
        return
    shown = f"{r * 100:.1f} %" if as_percent else f"{r:.1f}×"
    unit = "MB/s" if endpoint in EXPORTS else "req/s"
    v.check(r >= at_least, target,
            f"{shown} ({show(ours.throughput())} {unit} against {show(theirs.throughput())})", ours)


def within_twice(v: Verdicts, results: Results, endpoints: dict[str, str]) -> None:
    """PostgreSQL within 2× of SQLite on each of `endpoints`, at each size: the median of the
    rounds' ratios (exports on MB/s)."""
    for size in results.sizes():
        count = f"{results.startups(size):,} startups"
        target = f"{count}: PostgreSQL within 2× of SQLite (every endpoint; exports on MB/s)"
        pairs = []
        for endpoint, name in endpoints.items():
            sqlite = results.find(size, endpoint, "betadata", "sqlite")
            postgres = results.find(size, endpoint, "betadata", "postgres")
            if sqlite and postgres:
                pg = results.postgres_ratio(size, endpoint)
                pairs.append((name, None if not pg else 1 / pg, postgres))
        if not pairs:
            v.missing(target, "needs betadata on both backends")
            continue
        unknown = [name for name, r, _ in pairs if r is None]
        if unknown:
            v.add("FAIL", target, f"PostgreSQL answered nothing for {', '.join(unknown)}")
            continue
        name, worst, row = max(pairs, key=lambda p: p[1])
        errors = sum(row.errors or 0 for _, _, row in pairs)
        verdict = "PASS" if worst <= 2 and errors == 0 else "FAIL"
        extra = f"; {errors} errors on PostgreSQL" if errors else ""
        over = []
        for other, r, _ in pairs:
            if r > 2:
                over.append(f"{other} {r:.2f}×")
        beyond = f"; beyond 2×: {', '.join(over)}" if over else ""
        v.add(verdict, target, f"slowest relative to SQLite: {name}, SQLite {worst:.2f}× "
              f"PostgreSQL's{extra}{beyond}")


def page_p99_under(v: Verdicts, results: Results, limit: float) -> None:
    """The filtered page's p99 on SQLite at the large size under `limit` ms."""
    large = f"{results.startups('large'):,} startups" if results.startups("large") else "100,000 startups"
    page = results.find("large", "page", "betadata", "sqlite")
    target = f"SQLite, {large}: filtered page p99 < {limit:g} ms"
    if page is None or page.p99 is None:
        v.missing(target, "needs betadata on SQLite at the large size")
    else:
        v.check(page.p99 < limit, target, f"p99 {page.p99:.2f} ms", page)


def targets(results: Results) -> Verdicts:
    v = Verdicts()
    small = f"~{results.startups('small'):,} startups" if results.startups("small") else "~1,000 startups"
    large = f"{results.startups('large'):,} startups" if results.startups("large") else "100,000 startups"
    against_peer(v, results, "small", "page", "datasette",
                 f"SQLite, {small}: filtered page ≥ 50× Datasette's req/s", 50, False)
    against_peer(v, results, "small", "page", "nginx",
                 f"SQLite, {small}: filtered page ≥ 25 % of nginx's req/s", 0.25, True)
    for endpoint in ("ndjson", "v27"):
        against_peer(v, results, "small", endpoint, "nginx",
                     f"SQLite, {small}: {ENDPOINT_NAMES[endpoint]} ≥ 25 % of nginx's rate "
                     "(MB/s of the same bytes)", 0.25, True)
    against_peer(v, results, "large", "page", "datasette",
                 f"SQLite, {large}: filtered page ≥ 20× Datasette's req/s", 20, False)
    page_p99_under(v, results, 10)
    for size in results.sizes():
        count = f"{results.startups(size):,} startups"
        csv_row = results.find(size, "csv", "betadata", "sqlite")
        target = f"SQLite, {count}: CSV export ≥ 100 MB/s with peak RSS < 100 MB"
        if csv_row is None or csv_row.mbs is None or csv_row.rss is None:
            v.missing(target, "needs betadata on SQLite")
        else:
            one = results.find(size, "csv-1", "betadata", "sqlite")
            alone = f"; one connection alone: {show(one.mbs)} MB/s" if one and one.mbs else ""
            v.check(csv_row.mbs >= 100 and csv_row.rss < 100, target,
                    f"{show(csv_row.mbs)} MB/s at {csv_row.connections} connections, "
                    f"peak RSS {show(csv_row.rss)} MB{alone}", csv_row)
    within_twice(v, results, ENDPOINT_NAMES)
    return v


def rendered_targets(results: Results) -> Verdicts:
    """Issue 18's goals that these requests measure, every answer rendered (the cache and the
    spool off). Goal 4 (p50 of the search and `/stats` at a few connections) is
    bench/rendered.sh's; goal 6 (the cache on) is a run without --rendered."""
    v = Verdicts()
    for size in results.sizes():
        count = f"{results.startups(size):,} startups"
        against_peer(v, results, size, "page", "datasette",
                     f"SQLite, {count}: filtered page ≥ 25× Datasette's req/s", 25, False)
        against_peer(v, results, size, "page", "nginx",
                     f"SQLite, {count}: filtered page ≥ 10 % of nginx's req/s", 0.10, True)
    page_p99_under(v, results, 5)
    large = f"{results.startups('large'):,} startups" if results.startups("large") else "100,000 startups"
    for backend, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        item = results.find("large", "item", "betadata", backend)
        target = f"{name}, {large}: one startup ≥ 15,000 req/s"
        if item is None or item.rps is None:
            v.missing(target, f"needs betadata on {name} at the large size")
        else:
            v.check(item.rps >= 15_000, target, f"{show(item.rps)} req/s", item)
        for endpoint in ("csv", "ndjson"):
            export = results.find("large", endpoint, "betadata", backend)
            target = f"{name}, {large}: {ENDPOINT_NAMES[endpoint]} ≥ 100 MB/s, peak RSS < 100 MB"
            if export is None or export.mbs is None or export.rss is None:
                v.missing(target, f"needs betadata on {name} at the large size")
                continue
            one = results.find("large", f"{endpoint}-1", "betadata", backend)
            alone = f"; one download alone: {show(one.mbs)} MB/s" if one and one.mbs else ""
            passed = export.mbs >= 100 and export.rss < 100 and (one is None or (one.mbs or 0) >= 100)
            v.check(passed, target, f"{show(export.mbs)} MB/s at {export.connections} connections, "
                    f"peak RSS {show(export.rss)} MB{alone}", export)
    within_twice(v, results, {e: n for e, n in ENDPOINT_NAMES.items() if e != "v27"})
    return v


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if a not in ("--strict", "--rendered")]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(args[0], newline="", encoding="utf-8") as f:
            rows = [Row.parse(cells) for cells in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if cells]
    except (OSError, ValueError) as e:
        print(f"{args[0]}: {e}", file=sys.stderr)
        return 2
    if not rows:
        print(f"{args[0]}: no measurement", file=sys.stderr)
        return 2
    results = Results(rows)
    table(rows)
    ratios(results)
    if "--rendered" in argv:
        print("\nGoals of issue 18, every answer rendered (2 cores, 32 connections):\n")
        verdicts = rendered_targets(results)
    else:
        print("\nTargets of issue 7 (2 cores, 32 connections):\n")
        verdicts = targets(results)
    verdicts.print()
    if "--strict" in argv and not verdicts.all_passed():
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
