"""A database written before the read model knew owners, teams and tags migrates: its facts
are marked missing (reports replay the cases, and are right), and ``rebuild_facts`` gives
them their owner, team and tags back (reports read them again, and are as right)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from closedloop import CaseStore, SQLiteStore, Standards
from closedloop.adapters.postgres.read_model_schema import ATTRIBUTION as PG_ATTRIBUTION
from closedloop.adapters.postgres.schema import MIGRATIONS as PG_MIGRATIONS
from closedloop.adapters.sqlite.read_model_schema import ATTRIBUTION
from closedloop.adapters.sqlite.schema import MIGRATIONS
from closedloop.domain.reports.facts import basis
from closedloop.insights import compute, rebuild_facts
from closedloop.ports import ReportStorage
from tests.adapters.search_support import undo_attribution_postgres, undo_attribution_sqlite
from tests.insights.fixture import SINCE, UNTIL
from tests.insights.test_scorecards import build

FAR = UNTIL.replace(year=2999)


def _reports_right_then_faster(store: CaseStore) -> None:
    """Every case replayed (facts missing) and the report right; after a rebuild, none."""
    assert isinstance(store, ReportStorage)
    missing = list(store.unsettled(FAR, basis(Standards())))
    assert len(missing) == 4
    before = compute(store, SINCE, UNTIL)
    assert before == compute(store, SINCE, UNTIL, replay=True)
    assert [c.name for c in before.by_owner] == ["amy", "ben", None]
    assert rebuild_facts(store) == 4
    assert list(store.unsettled(FAR, basis(Standards()))) == []
    assert compute(store, SINCE, UNTIL) == before


def test_an_sqlite_file_from_before_attribution_migrates(tmp_path: Path) -> None:
    path = tmp_path / "older.db"
    with SQLiteStore(path) as store:
        build(store)
    db = sqlite3.connect(path)  # the file as closedloop wrote it before this migration
    undo_attribution_sqlite(db)
    db.execute(f"PRAGMA user_version = {MIGRATIONS.index(ATTRIBUTION)}")
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        _reports_right_then_faster(store)


@pytest.mark.postgres
def test_a_postgres_schema_from_before_attribution_migrates() -> None:
    from closedloop import PostgresStore
    from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema

    dsn, schema = dsn_or_skip(), new_schema()
    try:
        with PostgresStore(dsn, schema=schema) as store:
            build(store)
        with psycopg.connect(dsn, autocommit=True) as conn:
            undo_attribution_postgres(conn, schema)
            conn.execute(
                f'UPDATE "{schema}".schema_version SET version = %s',
                (PG_MIGRATIONS.index(PG_ATTRIBUTION),),
            )
        with PostgresStore(dsn, schema=schema) as store:
            _reports_right_then_faster(store)
    finally:
        drop_schema(dsn, schema)
