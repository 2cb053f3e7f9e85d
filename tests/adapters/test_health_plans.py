"""The health figures and the tenant list are read from indexes: the query plans of SQLite
and PostgreSQL name the partial index of each figure and scan no table."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from closedloop import SQLiteStore
from closedloop.adapters.postgres import PostgresStore
from closedloop.adapters.postgres.operations import _TENANTS as PG_TENANTS
from closedloop.adapters.postgres.operations import ACTIVITY_QUERY, HEALTH_QUERY, UNANSWERED_QUERY
from closedloop.adapters.postgres.operations import TENANT_TABLES as PG_TABLES
from closedloop.adapters.sqlite.operations import (
    _TENANTS,
    ACTIVITY_QUERIES,
    HEALTH_QUERIES,
    TENANT_TABLES,
)
from closedloop.domain.cases import steps as latte
from closedloop.domain.change import Change
from closedloop.ports import CaseStore
from closedloop.testing.conformance.base import T0, _note, opened
from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema

SQLITE_INDEX = {
    "outbox_backlog": "outbox_ready",
    "outbox_overdue": "outbox_ready",
    "outbox_retrying": "outbox_ready",
    "retrying_held": "outbox_ready",
    "dead_letters": "outbox_dead",
    "oldest_unanswered": "cases_unanswered",
    "cases_due": "cases_due",
}


def _fill(store: CaseStore) -> None:
    """A few hundred cases and messages in two tenants, most messages delivered and most
    cases answered (as in a working desk), so that the plans are real ones."""
    for tenant in ("default", "other"):
        view = store.for_tenant(tenant)
        changes, notes = [], []
        for i in range(300):
            case = opened(f"c{i:04}", at=T0 + timedelta(minutes=i))
            if i >= 10:
                case = latte.acknowledge(case, at=case.opened_at, by="amy")
            notes.append(_note(case, "acknowledgement", case.opened_at))
            changes.append(Change(case, 0, (notes[-1],)))
        view.commit_many(changes)
        for note in notes[10:]:
            view.mark_sent(note.key, T0)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    path = tmp_path / "plans.db"
    with SQLiteStore(path) as store:
        _fill(store)
    return path


@pytest.mark.parametrize("figure", sorted(SQLITE_INDEX))
def test_sqlite_counts_each_figure_from_its_partial_index(sqlite_path: Path, figure: str) -> None:
    sql = HEALTH_QUERIES[figure]
    params = ("default",) if sql.count("?") == 1 else ("default", 10**15)
    db = sqlite3.connect(sqlite_path)
    plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    db.close()
    assert plan == [plan[0]]
    assert plan[0].startswith("SEARCH "), plan
    assert f"INDEX {SQLITE_INDEX[figure]} (tenant=?" in plan[0], plan


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_sqlite_lists_tenants_by_skipping_through_an_index(sqlite_path: Path, table: str) -> None:
    db = sqlite3.connect(sqlite_path)
    plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {_TENANTS.format(table=table)}")]
    db.close()
    reads = [step for step in plan if table in step]
    assert reads, plan
    assert all(step.startswith(f"SEARCH {table} USING COVERING INDEX") for step in reads), plan
    assert any(step.endswith("(tenant>?)") for step in reads), plan


@pytest.fixture
def postgres_store() -> Iterator[PostgresStore]:
    dsn = dsn_or_skip()
    schema = new_schema()
    with PostgresStore(dsn, schema=schema) as store:
        _fill(store)
        yield store
    drop_schema(dsn, schema)


def _pg_plan(store: PostgresStore, sql: str, params: dict[str, object]) -> str:
    import psycopg

    s = f'"{store.schema}"'
    with psycopg.connect(dsn_or_skip(), autocommit=True) as conn:
        for table in ("cases", "outbox", "invitations", "customers"):
            conn.execute(f"ANALYZE {s}.{table}")
        # Tiny tables are cheaper to scan whole: forbid that, to see which index is chosen.
        conn.execute("SET enable_seqscan = off")
        rows = conn.execute(f"EXPLAIN {sql.format(s=s, table='{table}')}", params).fetchall()
    return "\n".join(row[0] for row in rows)


@pytest.mark.postgres
def test_postgres_counts_each_figure_from_its_partial_index(postgres_store: PostgresStore) -> None:
    plan = _pg_plan(postgres_store, HEALTH_QUERY, {"t": "default", "now": 10**15})
    assert "Seq Scan" not in plan, plan
    for index in ("outbox_ready", "outbox_dead", "cases_due"):
        assert f"using {index} on" in plan, plan
    plan = _pg_plan(postgres_store, UNANSWERED_QUERY, {"t": "default"})
    assert "Seq Scan" not in plan, plan
    assert "using cases_unanswered on" in plan, plan


@pytest.mark.postgres
@pytest.mark.parametrize("table", PG_TABLES)
def test_postgres_lists_tenants_by_skipping_through_an_index(
    postgres_store: PostgresStore, table: str
) -> None:
    plan = _pg_plan(postgres_store, PG_TENANTS.replace("{table}", table), {})
    assert "Seq Scan" not in plan, plan
    assert "Index Only Scan" in plan, plan


@pytest.mark.parametrize("sql", ACTIVITY_QUERIES)
def test_sqlite_finds_a_tenants_activity_one_step_down_an_index(
    sqlite_path: Path, sql: str
) -> None:
    db = sqlite3.connect(sqlite_path)
    plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", ("default",))]
    db.close()
    assert len(plan) == 1, plan
    assert plan[0].startswith("SEARCH "), plan
    assert "COVERING INDEX" in plan[0], plan


@pytest.mark.postgres
def test_postgres_finds_a_tenants_activity_one_step_down_an_index(
    postgres_store: PostgresStore,
) -> None:
    plan = _pg_plan(postgres_store, ACTIVITY_QUERY, {"t": "default"})
    assert "Seq Scan" not in plan, plan
    assert "using cases_opened on" in plan, plan
    assert "using events_at on" in plan, plan


def test_sqlite_lists_unanswered_cases_from_their_partial_index(sqlite_path: Path) -> None:
    from closedloop.adapters.sqlite.cases import UNANSWERED

    db = sqlite3.connect(sqlite_path)
    plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {UNANSWERED}", ("default", 100))]
    db.close()
    assert plan == ["SEARCH cases USING INDEX cases_unanswered (tenant=?)"], plan
