"""Help for a Django project's own tests: :func:`flush_closedloop` empties closedloop's
tables, which Django's ``TransactionTestCase`` (flushing only model tables) leaves alone."""

from __future__ import annotations

from closedloop.contrib.django.schema import PG_SCHEMA, sqlite_names, unsupported

__all__ = ["flush_closedloop"]

#: PostgreSQL tables that describe the schema, not records: kept.
_KEPT = ("schema_version", "tenant_roles")


def flush_closedloop(using: str = "default") -> None:
    """Delete every closedloop record (every tenant's cases, events, outbox, invitations,
    customers...) from the Django database ``using``, in one transaction; the tables and
    the schema version stay. For tests only: call it in ``tearDown`` of a
    ``TransactionTestCase`` (Django's ``TestCase`` rolls closedloop's rows back itself)."""
    from django.db import connections, transaction

    connection = connections[using]
    if connection.vendor == "sqlite":
        tables = [f'"{name}"' for kind, name in reversed(sqlite_names()) if kind == "table"]
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s"
                " AND tablename <> ALL(%s) ORDER BY tablename",
                [PG_SCHEMA, list(_KEPT)],
            )
            tables = [f'"{PG_SCHEMA}"."{name}"' for (name,) in cursor.fetchall()]
    else:
        raise unsupported(using, connection.vendor)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # closedloop's own table names
