"""``manage.py migrate`` sets closedloop's tables up through closedloop's own schema
migrations, and ships a new Django migration whenever closedloop's schema grows."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from closedloop import SchemaVersionError, StorageError
from closedloop.adapters.postgres import SCHEMA_VERSION as POSTGRES_VERSION
from closedloop.adapters.sqlite import SCHEMA_VERSION as SQLITE_VERSION
from closedloop.domain.change import Change
from closedloop.testing.conformance.base import opened


def migrate(alias: str, *args: str) -> None:
    from django.core.management import call_command

    call_command("migrate", *args, database=alias, verbosity=0)


@pytest.fixture
def fresh(django_project: None) -> Iterator[str]:
    """The alias of a SQLite database with nothing in it yet."""
    from django.db import connections

    connection = connections["fresh"]
    connection.close()
    Path(connection.settings_dict["NAME"]).unlink(missing_ok=True)
    yield "fresh"
    connection.close()


def sqlite_objects(alias: str) -> set[str]:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        return {name for (name,) in cursor.fetchall()}


def user_version(alias: str) -> int:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute("PRAGMA user_version")
        version: int = cursor.fetchone()[0]
        return version


def test_the_latest_schema_versions_have_a_django_migration() -> None:
    # A closedloop whose SQLite or PostgreSQL schema grew needs a new Django migration (one
    # running closedloop.contrib.django.schema.migrate, with its SCHEMA_VERSIONS), or
    # `manage.py migrate` would leave an installed database behind.
    import closedloop.contrib.django.migrations as package

    declared = [
        module.SCHEMA_VERSIONS
        for info in pkgutil.iter_modules(package.__path__)
        if hasattr(
            module := importlib.import_module(f"{package.__name__}.{info.name}"),
            "SCHEMA_VERSIONS",
        )
    ]
    assert max(v["sqlite"] for v in declared) == SQLITE_VERSION
    assert max(v["postgresql"] for v in declared) == POSTGRES_VERSION


def test_migrate_makes_the_current_schema_and_running_it_again_is_harmless(fresh: str) -> None:
    from closedloop.contrib.django import DjangoStore
    from closedloop.contrib.django.schema import sqlite_names

    migrate(fresh)
    assert user_version(fresh) == SQLITE_VERSION
    assert {name for _, name in sqlite_names()} <= sqlite_objects(fresh)
    DjangoStore(fresh).commit(Change(opened("c1"), 0))
    migrate(fresh)
    assert user_version(fresh) == SQLITE_VERSION
    assert DjangoStore(fresh).get("c1").version == 1


def test_migrating_closedloop_to_zero_drops_its_tables_and_back_makes_them(fresh: str) -> None:
    from closedloop.contrib.django import DjangoStore
    from closedloop.contrib.django.schema import sqlite_names

    migrate(fresh)
    DjangoStore(fresh).commit(Change(opened("c1"), 0))
    migrate(fresh, "closedloop", "zero")
    ours = {name for _, name in sqlite_names()}
    assert ours & sqlite_objects(fresh) == set()
    assert user_version(fresh) == 0
    assert "auth_user" in sqlite_objects(fresh)  # the project's own tables stay
    migrate(fresh)
    assert DjangoStore(fresh).cases_of("ann@example.com") == []


def test_a_store_on_a_database_not_migrated_says_to_migrate(fresh: str) -> None:
    from closedloop.contrib.django import DjangoStore

    with pytest.raises(StorageError, match=r"manage\.py migrate closedloop --database fresh"):
        DjangoStore(fresh).cases_of("ann@example.com")


def test_a_store_refuses_a_schema_newer_than_it_knows(fresh: str) -> None:
    from django.db import connections

    from closedloop.contrib.django import DjangoStore

    migrate(fresh)
    with connections[fresh].cursor() as cursor:
        cursor.execute(f"PRAGMA user_version = {SQLITE_VERSION + 1}")
    with pytest.raises(SchemaVersionError):
        DjangoStore(fresh).cases_of("ann@example.com")


def test_closedloop_names_collide_with_none_of_djangos_tables(fresh: str) -> None:
    from django.db import connections

    from closedloop.contrib.django.schema import sqlite_names

    migrate(fresh)
    django_tables = set(connections[fresh].introspection.django_table_names())
    assert len(django_tables) > 5  # auth, admin, contenttypes, sessions, migrations
    ours = {name for _, name in sqlite_names()}
    assert ours & django_tables == set()
    assert {name.split("_")[0] for name in django_tables} & {"cases", "events", "outbox"} == set()


def test_migrate_refuses_a_database_holding_one_of_closedloops_names(fresh: str) -> None:
    from django.db import connections

    with connections[fresh].cursor() as cursor:
        cursor.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    with pytest.raises(StorageError, match="already has customers"):
        migrate(fresh, "closedloop")
    assert sqlite_objects(fresh) & {"cases", "events", "outbox"} == set()
    assert user_version(fresh) == 0


@pytest.mark.postgres
def test_migrate_on_postgresql_makes_the_closedloop_schema_at_its_version(pg_db: str) -> None:
    from django.db import connections

    from closedloop.adapters.postgres.schema import installed_version
    from closedloop.contrib.django import DjangoStore

    def version() -> int:
        connection = connections[pg_db]
        connection.ensure_connection()
        return installed_version(connection.connection, "closedloop")

    migrate(pg_db, "closedloop", "zero")
    assert version() == 0
    migrate(pg_db)
    assert version() == POSTGRES_VERSION
    DjangoStore(pg_db).commit(Change(opened("c1"), 0))
    migrate(pg_db)
    assert version() == POSTGRES_VERSION
    assert DjangoStore(pg_db).get("c1").version == 1
