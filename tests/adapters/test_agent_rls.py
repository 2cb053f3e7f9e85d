"""The agent tables under PostgreSQL row-level security: an application role sees and
changes only its tenant's availability, owned cases and rotations, even by hand."""

from __future__ import annotations

import pytest

from closedloop import PostgresStore
from closedloop.adapters.agent_rows import AGENT_TABLES
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.labelling import route
from closedloop.domain.change import Change
from tests.adapters.postgres_support import app_role
from tests.helpers import START, make_feedback


def _owned(case_id: str, owner: str) -> Change:
    case = latte.open_case(case_id, make_feedback(), at=START)
    return Change(route(case, at=START, by="lee", owner=owner, team="desk"), 0)


@pytest.mark.postgres
def test_agent_tables_keep_tenants_apart_under_row_level_security(dsn: str, schema: str) -> None:
    import psycopg

    role = f"{schema}_app"
    owner = PostgresStore(dsn, schema=schema)
    owner.enable_row_level_security()
    as_app = app_role(dsn, schema, role)
    try:
        app = PostgresStore(as_app, schema=schema, migrate=False, row_level_security=True)
        acme, globex = app.for_tenant("acme"), app.for_tenant("globex")
        acme.set_away("ann", None)
        acme.commit_turn("desk", 0, "ann", _owned("a1", "ann"))
        assert (acme.away(["ann"]), acme.open_counts(["ann"])) == ({"ann": None}, {"ann": 1})
        assert globex.away(["ann"]) == {}
        assert globex.open_cases_of("ann") == []
        assert globex.rotation("desk") == (0, None)
        with as_app() as conn, conn.transaction():
            conn.execute("SELECT set_config('closedloop.tenant', 'globex', true)")
            for table in AGENT_TABLES:
                assert conn.execute(f'SELECT count(*) FROM "{schema}".{table}').fetchone() == (0,)
        app.close()
    finally:
        owner.close()
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
