"""The connection every tenant's view of one database shares, and the two ways the store
uses it: a read of one statement, or a write of one ``BEGIN IMMEDIATE`` transaction. Errors
met at the database come out as closedloop errors."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from closedloop.domain.errors import StorageError, ValidationError

__all__ = ["CHUNK", "Shared", "TenantView", "run"]

# SQLite allows at least 999 bound parameters per statement in every build still in use.
CHUNK = 500


class Shared:
    """What every tenant's view of one database shares: the connection and its lock."""

    def __init__(self, connection: sqlite3.Connection, name: str) -> None:
        self.connection = connection
        self.name = name
        self.lock = threading.RLock()


class TenantView:
    """One tenant's view of a :class:`Shared` connection: the base of the store's role
    classes, which read and write through it."""

    _tenant: str
    _shared: Shared

    def _read(self, sql: str, params: Sequence[object]) -> list[Any]:
        with self._shared.lock:
            try:
                return self._shared.connection.execute(sql, params).fetchall()
            except (sqlite3.Error, UnicodeEncodeError) as exc:
                raise _translated(exc) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed if the block returns, else
        rolled back (domain errors pass through, database errors become StorageError)."""
        db = self._shared.connection
        with self._shared.lock:
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
            except (sqlite3.Error, UnicodeEncodeError) as exc:
                raise _translated(exc) from exc


def run(db: sqlite3.Connection, sql: str, rows: Sequence[Sequence[object]]) -> None:
    """Execute ``sql`` with each of ``rows``."""
    if len(rows) == 1:  # most commits: execute() costs less than executemany()
        db.execute(sql, rows[0])
    elif rows:
        db.executemany(sql, rows)


def _translated(exc: sqlite3.Error | UnicodeEncodeError) -> Exception:
    """The closedloop error for an error met at the database boundary."""
    if isinstance(exc, UnicodeEncodeError):  # lone surrogates, e.g. errors="surrogateescape"
        return ValidationError(
            f"cannot store or look up text that is not valid Unicode ({exc.reason}); "
            "decode it with errors='replace' first"
        )
    return StorageError(f"SQLite failed: {exc}")
