#!/usr/bin/env python3
"""Tests of bench/peers_report.py: medians over rounds, each round's PostgreSQL ÷ SQLite, and
issue 18's verdicts.

    python3 -m unittest bench/test_peers_report.py
"""

import io
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import peers_report  # noqa: E402


def row(endpoint: str, server: str, backend: str, rps: float, round_number: int,
        size: str = "large", startups: int = 100_000, p99: float = 4.0, mbs: float = 1.0,
        rss: float = 50.0, errors: int = 0) -> list[str]:
    return [size, str(startups), endpoint, server, backend, "http://x/", "1000", "32",
            f"{rps}", "1.00", f"{p99}", f"{mbs}", f"{rss}", str(errors), "", "1.0", "90",
            "0.100", str(round_number)]


class Rounds(unittest.TestCase):
    def results(self, rows: list[list[str]]) -> peers_report.Results:
        return peers_report.Results([peers_report.Row.parse(cells) for cells in rows])

    def test_one_round_is_the_row_itself(self):
        results = self.results([row("item", "betadata", "sqlite", 100.0, 1)])
        self.assertEqual(results.find("large", "item", "betadata", "sqlite").rps, 100.0)
        self.assertIsNone(results.find("large", "item", "betadata", "postgres"))

    def test_figures_are_the_medians_over_the_rounds(self):
        results = self.results([
            row("item", "betadata", "sqlite", 100.0, 1, p99=3.0, errors=1),
            row("item", "betadata", "sqlite", 300.0, 2, p99=9.0),
            row("item", "betadata", "sqlite", 200.0, 3, p99=4.0, errors=2),
        ])
        found = results.find("large", "item", "betadata", "sqlite")
        self.assertEqual((found.rps, found.p99, found.errors), (200.0, 4.0, 3))

    def test_postgres_is_compared_round_by_round(self):
        # SQLite's round 2 fell on a busy machine, and so did PostgreSQL's round 3: the ratio of
        # the medians (100 ÷ 300) is not what any round measured.
        results = self.results([
            row("item", "betadata", "sqlite", 400.0, 1),
            row("item", "betadata", "postgres", 100.0, 1),
            row("item", "betadata", "sqlite", 200.0, 2),
            row("item", "betadata", "postgres", 150.0, 2),
            row("item", "betadata", "sqlite", 300.0, 3),
            row("item", "betadata", "postgres", 60.0, 3),
        ])
        self.assertEqual(results.postgres_ratios("large", "item"), [0.25, 0.75, 0.2])
        self.assertEqual(results.postgres_ratio("large", "item"), 0.25)

    def test_a_round_without_sqlite_is_not_compared(self):
        results = self.results([
            row("item", "betadata", "postgres", 200.0, 1),
            row("item", "betadata", "sqlite", 300.0, 2),
            row("item", "betadata", "postgres", 240.0, 2),
        ])
        self.assertEqual(results.postgres_ratios("large", "item"), [0.8])


class RenderedGoals(unittest.TestCase):
    def verdicts(self, rows: list[list[str]]) -> dict[str, tuple[str, str]]:
        results = peers_report.Results([peers_report.Row.parse(cells) for cells in rows])
        return {target: (verdict, measured)
                for verdict, target, measured in peers_report.rendered_targets(results).lines}

    def test_postgres_twice_slower_in_one_round_only_passes(self):
        rows = []
        for n, (sqlite, postgres) in enumerate([(20_000, 16_000), (20_000, 8_000), (18_000, 15_500)], 1):
            rows += [row("item", "betadata", "sqlite", sqlite, n),
                     row("item", "betadata", "postgres", postgres, n)]
        verdicts = self.verdicts(rows)
        within = verdicts["100,000 startups: PostgreSQL within 2× of SQLite (every endpoint; exports on MB/s)"]
        self.assertEqual(within[0], "PASS", within)
        self.assertEqual(verdicts["PostgreSQL, 100,000 startups: one startup ≥ 15,000 req/s"][0], "PASS")
        self.assertEqual(verdicts["SQLite, 100,000 startups: one startup ≥ 15,000 req/s"][0], "PASS")

    def test_postgres_beyond_twice_in_most_rounds_fails_and_is_named(self):
        rows = []
        for n, (sqlite, postgres) in enumerate([(30_000, 14_000), (30_000, 16_000), (30_000, 14_500)], 1):
            rows += [row("item", "betadata", "sqlite", sqlite, n),
                     row("item", "betadata", "postgres", postgres, n),
                     row("page", "betadata", "sqlite", 5_000, n, p99=5.5),
                     row("page", "betadata", "postgres", 4_000, n)]
        verdicts = self.verdicts(rows)
        verdict, measured = verdicts["100,000 startups: PostgreSQL within 2× of SQLite (every endpoint; exports on MB/s)"]
        self.assertEqual(verdict, "FAIL")
        self.assertIn("beyond 2×: item 2.07×", measured)
        self.assertEqual(verdicts["PostgreSQL, 100,000 startups: one startup ≥ 15,000 req/s"][0], "FAIL")
        self.assertEqual(verdicts["SQLite, 100,000 startups: filtered page p99 < 5 ms"][0], "FAIL")

    def test_an_export_is_judged_on_its_rate_and_its_memory(self):
        rows = [row("csv", "betadata", "sqlite", 3.0, 1, mbs=400.0, rss=80.0),
                row("csv-1", "betadata", "sqlite", 1.0, 1, mbs=150.0, rss=40.0),
                row("ndjson", "betadata", "sqlite", 3.0, 1, mbs=400.0, rss=120.0),
                row("csv", "betadata", "postgres", 3.0, 1, mbs=300.0, rss=80.0),
                row("csv-1", "betadata", "postgres", 1.0, 1, mbs=90.0, rss=40.0)]
        verdicts = self.verdicts(rows)
        self.assertEqual(verdicts["SQLite, 100,000 startups: CSV export ≥ 100 MB/s, peak RSS < 100 MB"][0], "PASS")
        self.assertEqual(verdicts["SQLite, 100,000 startups: JSON export (NDJSON) ≥ 100 MB/s, peak RSS < 100 MB"][0], "FAIL")
        self.assertEqual(verdicts["PostgreSQL, 100,000 startups: CSV export ≥ 100 MB/s, peak RSS < 100 MB"][0], "FAIL")


class Report(unittest.TestCase):
    def test_the_report_reads_a_file_and_prints_each_round(self):
        with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8") as f:
            for n in (1, 2, 3):
                f.write("\t".join(row("item", "betadata", "sqlite", 100.0 * n, n, size="small", startups=1000)) + "\n")
                f.write("\t".join(row("item", "betadata", "postgres", 60.0 * n, n, size="small", startups=1000)) + "\n")
        try:
            out = io.StringIO()
            with redirect_stdout(out):
                status = peers_report.main(["peers_report.py", f.name, "--rendered"])
        finally:
            os.unlink(f.name)
        self.assertEqual(status, 0)
        text = out.getvalue()
        self.assertIn("each the median of 3 rounds", text)
        self.assertIn("| item | 200.0 req/s | - | - | 0.60 | 0.60, 0.60, 0.60 |", text)
        self.assertIn("Goals of issue 18", text)

    def test_a_row_of_the_wrong_width_is_refused(self):
        with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8") as f:
            f.write("\t".join(row("item", "betadata", "sqlite", 1.0, 1)[:-1]) + "\n")
        err = io.StringIO()
        try:
            with redirect_stdout(io.StringIO()), redirect_stderr(err):
                status = peers_report.main(["peers_report.py", f.name])
        finally:
            os.unlink(f.name)
        self.assertEqual(status, 2)
        self.assertIn("expected 19 cells, found 18", err.getvalue())


if __name__ == "__main__":
    unittest.main()
