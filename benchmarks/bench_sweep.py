"""The sweep over a big SQLite table: the plan uses the index, and what one escalation costs.

Builds N open cases (1% overdue) straight into closedloop's schema, then times
``desk.sweep()``, which escalates each overdue case one rung: it reads the due cases through
the partial index, loads each, and commits a page of escalations + alerts (500 cases) in one
transaction. The baseline, in the same run, is raw sqlite3 committing the same statements per
case (update the case row, insert an event row and an outbox row) in the same pages of 500,
one transaction each, with no reading at all.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench_sqlite import NOW, build_cases, raw_connect

from closedloop import (
    BusinessCalendar,
    Desk,
    Ladder,
    Policy,
    Rung,
    SQLiteStore,
    Standard,
    Standards,
    Target,
)
from closedloop.testing import ManualClock, RecordingNotifier


def late_at_once() -> Standards:
    """Standards every case breaches a second after opening, so the due index decides."""
    always = BusinessCalendar.always_open()
    tiny = timedelta(microseconds=1)
    return Standards(defaults=[Standard(t, tiny, always) for t in Target])


PAGE = 500  # desk.sweep()'s default batch


def raw_escalations(path: Path, ids: list[str]) -> float:
    db: sqlite3.Connection = raw_connect(path)
    started = time.perf_counter()
    for i, case_id in enumerate(ids):
        if i % PAGE == 0:
            db.execute("BEGIN IMMEDIATE")
        db.execute(
            "UPDATE cases SET version = 2, due_us = NULL WHERE tenant = 'default' AND id = ?",
            (case_id,),
        )
        db.execute(
            "INSERT INTO events (tenant, case_id, version, type, at_us, body)"
            " VALUES ('default', ?, 2, 'Escalated', 0, '{}')",
            (case_id,),
        )
        db.execute(
            "INSERT INTO outbox (tenant, key, case_id, status, attempts, next_attempt_us,"
            " created_us, body) VALUES ('default', ?, ?, 'pending', 0, 0, 0, '{}')",
            (f"raw-{i}", case_id),
        )
        if i % PAGE == PAGE - 1 or i == len(ids) - 1:
            db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def run(quick: bool = False) -> None:
    n = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sweep.db"
        SQLiteStore(path).close()  # the schema
        started = time.perf_counter()
        overdue = build_cases(path, n)
        built = time.perf_counter() - started
        raw_path = Path(folder) / "raw.db"
        raw_path.write_bytes(path.read_bytes())

        clock = ManualClock(NOW + timedelta(seconds=1))
        ladder = Ladder(rungs=[Rung("team lead", ["lead@example.com"])])
        with SQLiteStore(path) as store:
            plan = store.explain_due_query(clock.now())
            desk = Desk(
                store,
                RecordingNotifier(),
                clock=clock,
                policy=Policy(standards=late_at_once(), ladder=ladder),
            )
            started = time.perf_counter()
            report = desk.sweep(batch=PAGE)
            swept = time.perf_counter() - started
            ids = [case_id for case_id, _ in report.escalated]
        raw = raw_escalations(raw_path, ids)

    done = len(report.escalated)
    print(f"sweep on SQLite: {n} open cases, {overdue} overdue (table built in {built:.1f} s)")
    print(f"  query plan: {'; '.join(plan.splitlines())}")
    print(f"  desk.sweep(): {done} escalated in {swept:.2f} s = {swept / done * 1e3:.3f} ms a case")
    print(
        f"  raw sqlite3, the same three writes a case, {PAGE} cases a transaction, no reads: "
        f"{raw / done * 1e3:.3f} ms a case"
    )
    print(
        f"  sweep / raw: {swept / raw:.2f}x  (target <= 1.3x; ratio raw / sweep {raw / swept:.2f})"
        f"  ({report.conflicts} conflicts)"
    )
