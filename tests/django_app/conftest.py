"""Django configured for these tests only, when they run: the test project in settings.py on
a database file of the session, closedloop's tables made by SQLiteStore (its migrations only
recorded) and Django's own by ``migrate``. Each test works on a tenant of its own, so the
tests share the file and still see only their own cases, outbox and mail."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import START

_tenants = itertools.count(1)
_VARIABLES = ("CLOSEDLOOP_TEST_DJANGO_DB", "CLOSEDLOOP_TEST_DJANGO_PG", "DJANGO_SETTINGS_MODULE")


@pytest.fixture(scope="session")
def django_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Django set up with tests/django_app/settings.py on a new database file."""
    import django
    from django.conf import settings

    db = tmp_path_factory.mktemp("django") / "project.db"
    before = {name: os.environ.get(name) for name in _VARIABLES}
    os.environ["CLOSEDLOOP_TEST_DJANGO_DB"] = str(db)
    pg = _postgres_database()
    if pg is not None:
        os.environ["CLOSEDLOOP_TEST_DJANGO_PG"] = pg
    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_app.settings")
    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment, teardown_test_environment

    from tests.django_app.support import sqlite_store

    sqlite_store().close()  # closedloop's tables, as SQLiteStore makes them
    # closedloop's migrations recorded, not run (SQLiteStore made its tables), then Django's.
    call_command("migrate", "closedloop", fake=True, verbosity=0)
    call_command("migrate", verbosity=0)
    setup_test_environment()
    yield db
    teardown_test_environment()
    if pg is not None:
        from django.db import connections

        connections.close_all()
        _drop_database(pg)
    for name, value in before.items():  # other tests' subprocesses do not inherit them
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def tenant(django_project: Path) -> Iterator[str]:
    """A tenant of this test's own: the Desk of closedloop.contrib.django works on it."""
    from django.core import mail
    from django.test import override_settings

    from closedloop.contrib.django import reset
    from tests.django_app.support import CLOCK, OPENED

    name = f"test{next(_tenants)}"
    CLOCK.set(START)
    mail.outbox = []
    config = {
        "STORE": "tests.django_app.support:sqlite_store",
        "CLOCK": "tests.django_app.support:CLOCK",
        "TENANT": name,
    }
    with override_settings(CLOSEDLOOP=config):
        yield name
    reset()
    while OPENED:
        OPENED.pop().close()


def _postgres_database() -> str | None:
    """The DSN of a new PostgreSQL database of this run's own, or None without a server."""
    import uuid

    from tests.adapters.postgres_support import DSN_VARIABLE

    server = os.environ.get(DSN_VARIABLE)
    if not server:
        return None
    import psycopg

    name = f"closedloop_djapp_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return server.rsplit("/", 1)[0] + "/" + name


def _drop_database(dsn: str) -> None:
    import psycopg

    from tests.adapters.postgres_support import DSN_VARIABLE

    name = dsn.rsplit("/", 1)[1]
    with psycopg.connect(os.environ[DSN_VARIABLE], autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
