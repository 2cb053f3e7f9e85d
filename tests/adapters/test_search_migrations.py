"""Databases written before cases could be found by any filter get the search columns and
labels of every case when they are migrated (its RAG instants come with its next change),
and a PostgreSQL schema under row-level security gets the tenant policy on the new table."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from closedloop import Desk, PostgresStore, SQLiteStore
from closedloop.adapters.sqlite.schema import MIGRATIONS
from closedloop.adapters.sqlite.search import SEARCH
from closedloop.domain.change import Change
from closedloop.domain.queues.query import CaseQuery, Order
from closedloop.domain.standards.targets import Rag
from closedloop.ports import CaseStore, SearchesCases
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from closedloop.testing.conformance.base import T0
from closedloop.testing.conformance.search import commit_world, every_page, world
from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema
from tests.adapters.search_support import (
    undo_agents,
    undo_attribution_postgres,
    undo_attribution_sqlite,
    undo_search_postgres,
    undo_search_sqlite,
)

_H = timedelta(hours=1)

QUERIES = [
    CaseQuery(closed=True),
    CaseQuery(team="billing", order=Order.DUE_FIRST),
    CaseQuery(owner="amy"),
    CaseQuery(unowned=True),
    CaseQuery(tags=("vip",)),
    CaseQuery(fields={"plan": "pro"}),  # type: ignore[arg-type]
    CaseQuery(channel="phone"),
    CaseQuery(kind="question"),  # type: ignore[arg-type]
    CaseQuery(closed=True, updated_since=T0),
    CaseQuery(rag=Rag.GREEN, order=Order.PRIORITY_THEN_DUE),
]


def _expected() -> list[list[str]]:
    """What the migrated store must find: every filter as before, and every case GREEN
    with no deadline until it changes (its RAG instants were never stored)."""
    reference = InMemoryStore()
    reference.commit_many([Change(case, 0) for case, _ in world()])
    return [every_page(reference, q, T0, 2) for q in QUERIES]


def _ids(store: CaseStore) -> list[str]:
    assert isinstance(store, SearchesCases)
    return every_page(store, CaseQuery(closed=True), T0, 50)


def _found(store: CaseStore) -> list[list[str]]:
    assert isinstance(store, SearchesCases)
    return [every_page(store, q, T0, 2) for q in QUERIES]


def test_sqlite_fills_the_search_columns_of_an_older_file(tmp_path: Path) -> None:
    path = tmp_path / "loop.db"
    with SQLiteStore(path) as store:
        commit_world(store, world())
    db = sqlite3.connect(path)
    undo_attribution_sqlite(db)  # and the migrations after it
    undo_agents(db)
    undo_search_sqlite(db)
    db.execute(f"PRAGMA user_version = {MIGRATIONS.index(SEARCH)}")
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        assert _found(store) == _expected()
        assert _found(store)[4] == ["s1", "s3"]  # the labels came back
        # Their RAG instants come from desk.queues.reindex() under the desk's standards.
        desk = Desk(store, RecordingNotifier(), clock=ManualClock(T0 + 30 * _H))
        assert desk.queues.reindex() == 5
        for rag in Rag:
            found = {c.id for c in desk.queues.find(rag=rag, closed=True).cases}
            assert found == {c for c in _ids(store) if desk.standards.status(c) is rag}


@pytest.fixture
def postgres() -> Iterator[tuple[str, str]]:
    dsn = dsn_or_skip()
    schema = new_schema()
    yield dsn, schema
    drop_schema(dsn, schema)


@pytest.mark.postgres
def test_postgres_fills_the_search_columns_and_secures_the_labels(
    postgres: tuple[str, str],
) -> None:
    import psycopg

    from closedloop.adapters.postgres.schema import MIGRATIONS as PG_MIGRATIONS
    from closedloop.adapters.postgres.search import SEARCH as PG_SEARCH

    dsn, schema = postgres
    with PostgresStore(dsn, schema=schema) as store:
        commit_world(store, world())
        store.enable_row_level_security()
    before = PG_MIGRATIONS.index(PG_SEARCH)
    with psycopg.connect(dsn, autocommit=True) as conn:
        undo_attribution_postgres(conn, schema)  # and the migrations after it
        undo_agents(conn, schema)
        undo_search_postgres(conn, schema)
        conn.execute(f'UPDATE "{schema}".schema_version SET version = %s', (before,))
    with PostgresStore(dsn, schema=schema) as store:
        assert store.migrate() == before
        assert _found(store) == _expected()
    with psycopg.connect(dsn, autocommit=True) as conn:
        secured = conn.execute(
            "SELECT c.relrowsecurity, (SELECT count(*) FROM pg_policies p WHERE"
            " p.schemaname = %s AND p.tablename = 'case_labels') FROM pg_class AS c JOIN"
            " pg_namespace AS n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname = 'case_labels'",
            (schema, schema),
        ).fetchone()
    assert secured == (True, 1)
