"""PostgresStore passes the storage conformance kit against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest

from closedloop.adapters.postgres import PostgresStore
from closedloop.testing.conformance import Capabilities, CaseStoreContract
from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def dsn() -> str:
    return dsn_or_skip()


class TestPostgresStore(CaseStoreContract):
    capabilities: ClassVar[Capabilities] = Capabilities(persistent=True)

    @pytest.fixture(autouse=True)
    def _server(self, dsn: str) -> Iterator[None]:
        self.dsn = dsn
        self.schemas: list[str] = []
        yield
        for schema in self.schemas:
            drop_schema(dsn, schema)

    def make_store(self) -> PostgresStore:
        schema = new_schema()
        self.schemas.append(schema)
        return PostgresStore(self.dsn, schema=schema)

    def reopen(self, store: PostgresStore) -> PostgresStore:  # type: ignore[override]
        return PostgresStore(self.dsn, schema=store.schema)


def test_ids_and_keys_sort_by_code_point_whatever_the_database_locale(dsn: str) -> None:
    # The test server's database may well be C.UTF-8 already, so check the declaration:
    # every id, key, tenant and customer column is COLLATE "C".
    import psycopg

    schema = new_schema()
    try:
        store = PostgresStore(dsn, schema=schema)
        store.migrate()
        store.close()
        with psycopg.connect(dsn) as conn:
            rows = conn.execute(
                "SELECT table_name, column_name, collation_name FROM information_schema.columns"
                " WHERE table_schema = %s AND column_name IN"
                " ('tenant', 'id', 'case_id', 'key', 'customer', 'external_id')",
                (schema,),
            ).fetchall()
    finally:
        drop_schema(dsn, schema)
    assert len(rows) >= 12
    assert {(t, c) for t, c, collation in rows if collation != "C"} == set()
