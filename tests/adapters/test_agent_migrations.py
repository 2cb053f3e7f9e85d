"""Databases written before teams: migrating one indexes the owned open cases, so "least
open" and ``desk.teams.away`` see the cases owned before the upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from closedloop import Desk, PostgresStore, SQLiteStore
from closedloop.adapters.postgres.agents_schema import AGENTS as PG_AGENTS
from closedloop.adapters.postgres.schema import MIGRATIONS as PG_MIGRATIONS
from closedloop.adapters.sqlite.agents import AGENTS
from closedloop.adapters.sqlite.schema import MIGRATIONS
from closedloop.ports import AgentStorage, CaseStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.adapters.search_support import (
    undo_agents,
    undo_attribution_postgres,
    undo_attribution_sqlite,
)
from tests.helpers import START, make_feedback, take_step


def owned_cases(store: CaseStore) -> dict[str, list[str]]:
    """Cases owned by amy (one acknowledged, one assigned), one by bob that closed, one
    nobody's: what ``open_cases_of`` must find for each."""
    desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
    acked = desk.listen(make_feedback(customer="a@example.com")).id
    desk.acknowledge(acked, by="amy")
    given = desk.listen(make_feedback(customer="b@example.com")).id
    desk.assign(given, owner="amy", by="lee")
    done = desk.listen(make_feedback(customer="c@example.com")).id
    for step in ("acknowledge", "take_action", "thank", "explain"):
        take_step(desk, done, step)
    desk.assign(done, owner="bob", by="lee")
    desk.listen(make_feedback(customer="d@example.com"))
    return {"amy": sorted([acked, given]), "bob": []}


def _found(store: AgentStorage) -> dict[str, list[str]]:
    return {agent: list(store.open_cases_of(agent)) for agent in ("amy", "bob")}


def test_sqlite_indexes_the_owned_cases_of_an_older_file(tmp_path: Path) -> None:
    path = tmp_path / "loop.db"
    with SQLiteStore(path) as store:
        expected = owned_cases(store)
        version = store.pragmas()["user_version"]
    db = sqlite3.connect(path)  # the file as closedloop wrote it before teams (and after)
    undo_attribution_sqlite(db)
    undo_agents(db)
    db.execute(f"PRAGMA user_version = {MIGRATIONS.index(AGENTS)}")
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        assert store.pragmas()["user_version"] == version == len(MIGRATIONS)
        assert _found(store) == expected
        assert store.open_counts(["amy", "bob"]) == {"amy": 2, "bob": 0}


def test_postgres_indexes_the_owned_cases_of_an_older_schema(dsn: str, schema: str) -> None:
    import psycopg

    with PostgresStore(dsn, schema=schema) as store:
        expected = owned_cases(store)
    before = PG_MIGRATIONS.index(PG_AGENTS)
    with psycopg.connect(dsn, autocommit=True) as conn:  # the schema before teams
        undo_attribution_postgres(conn, schema)
        undo_agents(conn, schema)
        conn.execute(f'UPDATE "{schema}".schema_version SET version = %s', (before,))
    with PostgresStore(dsn, schema=schema) as store:
        assert store.migrate() == before
        assert store.schema_version() == len(PG_MIGRATIONS)
        assert _found(store) == expected
        assert store.open_counts(["amy", "bob"]) == {"amy": 2, "bob": 0}
