"""Snapshots: older files and schemas are back-filled from their events, a snapshot of
another format is recomputed from the events, and one that cannot be read is reported."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from closedloop import SQLiteStore, StorageError, UnreadableRecordError
from closedloop.adapters.agent_rows import AGENT_TABLES
from closedloop.adapters.postgres import PostgresStore
from closedloop.adapters.read_model import CHILD_TABLES
from closedloop.codec import SNAPSHOT_FORMAT
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.case import Case, replay
from closedloop.domain.change import Change
from closedloop.testing.conformance.base import T0, opened
from tests.adapters.search_support import undo_search_postgres, undo_search_sqlite


def history(case_id: str, handovers: int) -> Case:
    case = latte.acknowledge(opened(case_id, customer=f"{case_id}@example.com"), at=T0, by="amy")
    for n in range(handovers):
        case = latte.assign(case, at=T0, by="amy", owner="bob" if n % 2 else "amy")
    return case


def some_cases(n: int) -> list[Case]:
    return [history(f"c{i:04d}", i % 4) for i in range(n)]


def test_sqlite_fills_the_snapshots_of_an_older_file_chunk_by_chunk(tmp_path: Path) -> None:
    path = tmp_path / "loop.db"
    cases = some_cases(1_203)  # more than two chunks of 500
    with SQLiteStore(path) as store:
        store.commit_many([Change(c, 0) for c in cases])
    db = sqlite3.connect(path)  # the file as closedloop wrote it before snapshots (schema 7)
    undo_search_sqlite(db)
    for table in ("case_facts", *CHILD_TABLES, *AGENT_TABLES):  # the read model, teams
        db.execute(f"DROP TABLE {table}")
    db.execute("ALTER TABLE cases DROP COLUMN snapshot")
    db.execute("PRAGMA user_version = 7")
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        assert [store.get(c.id) for c in cases] == cases
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM cases WHERE snapshot IS NULL").fetchone() == (0,)
    db.close()


@pytest.mark.parametrize(
    ("snapshot", "why"),
    [(None, "missing"), ('{"format": 0, "id": "c1"}', "written by an older closedloop")],
)
def test_sqlite_replays_a_case_whose_snapshot_it_cannot_use(
    tmp_path: Path, snapshot: str | None, why: str
) -> None:
    path = tmp_path / "loop.db"
    case = history("c1", 3)
    with SQLiteStore(path) as store:
        store.commit(Change(case, 0))
        db = sqlite3.connect(path)
        db.execute("UPDATE cases SET snapshot = ?", (snapshot,))
        db.commit()
        db.close()
        back = store.get("c1")
        assert back == case, why
        assert replay(back.events) == back
        assert store.cases_of(case.customer) == [case]


def test_sqlite_reports_a_snapshot_it_cannot_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "loop.db"
    with SQLiteStore(path) as store:
        store.commit_many([Change(history("c1", 1), 0), Change(history("c2", 1), 0)])
        db = sqlite3.connect(path)
        broken = json.dumps({"format": SNAPSHOT_FORMAT, "id": "c1"})
        db.execute("UPDATE cases SET snapshot = ? WHERE id = 'c1'", (broken,))
        db.commit()
        db.close()
        with pytest.raises(UnreadableRecordError) as caught:
            store.get("c1")
        assert caught.value.record_id == "c1"
        assert [c.id for c in store.unanswered()] == []  # both acknowledged
        assert [c.id for c in store.cases_active(T0, T0.replace(year=2100))] == ["c2"]


def test_sqlite_reports_a_history_shorter_than_its_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "loop.db"
    with SQLiteStore(path) as store:
        store.commit(Change(history("c1", 2), 0))
        db = sqlite3.connect(path)
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("DELETE FROM events WHERE version = 4")
        db.commit()
        db.close()
        case = store.get("c1")  # the snapshot reads; the history is read on first use
        with pytest.raises(UnreadableRecordError):
            list(case.events)


@pytest.mark.postgres
def test_postgres_fills_the_snapshots_of_an_older_schema(dsn: str, schema: str) -> None:
    import psycopg

    cases = some_cases(1_203)
    with PostgresStore(dsn, schema=schema) as store:
        store.commit_many([Change(c, 0) for c in cases])
    with psycopg.connect(dsn, autocommit=True) as conn:  # the schema before snapshots (4)
        undo_search_postgres(conn, schema)
        for table in ("case_facts", *CHILD_TABLES, *AGENT_TABLES):  # read model, teams
            conn.execute(f'DROP TABLE "{schema}".{table}')
        conn.execute(f'ALTER TABLE "{schema}".cases DROP COLUMN snapshot')
        conn.execute(f'ALTER TABLE "{schema}".outbox DROP COLUMN seq')  # commit order (8)
        conn.execute(f'UPDATE "{schema}".schema_version SET version = 4')
    with PostgresStore(dsn, schema=schema) as store:
        assert store.migrate() == 4
        assert [store.get(c.id) for c in cases] == cases
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(f'SELECT count(*) FROM "{schema}".cases WHERE snapshot IS NULL')
        assert row.fetchone() == (0,)


def test_a_history_used_after_its_store_closed_says_so(tmp_path: Path) -> None:
    case = history("c1", 3)
    with SQLiteStore(tmp_path / "loop.db") as store:
        store.commit(Change(case, 0))
        read = store.get("c1")
    with pytest.raises(StorageError, match="use them while the store is open") as caught:
        list(read.events)
    assert not isinstance(caught.value, UnreadableRecordError)  # the record is fine
