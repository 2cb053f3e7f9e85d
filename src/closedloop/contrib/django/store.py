"""DjangoStore: closedloop's storage on the Django project's own database connection.

A host saving a ticket and taking a closedloop step in one ``transaction.atomic()`` block
gets one transaction: both are committed, or neither. The store runs closedloop's own SQL,
the very statements of :class:`~closedloop.SQLiteStore` (on Django's ``sqlite`` backend)
or :class:`~closedloop.PostgresStore` (on ``postgresql`` with psycopg 3), on Django's raw
DB-API connection (``connections[using].connection``), with its transactions as Django's
``transaction.atomic(using=...)`` blocks: a savepoint when the caller is already in one.

Why raw SQL and not the ORM: one SQL source shared by all three stores, so the version
checks that make two writers of one case serialise (one wins, the other gets
:class:`~closedloop.ConcurrencyError`), the indexes every named query is planned on, the
erasure and the outbox are the ones the conformance kit already proves, at the same speed.
Models for the same tables would be a second, drifting copy of the schema.
"""

from __future__ import annotations

import importlib
from types import TracebackType
from typing import Any, Self, cast

from closedloop.adapters.common import check_tenant
from closedloop.contrib.django.schema import unsupported
from closedloop.domain.errors import StorageError, ValidationError
from closedloop.ports import DEFAULT_TENANT

__all__ = ["DjangoStore"]

#: The store class for each Django database vendor: (module, class).
_CLASSES = {
    "sqlite": ("closedloop.contrib.django.store_sqlite", "DjangoSQLiteStore"),
    "postgresql": ("closedloop.contrib.django.store_postgres", "DjangoPostgresStore"),
}


class _State:
    """What every tenant's view of one store shares: whether the schema was checked."""

    def __init__(self, row_level_security: bool) -> None:
        self.checked = False
        self.rls = row_level_security


class DjangoStore:
    """A :class:`~closedloop.ports.CaseStore` on the Django database ``using`` (an alias of
    ``settings.DATABASES``), inside the project's transactions.

    ``DjangoStore("default")`` is a store of the class for the database's vendor
    (``sqlite`` or ``postgresql``; any other raises :class:`~closedloop.ValidationError`).
    Its tables come from ``manage.py migrate`` (the ``closedloop.contrib.django`` app); a
    store finding them missing or older raises :class:`~closedloop.StorageError` saying
    so, newer :class:`~closedloop.SchemaVersionError`.

    Every write is a ``transaction.atomic(using=using)`` block: its own transaction, or a
    savepoint in yours, so a closedloop error (a stale version: ConcurrencyError) undoes
    only closedloop's step and leaves your transaction usable. Rolling your block back
    rolls the step back too. The connection is Django's, one per thread; :meth:`close`
    closes nothing. ``row_level_security=True`` (PostgreSQL) names the tenant in each
    transaction, as :class:`~closedloop.PostgresStore`'s option does.
    """

    _using: str
    _tenant: str
    _state: _State

    def __new__(
        cls,
        using: str = "default",
        *,
        tenant: str = DEFAULT_TENANT,
        row_level_security: bool = False,
        _state: _State | None = None,
    ) -> Self:
        chosen = _vendor_class(using) if cls is DjangoStore else cls
        return cast(Self, object.__new__(chosen))

    def __init__(
        self,
        using: str = "default",
        *,
        tenant: str = DEFAULT_TENANT,
        row_level_security: bool = False,
        _state: _State | None = None,
    ) -> None:
        self._using = using
        self._tenant = check_tenant(tenant)
        self._state = _state if _state is not None else _State(bool(row_level_security))

    @property
    def tenant(self) -> str:
        """The tenant this store reads and writes."""
        return self._tenant

    @property
    def using(self) -> str:
        """The alias of the Django database the store runs on."""
        return self._using

    def for_tenant(self, tenant: str) -> Self:
        """The same database, bound to ``tenant``."""
        return type(self)(self._using, tenant=tenant, _state=self._state)

    def close(self) -> None:
        """Nothing to close: the connection is Django's (closed when Django closes it)."""

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
        return f"DjangoStore({self._using!r}, tenant={self._tenant!r})"

    def _refuse_in_host_transaction(self, what: str) -> None:
        """Raise StorageError if the caller is inside an ``atomic()`` block of its own (a
        test case's blocks do not count, as for Django's ``durable``)."""
        wrapper = self._wrapper()
        if wrapper.in_atomic_block and not all(
            getattr(block, "_from_testcase", False) for block in wrapper.atomic_blocks
        ):
            raise StorageError(
                f"{what} inside a transaction.atomic() block on database {self._using!r}: "
                "its claims are not seen by other workers until the block commits, and a "
                "rollback undoes them after the mail has gone, so it is sent again; run "
                "dispatch outside transactions (`manage.py closedloop_dispatch` from cron or "
                "a worker), not in a view under ATOMIC_REQUESTS or your own atomic() block"
            )

    def _wrapper(self) -> Any:
        """Django's connection (its ``DatabaseWrapper``) for this thread."""
        from django.db import connections

        return connections[self._using]


def _vendor_class(using: str) -> type[DjangoStore]:
    from django.db import connections
    from django.db.utils import ConnectionDoesNotExist

    if not isinstance(using, str):
        raise ValidationError.of("using", f"using is a database alias (str), got {using!r}")
    try:
        vendor = connections[using].vendor
    except ConnectionDoesNotExist:
        raise ValidationError.of(
            "using",
            f"settings.DATABASES has no database {using!r} (it has "
            f"{', '.join(map(repr, connections))}); pass one of those",
        ) from None
    if vendor not in _CLASSES:
        raise unsupported(using, vendor)
    # By name: the vendor modules subclass DjangoStore, so importing them here would be
    # an import cycle.
    module, name = _CLASSES[vendor]
    found: type[DjangoStore] = getattr(importlib.import_module(module), name)
    return found
