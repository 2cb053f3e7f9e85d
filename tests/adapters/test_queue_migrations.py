"""Work queues in the SQL stores: an index behind the query, and databases written before
queues existed put every open case in its queue when they are migrated."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from closedloop import Desk, PostgresStore, Queue, SQLiteStore, WaitingOn
from closedloop.adapters.agent_rows import AGENT_TABLES
from closedloop.adapters.read_model import CHILD_TABLES
from closedloop.adapters.sqlite.schema import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier, SequentialIds
from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema
from tests.adapters.search_support import undo_search_postgres, undo_search_sqlite
from tests.helpers import START, make_feedback


def one_case_per_queue(store: CaseStore) -> dict[Queue, list[str]]:
    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock, ids=SequentialIds())
    fresh = desk.listen(make_feedback(customer="a@example.com")).id
    working = desk.listen(make_feedback(customer="b@example.com")).id
    desk.acknowledge(working, by="amy")
    wrote = desk.listen(make_feedback(customer="c@example.com")).id
    desk.acknowledge(wrote, by="amy")
    clock.advance(hours=1)
    desk.conversation.add_message(wrote, make_feedback(customer="c@example.com"))
    asked = desk.listen(make_feedback(customer="d@example.com")).id
    desk.acknowledge(asked, by="amy")
    desk.conversation.await_customer(asked, by="amy", question="Which order?")
    held = desk.listen(make_feedback(customer="e@example.com")).id
    desk.acknowledge(held, by="amy")
    desk.conversation.hold(
        held, WaitingOn.DATE, by="amy", reason="Billing run", resume_by=START + timedelta(days=9)
    )
    return {
        Queue.UNANSWERED: [fresh],
        Queue.IN_PROGRESS: [working],
        Queue.AWAITING_REPLY: [wrote],
        Queue.AWAITING_CUSTOMER: [asked],
        Queue.ON_HOLD: [held],
    }


def queues(store: CaseStore) -> dict[Queue, list[str]]:
    return {queue: [c.id for c in store.queue(queue)] for queue in Queue}


def test_sqlite_fills_the_queues_of_an_older_file(tmp_path: Path) -> None:
    path = tmp_path / "loop.db"
    with SQLiteStore(path) as store:
        expected = one_case_per_queue(store)
    # The file as closedloop wrote it before queues (schema 5).
    db = sqlite3.connect(path)
    undo_search_sqlite(db)  # before cases could be found (schema 11)
    for table in ("case_facts", *CHILD_TABLES, *AGENT_TABLES):  # the read model (9), teams
        db.execute(f"DROP TABLE {table}")
    db.execute("ALTER TABLE cases DROP COLUMN snapshot")  # before snapshots (schema 8)
    db.execute("DROP TABLE case_authors")  # and before the erasure indexes (schema 7)
    db.execute("DROP INDEX outbox_recipient")
    db.execute("ALTER TABLE outbox DROP COLUMN recipient")
    db.execute("DROP INDEX cases_queue")
    db.execute("ALTER TABLE cases DROP COLUMN queue")
    db.execute("ALTER TABLE cases DROP COLUMN queue_us")
    db.execute("PRAGMA user_version = 5")
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        assert store.pragmas()["user_version"] == SQLITE_SCHEMA_VERSION
        assert queues(store) == expected


def test_sqlite_serves_a_queue_from_its_index(tmp_path: Path) -> None:
    path = tmp_path / "loop.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    plan = " ".join(
        row[3]
        for row in db.execute(
            "EXPLAIN QUERY PLAN SELECT id, queue_us AS sort FROM cases"
            " WHERE tenant = ? AND queue = ? ORDER BY queue_us, id LIMIT ?",
            ("default", "awaiting_reply", 100),
        )
    )
    db.close()
    assert "INDEX cases_queue (tenant=? AND queue=?)" in plan
    assert "TEMP B-TREE" not in plan  # served in order: no sort


@pytest.fixture
def postgres() -> Iterator[tuple[str, str]]:
    dsn = dsn_or_skip()
    schema = new_schema()
    yield dsn, schema
    drop_schema(dsn, schema)


@pytest.mark.postgres
def test_postgres_fills_the_queues_of_an_older_schema(postgres: tuple[str, str]) -> None:
    import psycopg

    from closedloop.adapters.postgres import SCHEMA_VERSION

    queues_from = 3  # the migration that made the work queues
    dsn, schema = postgres
    with PostgresStore(dsn, schema=schema) as store:
        expected = one_case_per_queue(store)
    with psycopg.connect(dsn, autocommit=True) as conn:
        undo_search_postgres(conn, schema)  # before cases could be found (9)
        for table in ("case_facts", *CHILD_TABLES, *AGENT_TABLES):  # the read model (6), teams
            conn.execute(f'DROP TABLE "{schema}".{table}')
        conn.execute(f'ALTER TABLE "{schema}".cases DROP COLUMN snapshot')  # snapshots (5)
        conn.execute(f'DROP TABLE "{schema}".case_authors')  # and the erasure indexes (4)
        conn.execute(f'ALTER TABLE "{schema}".outbox DROP COLUMN recipient')
        conn.execute(f'ALTER TABLE "{schema}".outbox DROP COLUMN seq')  # commit order (8)
        conn.execute(f'DROP INDEX "{schema}".cases_queue')
        conn.execute(f'ALTER TABLE "{schema}".cases DROP COLUMN queue, DROP COLUMN queue_us')
        conn.execute(f'UPDATE "{schema}".schema_version SET version = %s', (queues_from - 1,))
    with PostgresStore(dsn, schema=schema) as store:
        assert store.migrate() == queues_from - 1  # the version it found
        assert store.schema_version() == SCHEMA_VERSION
        assert queues(store) == expected
