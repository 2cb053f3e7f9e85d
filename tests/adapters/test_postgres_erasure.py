"""Erasure on PostgreSQL: it works as the application's role under row-level security, with
the grants docs/postgres.md prescribes, and a dump of the schema holds no byte of her."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

from closedloop.adapters.postgres import PostgresStore
from closedloop.testing import ManualClock
from tests.adapters.erasure_seed import HANDLE, HERS, seeded
from tests.adapters.postgres_support import app_role, drop_schema, dsn_or_skip, new_schema
from tests.helpers import START

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema() -> Iterator[tuple[str, str]]:
    dsn = dsn_or_skip()
    name = new_schema()
    yield dsn, name
    drop_schema(dsn, name)
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'DROP ROLE IF EXISTS "{name}_app"')


def dump(dsn: str, schema: str) -> bytes:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    return subprocess.run(
        [pg_dump, "--data-only", f"--schema={schema}", dsn],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip


def test_the_app_role_erases_under_row_level_security_and_the_dump_holds_nothing_of_her(
    schema: tuple[str, str],
) -> None:
    dsn, name = schema
    owner = PostgresStore(dsn, schema=name)
    clock = ManualClock(START)
    seeded(owner, clock)
    owner.enable_row_level_security()
    before = dump(dsn, name)
    assert HANDLE.encode() in before
    as_app = app_role(dsn, name, f"{name}_app")
    app = PostgresStore(as_app, schema=name, migrate=False, row_level_security=True)
    try:
        from closedloop import Desk
        from closedloop.testing import RecordingNotifier

        erasure = Desk(app, RecordingNotifier(), clock=clock).customers.erase(HANDLE)
        assert erasure.pseudonym.startswith("erased-")
    finally:
        app.close()
        owner.close()
    after = dump(dsn, name)
    for detail in HERS:
        assert detail.encode() not in after, detail
    assert b"bob@example.com" in after  # the dump can see what is there
