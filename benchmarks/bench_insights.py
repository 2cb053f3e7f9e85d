"""Insights: a report from the read model over a million cases against a raw SQL aggregate
of the same facts (the cases spread over 40 agents in 5 teams, a third of them tagged); and
peak memory of a report over 10x the demo's cases, against 1x.

The million cases are facts bulk-inserted into SQLite (a year of cases, three measured
steps each, a few root causes, promises and declines), not simulated days.

The baseline is the naive way, in the same run: load the period's cases into a list, then
compute. Peak memory is Python's own allocations while the report is computed
(tracemalloc), with the store already open. What a streamed report holds is bounded but
not tiny: one page of cases with their events (500), a histogram per standard and section,
and the calendar's cache of shared deadlines (4096 entries); 60 days is enough cases to fill
them, so the 10x run shows whether anything else grows.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from closedloop import SQLiteStore, Standards
from closedloop.adapters.read_model import FACT_INSERTS
from closedloop.adapters.rows import us
from closedloop.cli.demo import DEMO_START, run_demo
from closedloop.domain.reports.facts import basis
from closedloop.insights import compute
from closedloop.testing import InMemoryStore


def _peak(work: Callable[[], object]) -> tuple[int, float]:
    tracemalloc.start()
    began = time.perf_counter()
    work()
    elapsed = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, elapsed


def _naive(store: SQLiteStore, days: int) -> object:
    until = DEMO_START + timedelta(days=days)
    held = InMemoryStore()
    cases = list(store.cases_active(DEMO_START, until))  # everything in memory first
    for case in cases:
        held._data.cases[held.tenant, case.id] = case
    return compute(held, DEMO_START, until)


def _synthetic(path: Path, cases: int, seed: int = 1) -> tuple[datetime, datetime]:
    """A SQLite file holding the facts of ``cases`` cases opened over a year, bulk-inserted
    (no events: a report reads facts only). Returns the year."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    year = 365 * 86_400_000_000
    first = us(start)
    channels, priorities = (
        ("email", "phone", "web", "in_store"),
        ("low", "normal", "high", "urgent"),
    )
    kinds = ("complaint", "compliment", "suggestion", "question", "recovery")
    agents = [(f"agent{n}@example.com", f"team {n % 5}") for n in range(40)]
    tags = ("billing", "delivery", "returns", "vip", "web", "app", "store", "refund")
    causes = [f"cause {n}" for n in range(20)]
    labels = (("acknowledge", "acknowledge within 4h business time"),
              ("take_action", "take action within 3 business days"),
              ("close_loop", "close the loop within 5 business days"))  # fmt: skip
    b = basis(Standards())
    with SQLiteStore(path, synchronous="OFF") as store:
        store.close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    insert = list(FACT_INSERTS)
    for chunk in range(0, cases, 50_000):
        rows: tuple[list[tuple[object, ...]], ...] = ([], [], [], [], [], [])
        for n in range(chunk, min(cases, chunk + 50_000)):
            cid = f"c{n:09d}"
            opened = first + rng.randrange(year)
            last = opened + rng.randrange(10 * 86_400_000_000)
            channel, priority, kind = (
                rng.choice(channels),
                rng.choice(priorities),
                rng.choice(kinds),
            )
            r = rng.random()
            ack = None if r < 0.01 else opened + rng.randrange(2 * 86_400_000_000)
            closed = int(r > 0.2)
            owner, team = ("", rng.choice(("", "team 0"))) if r < 0.1 else rng.choice(agents)
            rows[0].append((
                "default", cid, b, opened, last, 0, channel, priority, kind, closed,
                int(closed or r < 0.05), int(r < 0.05), int(r < 0.04), int(r < 0.02),
                int(r < 0.01), rng.randrange(3), rng.randrange(2), rng.randrange(2), 0,
                None if ack is None else min(6, (ack - opened) // 3_600_000_000 // 4),
                int(ack is None), f"customer{n}@example.com", f"subject {n}",
                start.isoformat(), owner, team,
            ))  # fmt: skip
            if rng.random() < 0.3:  # a third of the cases tagged, once or twice
                for tag in sorted(set(rng.choices(tags, k=rng.randrange(1, 3)))):
                    rows[5].append(("default", cid, tag, b, last))
            for seq, (target, label) in enumerate(labels):
                took = rng.randrange(4000)  # a histogram bucket: minutes, then hours
                met = int(rng.random() < 0.85)
                rows[1].append(("default", cid, b, last, opened + took * 60_000_000, seq,
                                channel, priority, kind, target, label, met, took, owner,
                                team))  # fmt: skip
            if r < 0.05:
                rows[2].append(("default", cid, 0, b, last, opened, last, rng.choice(causes),
                                rng.choice((None, "dissatisfier", "satisfier"))))  # fmt: skip
            if r < 0.03:
                kept = int(rng.random() < 0.8)
                rows[3].append(("default", cid, 0, b, last, last, kept, kept, 0))
            if r < 0.02:
                rows[4].append(("default", cid, 0, b, last, last, f"category {n % 10}", "asked",
                                "reason", "staff", start.isoformat()))  # fmt: skip
        with db:
            for sql, table in zip(insert, rows, strict=True):
                db.executemany(sql, table)
    db.execute("ANALYZE")
    db.close()
    return start, start + timedelta(days=366)


def _raw(path: Path, since: datetime, until: datetime) -> object:
    """The baseline: a raw SQL aggregate over the same facts (cases by group, steps by
    standard and time taken), no report around it."""
    db = sqlite3.connect(path)
    low, high = us(since), us(until)
    found = (
        db.execute(
            "SELECT channel, priority, kind, COUNT(*), SUM(closed), SUM(reopened)"
            " FROM case_facts WHERE last_us >= ? AND last_us < ? GROUP BY channel, priority, kind",
            (low, high),
        ).fetchall(),
        db.execute(
            "SELECT target, label, took, COUNT(*), SUM(met) FROM fact_steps"
            " WHERE at_us >= ? AND at_us < ? GROUP BY target, label, took",
            (low, high),
        ).fetchall(),
    )
    db.close()
    return found


def read_model(quick: bool = False) -> None:
    """A report over a million synthetic cases on SQLite, against a raw SQL aggregate."""
    sizes = (10_000, 100_000) if quick else (100_000, 1_000_000)
    print(f"insights: a report from the read model on SQLite, {sizes[0]:,} vs {sizes[1]:,} cases")
    peaks = {}
    with tempfile.TemporaryDirectory() as folder:
        for cases in sizes:
            path = Path(folder) / f"facts-{cases}.db"
            began = time.perf_counter()
            since, until = _synthetic(path, cases)
            built = time.perf_counter() - began
            with SQLiteStore(path) as store:
                report = partial(compute, store, since, until)
                peak, took = _peak(report)
                took = min(took, _timed(report))  # the second run, without tracemalloc
            raw = min(_timed(partial(_raw, path, since, until)) for _ in range(3))
            peaks[cases] = peak
            print(
                f"  {cases:>9,} cases (facts built in {built:.1f}s): report {took:.2f}s "
                f"(target < 10s at 1,000,000), raw SQL aggregate {raw:.2f}s, "
                f"ratio x{took / raw:.2f} (target <= 5), peak {peak / 1e6:.2f} MB"
            )
    print(
        f"  cases x{sizes[1] / sizes[0]:.0f}: peak memory x{peaks[sizes[1]] / peaks[sizes[0]]:.2f}"
        " (target <= 1.5)"
    )


def _timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def run(quick: bool = False) -> None:
    read_model(quick)
    print()
    small = 12 if quick else 60
    print(f"insights: peak memory computing a report, {small} vs {10 * small} simulated days")
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for days in (small, 10 * small):
            db = Path(folder) / f"demo-{days}.db"
            made = run_demo(db, days=days, seed=1)
            with SQLiteStore(db) as store:
                until = DEMO_START + timedelta(days=days)
                peak, took = _peak(lambda: compute(store, DEMO_START, until))  # noqa: B023
                naive, _ = _peak(lambda: _naive(store, days))  # noqa: B023
            results[days] = (made.cases, peak, naive, took)
            print(
                f"  {days:>4} days, {made.cases:>6} cases: streamed peak {peak / 1e6:6.2f} MB "
                f"({took:.2f}s), naive peak {naive / 1e6:6.2f} MB"
            )
    (c1, p1, n1, _), (c10, p10, n10, _) = results[small], results[10 * small]
    print(
        f"  cases x{c10 / c1:.1f}: streamed peak x{p10 / p1:.2f} (target <= 1.5), "
        f"naive peak x{n10 / n1:.2f}"
    )


if __name__ == "__main__":
    run()
