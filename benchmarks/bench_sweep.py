"""The sweep over a big SQLite table: the plan uses the index, and what one escalation costs.

Builds N open cases (1% overdue) straight into closedloop's schema, then times
``desk.sweep()``, which escalates each overdue case one rung: it reads the due cases through
the partial index, loads each, and commits a page of escalations + alerts (500 cases) in one
transaction. The target's baseline, in the same run, is raw sqlite3 running the very
statements and rows the sweep writes (recorded on a copy of the file, built beforehand), in
the same transactions, with no reading at all. The older baseline, printed too, writes three
rows a case (the case's version and due time, an event, an outbox row): no snapshot, search
columns, report facts or labels.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench_sqlite import NOW, build_cases, raw_connect, recorded_writes, replay_writes

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


def settle() -> None:
    """Write out what the page cache holds (the table and its copies: gigabytes at 1M
    cases) before a timed run, so that no side is timed while the disk catches up."""
    os.sync()
    time.sleep(1)


def run(quick: bool = False) -> None:
    n = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sweep.db"
        SQLiteStore(path).close()  # the schema
        started = time.perf_counter()
        overdue = build_cases(path, n, late_at_once())
        built = time.perf_counter() - started
        copies = {name: Path(folder) / f"{name}.db" for name in ("raw", "recorded", "replay")}
        for copy in copies.values():
            shutil.copyfile(path, copy)
        settle()

        clock = ManualClock(NOW + timedelta(seconds=1))
        with SQLiteStore(path) as store:
            plan = store.explain_due_query(clock.now())
            desk = _desk(store, clock)
            started = time.perf_counter()
            report = desk.sweep(batch=PAGE)
            swept = time.perf_counter() - started
            ids = [case_id for case_id, _ in report.escalated]
        settle()
        raw = raw_escalations(copies["raw"], ids)
        writes = recorded_writes(copies["recorded"], lambda s: _desk(s, clock).sweep(batch=PAGE))
        replay = replay_writes(copies["replay"], writes)
        settle()
        started = time.perf_counter()
        replay()
        same = time.perf_counter() - started

    done = len(report.escalated)
    print(f"sweep on SQLite: {n} open cases, {overdue} overdue (table built in {built:.1f} s)")
    print(f"  query plan: {'; '.join(plan.splitlines())}")
    print(f"  desk.sweep(): {done} escalated in {swept:.2f} s = {swept / done * 1e3:.3f} ms a case")
    print(
        f"  raw sqlite3, the very statements and rows the sweep writes, in its transactions, "
        f"no reads: {same / done * 1e3:.3f} ms a case"
    )
    print(
        f"  sweep / raw: {swept / same:.2f}x  (target <= 1.3x; ratio raw / sweep "
        f"{same / swept:.2f})  ({report.conflicts} conflicts)"
    )
    print(
        f"  older baseline, three writes a case in pages of {PAGE}: {raw / done * 1e3:.3f} ms a "
        f"case; sweep / that: {swept / raw:.2f}x"
    )


def _desk(store: SQLiteStore, clock: ManualClock) -> Desk:
    ladder = Ladder(rungs=[Rung("team lead", ["lead@example.com"])])
    policy = Policy(standards=late_at_once(), ladder=ladder)
    return Desk(store, RecordingNotifier(), clock=clock, policy=policy)
