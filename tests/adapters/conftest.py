"""The PostgreSQL server of the adapter tests: its DSN, and a new schema for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema


@pytest.fixture
def dsn() -> str:
    return dsn_or_skip()


@pytest.fixture
def schema(dsn: str) -> Iterator[str]:
    name = new_schema()
    yield name
    drop_schema(dsn, name)
