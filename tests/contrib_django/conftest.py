"""Django is set up for the tests of this directory only (the settings: settings_suite.py),
with closedloop's tables migrated once per database and emptied before each test.

Fixtures: ``sqlite_db`` and ``pg_db`` (the alias of a migrated database with closedloop's
tables empty and the host's ``host_ticket`` table made), ``empty`` (empties them again).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest

if importlib.util.find_spec("django") is None:  # not imported here: nothing else sees Django
    collect_ignore_glob = ["test_*.py"]  # the `test` extra installs it; without, none run

_ENV = {
    "DJANGO_SETTINGS_MODULE": "tests.contrib_django.settings_suite",
    "CLOSEDLOOP_DJANGO_TEST_DIR": "",
    "CLOSEDLOOP_DJANGO_TEST_PGDB": "",
}

#: The host application's own table, written in the same transactions as closedloop's.
HOST_TABLE = {
    "sqlite": "CREATE TABLE IF NOT EXISTS host_ticket (id TEXT PRIMARY KEY, title TEXT NOT NULL)",
    "postgresql": (
        "CREATE TABLE IF NOT EXISTS public.host_ticket (id text PRIMARY KEY, title text NOT NULL)"
    ),
}


@pytest.fixture(scope="session", autouse=True)
def django_project() -> Iterator[None]:
    """Django set up with settings_suite, in a directory (and PostgreSQL database name) of
    this run's own; the environment as it was afterwards."""
    import django

    saved = {name: os.environ.get(name) for name in _ENV}
    folder = tempfile.mkdtemp(prefix="closedloop-django-")
    os.environ["DJANGO_SETTINGS_MODULE"] = _ENV["DJANGO_SETTINGS_MODULE"]
    os.environ["CLOSEDLOOP_DJANGO_TEST_DIR"] = folder
    os.environ["CLOSEDLOOP_DJANGO_TEST_PGDB"] = f"closedloop_django_{uuid.uuid4().hex[:10]}"
    django.setup()
    try:
        yield
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(folder, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(autouse=True)
def _threads_close_their_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread a test starts closes the Django connections it opened when it ends, as
    Django asks of threads it does not manage (else they are left to the collector)."""
    from django.db import connections

    run = threading.Thread.run

    def run_then_close(thread: threading.Thread) -> None:
        try:
            run(thread)
        finally:
            connections.close_all()

    monkeypatch.setattr(threading.Thread, "run", run_then_close)


def _migrate(alias: str) -> None:
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", database=alias, verbosity=0)
    with connections[alias].cursor() as cursor:
        cursor.execute(HOST_TABLE[connections[alias].vendor])


def empty_tables(alias: str) -> None:
    """Delete every closedloop record and host ticket in the database ``alias``."""
    from django.db import connections

    from closedloop.contrib.django import flush_closedloop

    flush_closedloop(alias)
    table = "host_ticket" if connections[alias].vendor == "sqlite" else "public.host_ticket"
    with connections[alias].cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")


@pytest.fixture(scope="session")
def _sqlite_migrated(django_project: None) -> str:
    _migrate("default")
    return "default"


@pytest.fixture
def sqlite_db(_sqlite_migrated: str) -> str:
    """The alias of the SQLite database, migrated, closedloop's tables empty."""
    empty_tables(_sqlite_migrated)
    return _sqlite_migrated


@pytest.fixture(scope="session")
def _pg_migrated(django_project: None) -> Iterator[str]:
    import psycopg

    from tests.adapters.postgres_support import dsn_or_skip

    dsn = dsn_or_skip()
    name = os.environ["CLOSEDLOOP_DJANGO_TEST_PGDB"]
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _migrate("pg")
        yield "pg"
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_db(_pg_migrated: str) -> str:
    """The alias of the PostgreSQL database, migrated, closedloop's tables empty."""
    empty_tables(_pg_migrated)
    return _pg_migrated


@pytest.fixture
def empty() -> Callable[[str], None]:
    """Empty closedloop's tables (and the host's) in a database, by alias."""
    return empty_tables
