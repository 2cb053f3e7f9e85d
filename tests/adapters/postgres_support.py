"""Reaching the test PostgreSQL server: one schema per test run, dropped at the end."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import psycopg

DSN_VARIABLE = "CLOSEDLOOP_TEST_POSTGRES_DSN"


def dsn_or_skip() -> str:
    """The test server's DSN; skip (fail under CI=true) if it is not set or not reachable."""
    dsn = os.environ.get(DSN_VARIABLE)
    in_ci = os.environ.get("CI") == "true"
    if not dsn:
        if in_ci:
            pytest.fail(f"CI=true but {DSN_VARIABLE} is not set: PostgreSQL tests must run")
        pytest.skip(f"set {DSN_VARIABLE} to run the PostgreSQL tests")
    try:
        import psycopg

        psycopg.connect(dsn, connect_timeout=5).close()
    except Exception as exc:  # an absent driver, a refused connection: both say why
        if in_ci:
            pytest.fail(f"CI=true but PostgreSQL at {DSN_VARIABLE} is unusable: {exc}")
        pytest.skip(f"PostgreSQL at {DSN_VARIABLE} is unusable: {exc}")
    return dsn


def new_schema() -> str:
    """A schema name nobody else uses."""
    return f"closedloop_test_{uuid.uuid4().hex[:12]}"


def drop_schema(dsn: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def app_role(dsn: str, schema: str, role: str) -> Callable[[], psycopg.Connection[Any]]:
    """Make ``role`` (not the tables' owner) with the grants docs/postgres.md prescribes
    for the application; connect as it."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" NOLOGIN')
        admin.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        admin.execute(
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'
        )

    def connect() -> psycopg.Connection[Any]:
        conn = psycopg.connect(dsn, autocommit=True)
        conn.execute(f'SET ROLE "{role}"')
        return conn

    return connect
