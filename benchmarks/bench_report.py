"""The HTML report's comparison with the previous period: what the second compute costs.

The baseline, in the same run: computing the period alone and rendering it. The measured
way: computing the period and the one before it (``[since - (until - since), since)``, a
second ``compute`` over the same store) and rendering both. A demo database, the later half
of its days as the period, so the previous period holds as many days of cases; the two
are timed in turn, several times, and the best of each kept.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from closedloop import SQLiteStore
from closedloop.cli.demo import DEMO_START, run_demo
from closedloop.insights import compute, render_html


def _timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def run(quick: bool = False) -> None:
    days, repeats = (14, 2) if quick else (60, 5)
    print(f"report: the HTML report with the previous period, {days} simulated days")
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.db"
        made = run_demo(db, days=days, seed=1)
        since = DEMO_START + timedelta(days=days // 2)
        until = DEMO_START + timedelta(days=days)
        before = since - (until - since)
        with SQLiteStore(db) as store:

            def alone() -> object:
                return render_html(compute(store, since, until))

            def compared() -> object:
                previous = compute(store, before, since)
                return render_html(compute(store, since, until), previous=previous)

            # Interleaved, best of each: a machine busy for a while slows both alike.
            base = both = float("inf")
            for _ in range(repeats):
                base = min(base, _timed(alone))
                both = min(both, _timed(compared))
    print(
        f"  {made.cases} cases: this period alone {base:.3f}s, with the previous period {both:.3f}s"
    )
    print(f"  with the previous period x{both / base:.2f} (target <= 2.2: one more compute)")


if __name__ == "__main__":
    run()
