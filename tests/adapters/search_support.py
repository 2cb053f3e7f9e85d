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


def undo_search_sqlite(db: sqlite3.Connection) -> None:
    """Drop the search migration's indexes, table and columns from a SQLite file."""
    for index in _INDEXES:
        db.execute(f"DROP INDEX {index}")
    db.execute("DROP TABLE case_labels")
    for column in _COLUMNS:
        db.execute(f"ALTER TABLE cases DROP COLUMN {column}")


def undo_search_postgres(conn: Any, schema: str) -> None:
    """Drop the search migration's indexes, table and columns from a schema."""
    for index in _INDEXES:
        conn.execute(f'DROP INDEX "{schema}".{index}')
    conn.execute(f'DROP TABLE "{schema}".case_labels')
    drops = ", ".join(f"DROP COLUMN {column}" for column in _COLUMNS)
    conn.execute(f'ALTER TABLE "{schema}".cases {drops}')
