"""Undoing the search migration, for tests that turn a database back into one an older
closedloop wrote (before cases could be found by any filter)."""

from __future__ import annotations

import sqlite3
from typing import Any

_COLUMNS = ("owner", "team", "urgency", "kind", "channel", "updated_us", "amber_us", "due_key")
_INDEXES = (
    "cases_find_due", "cases_find_opened", "cases_find_priority", "cases_find_team",
    "cases_find_owner", "cases_find_stage", "cases_find_kind", "cases_find_channel",
    "cases_find_updated",
)  # fmt: skip


def undo_subject(conn: Any, schema: str | None = None) -> None:
    """Drop the subject and tags columns (the last migration) from a SQLite file, or from
    ``schema``, if they are there."""
    if schema is None:
        if any(row[1] == "subject" for row in conn.execute("PRAGMA table_info(cases)")):
            conn.execute("ALTER TABLE cases DROP COLUMN subject")
            conn.execute("ALTER TABLE cases DROP COLUMN tags")
    else:
        conn.execute(
            f'ALTER TABLE "{schema}".cases DROP COLUMN IF EXISTS subject,'
            " DROP COLUMN IF EXISTS tags"
        )


def undo_search_sqlite(db: sqlite3.Connection) -> None:
    """Drop the search migration's indexes, table and columns from a SQLite file (and the
    migrations after it that add columns to ``cases``)."""
    undo_subject(db)
    for index in _INDEXES:
        db.execute(f"DROP INDEX {index}")
    db.execute("DROP TABLE case_labels")
    for column in _COLUMNS:
        db.execute(f"ALTER TABLE cases DROP COLUMN {column}")


def undo_search_postgres(conn: Any, schema: str) -> None:
    """Drop the search migration's indexes, table and columns from a schema (and the
    migrations after it that add columns to ``cases``)."""
    undo_subject(conn, schema)
    for index in _INDEXES:
        conn.execute(f'DROP INDEX "{schema}".{index}')
    conn.execute(f'DROP TABLE "{schema}".case_labels')
    drops = ", ".join(f"DROP COLUMN {column}" for column in _COLUMNS)
    conn.execute(f'ALTER TABLE "{schema}".cases {drops}')


def undo_attribution_sqlite(db: sqlite3.Connection) -> None:
    """Drop what the report facts' attribution migration (and the one after it) added to a
    SQLite file."""
    undo_subject(db)
    db.execute("DROP TABLE fact_tags")
    for table in ("case_facts", "fact_steps"):
        db.execute(f"ALTER TABLE {table} DROP COLUMN owner")
        db.execute(f"ALTER TABLE {table} DROP COLUMN team")


def undo_attribution_postgres(conn: Any, schema: str) -> None:
    """Drop what the report facts' attribution migration (and the one after it) added to a
    schema."""
    undo_subject(conn, schema)
    conn.execute(f'DROP TABLE "{schema}".fact_tags')
    for table in ("case_facts", "fact_steps"):
        conn.execute(f'ALTER TABLE "{schema}".{table} DROP COLUMN owner, DROP COLUMN team')


def undo_agents(conn: Any, schema: str | None = None) -> None:
    """Drop the teams migration's tables (from a SQLite file, or from ``schema``)."""
    from closedloop.adapters.postgres.agents_schema import AGENT_TABLES

    for table in AGENT_TABLES:
        conn.execute(f"DROP TABLE {table}" if schema is None else f'DROP TABLE "{schema}".{table}')
