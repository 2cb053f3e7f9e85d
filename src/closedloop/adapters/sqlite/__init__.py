"""SQLiteStore: the embedded default CaseStore, one SQLite file in WAL mode."""

from closedloop.adapters.sqlite.schema import MIGRATIONS, SCHEMA_VERSION, SQLiteStore

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SQLiteStore"]
