"""Round robin under concurrent intake: several processes open cases for one team at once,
on one SQLite file and on one PostgreSQL schema. Each pick takes the team's turn in the
transaction that commits its case, so in commit order no member gets two cases in a row
and the members' counts differ by at most one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from closedloop import PostgresStore, SQLiteStore
from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema
from tests.adapters.sweepers import run_children

MEMBERS = ("ann", "bo", "cy")
PROCESSES = 4
EACH = 12

INTAKE = """
import sys
from datetime import UTC, datetime
from closedloop import (
    Assignment, Channel, Desk, Feedback, Policy, PostgresStore, SQLiteStore, Team,
)
from closedloop.testing import ManualClock, RecordingNotifier

kind, where, schema, name, count = sys.argv[1:6]
store = SQLiteStore(where) if kind == "sqlite" else PostgresStore(where, schema=schema)
policy = Policy(
    teams=(Team("desk", members=("ann", "bo", "cy")),),
    assignment=Assignment(rule="round_robin", teams_by_tag={"help": "desk"}),
)
start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
desk = Desk(store, RecordingNotifier(), clock=ManualClock(start), policy=policy)
print("ready", flush=True)
sys.stdin.readline()
for i in range(int(count)):
    desk.listen(Feedback(customer=f"{name}-{i}@example.com", channel=Channel.EMAIL,
                         received_at=start, text="Help", tags=["help"]))
print("done", flush=True)
"""


def _intake_together(kind: str, where: str, schema: str = "") -> None:
    outputs = run_children(
        INTAKE, [[kind, where, schema, f"p{n}", str(EACH)] for n in range(PROCESSES)], 300
    )
    assert outputs == ["done\n"] * PROCESSES


def _check(owners: list[str]) -> None:
    assert len(owners) == PROCESSES * EACH
    repeats = [i for i in range(1, len(owners)) if owners[i] == owners[i - 1]]
    assert repeats == [], owners
    counts = Counter(owners)
    assert set(counts) == set(MEMBERS)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_sqlite_intake_in_several_processes_never_picks_one_member_twice_in_a_row(
    tmp_path: Path,
) -> None:
    db = tmp_path / "loop.db"
    SQLiteStore(db).close()  # the schema, before the processes open it
    _intake_together("sqlite", str(db))
    with SQLiteStore(db) as store:
        # Commit order: the events table's rowid grows with each commit (one writer at once).
        rows = store._read("SELECT case_id FROM events WHERE type = 'Assigned' ORDER BY rowid", ())
        _check([store.get(case_id).owner or "" for (case_id,) in rows])
        assert store.rotation("desk") == (PROCESSES * EACH, store.get(rows[-1][0]).owner)


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    dsn, schema = dsn_or_skip(), new_schema()
    try:
        PostgresStore(dsn, schema=schema).close()
        yield dsn, schema
    finally:
        drop_schema(dsn, schema)


def test_postgres_intake_in_several_processes_never_picks_one_member_twice_in_a_row(
    pg_schema: tuple[str, str],
) -> None:
    import psycopg

    dsn, schema = pg_schema
    _intake_together("postgres", dsn, schema)
    with psycopg.connect(dsn) as conn:
        # Commit order: each case was written by its own transaction; transaction ids are
        # handed out as transactions first write, and a case's transaction wrote the team's
        # rotation row first, holding it until it committed.
        rows = conn.execute(
            f'SELECT id FROM "{schema}".cases ORDER BY xmin::text::bigint, id'
        ).fetchall()
    with PostgresStore(dsn, schema=schema) as store:
        _check([store.get(case_id).owner or "" for (case_id,) in rows])
