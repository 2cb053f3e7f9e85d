"""Insights stream: peak memory of a report over 10x the cases, against 1x.

The baseline is the naive way, in the same run: load the period's cases into a list, then
compute. Peak memory is Python's own allocations while the report is computed
(tracemalloc), with the store already open. What a streamed report holds is bounded but
not tiny: one page of cases with their events (500), a histogram per standard and section,
and the calendar's cache of shared deadlines (4096 entries); 60 days is enough cases to fill
them, so the 10x run shows whether anything else grows.
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from closedloop import SQLiteStore
from closedloop.cli.demo import DEMO_START, run_demo
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


def run(quick: bool = False) -> None:
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
