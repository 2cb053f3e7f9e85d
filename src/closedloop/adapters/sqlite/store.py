"""SQLiteStore: the role classes composed into one store, with opening, binding to a
tenant, closing, and the connection's settings."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Self

from closedloop.adapters.common import check_tenant
from closedloop.adapters.sqlite.agents import SQLiteAgents
from closedloop.adapters.sqlite.cases import SQLiteCaseStorage
from closedloop.adapters.sqlite.connection import Shared
from closedloop.adapters.sqlite.customers import SQLiteCustomerStorage
from closedloop.adapters.sqlite.erasure import SQLiteErasureStorage
from closedloop.adapters.sqlite.invitations import SQLiteInvitationStorage
from closedloop.adapters.sqlite.operations import SQLiteOperations
from closedloop.adapters.sqlite.outbox import SQLiteOutboxStorage
from closedloop.adapters.sqlite.reports import SQLiteReportStorage
from closedloop.adapters.sqlite.schema import connect
from closedloop.adapters.sqlite.unit_of_work import SQLiteUnitOfWork
from closedloop.ports import DEFAULT_TENANT

__all__ = ["SQLiteStore"]


class SQLiteStore(
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
    """A :class:`~closedloop.ports.CaseStore` in one SQLite file (or ``":memory:"``).

    Opening a file creates or migrates its schema (``PRAGMA user_version``); a file written
    by a newer closedloop raises :class:`~closedloop.SchemaVersionError`, a file that is not
    a SQLite database :class:`~closedloop.StorageError`. Files use WAL journaling and
    ``synchronous`` (``"FULL"`` by default: a commit that returned survives power loss);
    ``busy_timeout`` is how many seconds a write waits for another process's write;
    ``cache_mib`` caps the connection's page cache (64 MiB by default, filled only as
    pages are read: a sweep's or a batch's reads then serve its writes).

    One connection serves every thread, behind a lock; views from :meth:`for_tenant` share
    it, and :meth:`close` (or leaving a ``with`` block) closes it for all of them.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        tenant: str = DEFAULT_TENANT,
        synchronous: str = "FULL",
        busy_timeout: float = 30.0,
        cache_mib: float = 64,
        _shared: Shared | None = None,
    ) -> None:
        self._tenant = check_tenant(tenant)
        self._shared = (
            _shared if _shared is not None else connect(path, synchronous, busy_timeout, cache_mib)
        )

    @property
    def tenant(self) -> str:
        """The tenant this store reads and writes."""
        return self._tenant

    @property
    def path(self) -> str:
        """The database file (or ``":memory:"``)."""
        return self._shared.name

    def for_tenant(self, tenant: str) -> SQLiteStore:
        """The same database and connection, bound to ``tenant``."""
        return SQLiteStore(tenant=tenant, _shared=self._shared)

    def close(self) -> None:
        """Close the connection (for every tenant's view); closing twice is harmless."""
        with self._shared.lock:
            self._shared.connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({self._shared.name!r}, tenant={self._tenant!r})"

    def pragmas(self) -> dict[str, int | str]:
        """Diagnostic: the settings this connection runs with (``journal_mode``,
        ``synchronous`` as SQLite's number, ``foreign_keys``, ``busy_timeout`` in ms,
        ``cache_size`` (negative: KiB), ``user_version``: the schema version)."""
        names = (
            "journal_mode", "synchronous", "foreign_keys", "busy_timeout", "cache_size",
            "user_version",
        )  # fmt: skip
        return {name: self._read(f"PRAGMA {name}", ())[0][0] for name in names}
