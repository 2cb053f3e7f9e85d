"""DjangoStore on Django's PostgreSQL backend (psycopg 3) passes the storage conformance
kit against the test server, in a database of this run's own."""

from __future__ import annotations

from typing import ClassVar

import pytest

from closedloop.testing.conformance import Capabilities, CaseStoreContract
from tests.contrib_django.conftest import empty_tables

pytestmark = pytest.mark.postgres


class TestDjangoPostgresStore(CaseStoreContract):
    capabilities: ClassVar[Capabilities] = Capabilities(concurrent_writers=True, persistent=True)

    @pytest.fixture(autouse=True)
    def _database(self, pg_db: str) -> None:
        self.alias = pg_db

    def make_store(self):  # type: ignore[no-untyped-def]
        from closedloop.contrib.django import DjangoStore

        empty_tables(self.alias)
        return DjangoStore(self.alias)

    def reopen(self, store):  # type: ignore[no-untyped-def]
        from closedloop.contrib.django import DjangoStore

        return DjangoStore(self.alias, tenant=store.tenant)


def test_row_level_security_names_the_tenant_and_keeps_tenants_apart(pg_db: str) -> None:
    import psycopg
    from django.db import connections

    from closedloop import CaseNotFoundError
    from closedloop.contrib.django import DjangoStore
    from closedloop.domain.change import Change
    from closedloop.testing.conformance.base import opened

    store = DjangoStore(pg_db, row_level_security=True)
    store.enable_row_level_security()
    role = "closedloop_django_app"
    with connections[pg_db].cursor() as cursor:
        cursor.execute(f'DROP ROLE IF EXISTS "{role}"')
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        cursor.execute(f'GRANT USAGE ON SCHEMA closedloop TO "{role}"')
        cursor.execute(
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA closedloop TO "{role}"'
        )
    acme, globex = store.for_tenant("acme"), store.for_tenant("globex")
    try:
        with connections[pg_db].cursor() as cursor:
            cursor.execute(f'SET ROLE "{role}"')  # not the owner: the policies apply
        acme.commit(Change(opened("c1"), 0))
        assert acme.get("c1").version == 1
        with pytest.raises(CaseNotFoundError):
            globex.get("c1")
        # Without the tenant named, the role sees nothing at all.
        raw = connections[pg_db].connection
        assert psycopg.Cursor(raw).execute("SELECT count(*) FROM closedloop.cases").fetchone() == (
            0,
        )
    finally:
        with connections[pg_db].cursor() as cursor:
            cursor.execute("RESET ROLE")
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')
