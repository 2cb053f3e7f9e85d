"""closedloop's tables in a Django project's database, made by closedloop's own schema
migrations (``closedloop.adapters.sqlite.schema``, ``closedloop.adapters.postgres.schema``)
run through Django's connection: the one source of the DDL, whichever store reads it.

The app's Django migrations call :func:`migrate` (forward) and :func:`drop` (reverse). On
PostgreSQL the tables live in the ``closedloop`` schema, where :class:`PostgresStore` puts
them by default; on SQLite they sit beside the project's tables, so a database that already
holds a table or index of one of their names is refused before anything is created.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, Final

from closedloop.adapters.postgres import schema as postgres_schema
from closedloop.adapters.sqlite import schema as sqlite_schema
from closedloop.domain.errors import SchemaVersionError, StorageError, ValidationError

__all__ = ["PG_SCHEMA", "VENDORS", "drop", "migrate", "sqlite_names", "unsupported"]

#: The PostgreSQL schema holding closedloop's tables (PostgresStore's default too).
PG_SCHEMA: Final = "closedloop"

#: The Django database vendors closedloop runs on.
VENDORS: Final = ("sqlite", "postgresql")

_SAVEPOINT = "closedloop_schema"


def unsupported(alias: str, vendor: str) -> ValidationError:
    """The error for a database closedloop cannot run on."""
    return ValidationError.of(
        "using",
        f"the Django database {alias!r} is {vendor!r}; closedloop runs on "
        f"{' and '.join(VENDORS)} (Django's ENGINE django.db.backends.sqlite3 or "
        "django.db.backends.postgresql with psycopg 3): point it at one of those, or "
        "use a separate SQLiteStore or PostgresStore",
    )


def migrate(connection: Any) -> int:
    """Bring closedloop's schema in ``connection``'s database (a Django ``DatabaseWrapper``)
    to the current version, inside the transaction the caller holds; return the version
    found (0: none yet)."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return _migrate_sqlite(connection.connection)
    if connection.vendor == "postgresql":
        with psycopg_cursors(connection) as raw:
            return postgres_schema.migrate_schema(raw, PG_SCHEMA)
    raise unsupported(connection.alias, connection.vendor)


def drop(connection: Any) -> None:
    """Drop every closedloop table (and its records) from ``connection``'s database."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        db = connection.connection
        for kind, name in reversed(sqlite_names()):
            if kind == "table":
                db.execute(f'DROP TABLE IF EXISTS "{name}"')
        db.execute("PRAGMA user_version = 0")
    elif connection.vendor == "postgresql":
        with psycopg_cursors(connection) as raw:
            raw.execute(f"DROP SCHEMA IF EXISTS {postgres_schema.quoted(PG_SCHEMA)} CASCADE")
    else:
        raise unsupported(connection.alias, connection.vendor)


@cache
def sqlite_names() -> tuple[tuple[str, str], ...]:
    """Every (type, name) closedloop's SQLite schema creates, tables and indexes, in order
    of creation: what must be free in a database before closedloop moves in."""
    scratch = sqlite3.connect(":memory:")
    try:
        for step in sqlite_schema.MIGRATIONS:
            for statement in step:
                scratch.execute(statement)
        rows = scratch.execute(
            "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY rowid"
        ).fetchall()
    finally:
        scratch.close()
    return tuple((kind, name) for kind, name in rows)


@contextmanager
def psycopg_cursors(connection: Any) -> Iterator[Any]:
    """Django's raw psycopg 3 connection, making server-side binding cursors (as
    PostgresStore's) instead of Django's client-side ones while the block runs."""
    try:
        import psycopg
    except ImportError as exc:  # Django on psycopg2: closedloop's SQL needs psycopg 3
        raise StorageError(
            "closedloop on PostgreSQL needs psycopg 3 (pip install 'closedloop[postgres]'); "
            "Django then uses it instead of psycopg2"
        ) from exc
    raw = connection.connection
    if not isinstance(raw, psycopg.Connection):
        raise StorageError(
            f"the Django database {connection.alias!r} connects with {type(raw).__module__}; "
            "closedloop needs psycopg 3: pip install 'psycopg[binary]' (Django prefers it)"
        )
    factory = raw.cursor_factory
    raw.cursor_factory = psycopg.Cursor
    try:
        yield raw
    finally:
        raw.cursor_factory = factory


def _migrate_sqlite(db: sqlite3.Connection) -> int:
    found: int = db.execute("PRAGMA user_version").fetchone()[0]
    if found > sqlite_schema.SCHEMA_VERSION:
        raise SchemaVersionError(found, sqlite_schema.SCHEMA_VERSION)
    if found == 0:
        _refuse_taken_names(db)
    if found < sqlite_schema.SCHEMA_VERSION:
        # SQLiteStore's own migration, its BEGIN IMMEDIATE/COMMIT made a savepoint inside
        # the transaction Django runs each migration in.
        sqlite_schema._migrate(_Nested(db))  # type: ignore[arg-type]
    return found


def _refuse_taken_names(db: sqlite3.Connection) -> None:
    ours = {name for _, name in sqlite_names()}
    taken = sorted(
        name
        for (name,) in db.execute("SELECT name FROM sqlite_master")
        if isinstance(name, str) and name.lower() in ours
    )
    if taken:
        raise StorageError(
            f"this SQLite database already has {', '.join(taken)}, which closedloop's tables "
            "and indexes are named; closedloop's names on SQLite are not prefixed: rename "
            "those tables (Meta.db_table) or run closedloop on PostgreSQL, where its tables "
            "have a schema of their own"
        )


class _Nested:
    """A sqlite3 connection whose transaction statements become a savepoint's."""

    _STATEMENTS: Final = {
        "BEGIN IMMEDIATE": f"SAVEPOINT {_SAVEPOINT}",
        "COMMIT": f"RELEASE {_SAVEPOINT}",
        "ROLLBACK": f"ROLLBACK TO {_SAVEPOINT}",
    }

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    @property
    def in_transaction(self) -> bool:
        return self._db.in_transaction

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self._db.execute(self._STATEMENTS.get(sql, sql), params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        return self._db.executemany(sql, rows)
