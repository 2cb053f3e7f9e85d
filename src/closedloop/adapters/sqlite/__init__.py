"""SQLiteStore: the embedded default CaseStore, one SQLite file in WAL mode.

Several threads share one store; several processes on one host can share one file. Every
write is one ``BEGIN IMMEDIATE`` transaction, so two commits of the same case version
serialize: one wins, the other raises :class:`~closedloop.ConcurrencyError`.

A case is stored as its events (JSON from :mod:`closedloop.codec`) and read back by
replaying them; a ``cases`` row beside them holds what the named queries filter and sort
on. Times used in queries are UTC microseconds since the epoch (INTEGER), so rows sort by
instant whatever offset or zone the datetime had; the exact datetime stays in the JSON.
"""

from closedloop.adapters.sqlite.schema import MIGRATIONS, SCHEMA_VERSION
from closedloop.adapters.sqlite.store import SQLiteStore

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SQLiteStore"]
