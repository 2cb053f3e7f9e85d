"""desk.health() over a big SQLite table: the HealthStorage role's indexed figures against
the fallback for a store without it, and against one plain scan of the cases.

Builds N open cases (1% overdue, every one unanswered) straight into closedloop's schema,
then times ``desk.health()`` on ``SQLiteStore`` (the role: counts from the partial indexes),
on the same store seen without the role (the Desk reads every due case through
``store.due``), and, as the baseline measured in the same run, raw sqlite3 counting every
case of the tenant (``SELECT count(*) FROM cases WHERE tenant = ?``): what a figure costs
when it is not served by an index of its own.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_sqlite import NOW, build_cases

from closedloop import Desk, SQLiteStore
from closedloop.testing import ManualClock, RecordingNotifier


class _WithoutRole:
    """The store with every CaseStore role but HealthStorage."""

    def __init__(self, inner: SQLiteStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name in ("health_figures", "tenants", "activity"):
            raise AttributeError(name)
        return getattr(self._inner, name)


def _median(work: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(quick: bool = False) -> None:
    n = 100_000 if quick else 1_000_000
    repeats = 3 if quick else 7
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "health.db"
        SQLiteStore(path).close()  # the schema
        overdue = build_cases(path, n)
        raw = sqlite3.connect(path)
        count = "SELECT count(*) FROM cases WHERE tenant = 'default'"
        scan = _median(lambda: raw.execute(count).fetchall(), repeats)
        raw.close()
        with SQLiteStore(path) as store:
            clock = ManualClock(NOW)
            fast = Desk(store, RecordingNotifier(), clock=clock)
            slow = Desk(_WithoutRole(store), RecordingNotifier(), clock=clock)  # type: ignore[arg-type]
            assert fast.health() == slow.health()
            assert fast.health().cases_due == overdue
            indexed = _median(fast.health, repeats)
            fallback = _median(slow.health, repeats)
    print(f"health: {n:,} open cases, {overdue:,} overdue (median of {repeats})")
    print(f"  baseline: raw count of the tenant's cases {scan * 1e3:9.2f} ms")
    print(f"  desk.health(), HealthStorage role         {indexed * 1e3:9.2f} ms", end="")
    print(f"  x{indexed / scan:.3f} of the baseline")
    print(f"  desk.health(), without the role           {fallback * 1e3:9.2f} ms", end="")
    print(f"  x{fallback / scan:.3f} of the baseline, x{fallback / indexed:.1f} the role")
