"""DjangoStore on Django's SQLite backend: SQLiteStore's role classes reading and writing
through Django's connection, each write a ``transaction.atomic()`` block."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from closedloop.adapters.read_model import report_totals
from closedloop.adapters.read_model_lookups import attributions
from closedloop.adapters.sqlite.agents import SQLiteAgents
from closedloop.adapters.sqlite.cases import SQLiteCaseStorage
from closedloop.adapters.sqlite.connection import CHUNK, TenantView, _translated
from closedloop.adapters.sqlite.customers import SQLiteCustomerStorage
from closedloop.adapters.sqlite.erasure import SQLiteErasureStorage
from closedloop.adapters.sqlite.invitations import SQLiteInvitationStorage
from closedloop.adapters.sqlite.operations import SQLiteOperations
from closedloop.adapters.sqlite.outbox import SQLiteOutboxStorage
from closedloop.adapters.sqlite.reports import SQLiteReportStorage
from closedloop.adapters.sqlite.schema import SCHEMA_VERSION
from closedloop.adapters.sqlite.unit_of_work import SQLiteUnitOfWork
from closedloop.contrib.django.store import DjangoStore
from closedloop.domain.checks import require_aware
from closedloop.domain.customers.erasure import Erasure
from closedloop.domain.errors import ErasurePendingError, SchemaVersionError, StorageError
from closedloop.domain.outbox.messages import OutboxMessage
from closedloop.domain.reports.facts import Attribution
from closedloop.domain.reports.totals import Totals

__all__ = ["DjangoSQLiteStore"]

# The first statement of every write: it changes nothing but takes SQLite's write lock at
# once, waiting up to Django's ``timeout`` for another writer, so that the version checks
# after it read the latest commit. (Django begins its transactions DEFERRED, unless
# OPTIONS["transaction_mode"] = "IMMEDIATE"; a deferred transaction that read first and
# then writes cannot wait for the lock, and fails with "database is locked".)
_TAKE_WRITE_LOCK = "UPDATE cases SET version = version WHERE 0"

log = logging.getLogger("closedloop.storage.sqlite")


class _DjangoSQLite(DjangoStore, TenantView):
    """The connection touch points of SQLiteStore's roles, on Django's connection."""

    def _raw(self) -> sqlite3.Connection:
        wrapper = self._wrapper()
        wrapper.validate_no_broken_transaction()
        wrapper.ensure_connection()
        db: sqlite3.Connection = wrapper.connection
        if not self._state.checked:
            _check_schema(db, self._using)
            self._state.checked = True
        return db

    def _read(self, sql: str, params: Sequence[object]) -> list[Any]:
        try:
            return self._raw().execute(sql, params).fetchall()
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            raise _translated(exc) from exc

    def _stream(self, sql: str, params: Sequence[object]) -> Iterator[Any]:
        try:
            yield from self._raw().execute(sql, params)
        except sqlite3.Error as exc:
            raise StorageError(f"SQLite failed: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``transaction.atomic()`` block, its write lock taken first: committed (or
        its savepoint released) if the block returns, else rolled back."""
        from django.db import Error, transaction
        from django.db.transaction import TransactionManagementError

        try:
            with transaction.atomic(using=self._using):
                db = self._raw()
                db.execute(_TAKE_WRITE_LOCK)
                yield db
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            raise _translated(exc) from exc
        except TransactionManagementError:
            raise
        except Error as exc:  # Django's own statements: BEGIN, SAVEPOINT, COMMIT
            raise StorageError(f"SQLite failed: {exc}") from exc


def _check_schema(db: sqlite3.Connection, alias: str) -> None:
    try:
        found: int = db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as exc:
        raise _translated(exc) from exc
    if found > SCHEMA_VERSION:
        raise SchemaVersionError(found, SCHEMA_VERSION)
    if found < SCHEMA_VERSION:
        raise StorageError(
            f"closedloop's tables in the Django database {alias!r} are at schema version "
            f"{found}, this closedloop needs {SCHEMA_VERSION}: run `python manage.py migrate "
            f"closedloop --database {alias}` (with 'closedloop.contrib.django' in "
            "INSTALLED_APPS)"
        )


class DjangoSQLiteStore(
    _DjangoSQLite,
    SQLiteUnitOfWork,
    SQLiteCaseStorage,
    SQLiteInvitationStorage,
    SQLiteCustomerStorage,
    SQLiteOutboxStorage,
    SQLiteErasureStorage,
    SQLiteReportStorage,
    SQLiteOperations,
    SQLiteAgents,
):
    """:class:`~closedloop.contrib.django.DjangoStore` on a Django SQLite database."""

    def outbox_claim(
        self, now: datetime, limit: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> Sequence[OutboxMessage]:
        """As the protocol's; refused (StorageError) inside your ``atomic()`` block, where
        a rollback would undo the claims of messages already sent."""
        self._refuse_in_host_transaction("dispatching the outbox")
        return super().outbox_claim(now, limit, lease)

    def report_totals(
        self, since: datetime, until: datetime, basis: str, *, oldest: int = 20,
        examples: int = 3,
    ) -> Totals:  # fmt: skip
        """The totals of ``[since, until)`` over the settled cases, in one snapshot."""
        from django.db import transaction

        with transaction.atomic(using=self._using):
            return report_totals(
                self._read, self._stream, self._tenant, since, until, basis, oldest, examples
            )

    def attributions(self, case_ids: Sequence[str], until: datetime) -> Mapping[str, Attribution]:
        """As SQLiteStore's, in one snapshot of the host's connection."""
        from django.db import transaction

        with transaction.atomic(using=self._using):
            return attributions(self._read, self._tenant, case_ids, until, CHUNK)

    def erase(self, erasure: Erasure, at: datetime) -> int:
        """Remove a customer's details from every record (see the protocol), with
        ``secure_delete`` on. In WAL mode the log is then checkpointed as SQLiteStore's is
        (:class:`~closedloop.ErasurePendingError` if a reader holds old pages). Inside your
        ``atomic()`` block the checkpoint runs when your outermost block commits
        (``transaction.on_commit``): if it cannot complete, the ``ErasurePendingError`` is
        logged and raised from the exit of that block, after the commit (the erasure is
        committed; :meth:`checkpoint` finishes the job once the reader is done)."""
        from django.db import transaction

        require_aware("at", at)
        self._read("PRAGMA secure_delete = ON", ())
        try:
            with self._write() as tx:
                changed = self._erase(tx, erasure, at)
        finally:
            self._read("PRAGMA secure_delete = OFF", ())
        if self._wrapper().in_atomic_block:
            transaction.on_commit(self._checkpoint_or_raise, using=self._using)
        else:
            self._checkpoint_or_raise()
        return changed

    def _checkpoint_or_raise(self) -> None:
        """:meth:`checkpoint`, or log and raise ErasurePendingError if it cannot finish."""
        if not self.checkpoint():
            error = ErasurePendingError(self._name())
            log.error("%s", error, extra={"database": self._using})
            raise error

    def checkpoint(self, wait: float | None = None) -> bool:
        """Copy the write-ahead log into the database file and empty it (WAL mode only:
        otherwise there is no log, and this is True at once); see SQLiteStore's."""
        if self._read("PRAGMA journal_mode", ())[0][0].lower() != "wal":
            return True
        name = self._name()
        if wait is None:
            wait = self._read("PRAGMA busy_timeout", ())[0][0] / 1000
        own = sqlite3.connect(name, timeout=wait, isolation_level=None, uri=True)
        try:
            busy, frames, _ = own.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            own.close()
        return bool(busy == 0 and frames == 0)

    def _name(self) -> str:
        return str(self._wrapper().settings_dict["NAME"])
