"""DjangoStore on Django's PostgreSQL backend (psycopg 3): PostgresStore's role classes on
Django's connection, each transaction a ``transaction.atomic()`` block, the tables in the
``closedloop`` schema."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from closedloop.adapters.postgres.agents import PostgresAgents
from closedloop.adapters.postgres.cases import PostgresCaseStorage
from closedloop.adapters.postgres.claims import PostgresDueClaims
from closedloop.adapters.postgres.connection import PostgresBase, errors
from closedloop.adapters.postgres.customers import PostgresCustomerStorage
from closedloop.adapters.postgres.erasure import PostgresErasureStorage
from closedloop.adapters.postgres.invitations import PostgresInvitationStorage
from closedloop.adapters.postgres.operations import PostgresOperations
from closedloop.adapters.postgres.outbox import PostgresOutboxStorage
from closedloop.adapters.postgres.reports import PostgresReportStorage
from closedloop.adapters.postgres.schema import (
    SCHEMA_VERSION,
    check_version,
    create_policies,
    installed_version,
    quoted,
    role_bindings,
)
from closedloop.adapters.postgres.unit_of_work import PostgresUnitOfWork
from closedloop.contrib.django.schema import PG_SCHEMA, psycopg_cursors
from closedloop.contrib.django.store import DjangoStore, _State
from closedloop.domain.errors import StorageError
from closedloop.domain.outbox.messages import OutboxMessage

if TYPE_CHECKING:
    import psycopg

__all__ = ["DjangoPostgresStore"]


class _Driver:
    """What PostgresStore's roles read from their database besides connections: the
    driver (for its error classes), the schema, and whether to name the tenant."""

    def __init__(self, state: _State) -> None:
        import psycopg

        self.psycopg = psycopg
        self.schema = PG_SCHEMA
        self.rls = state.rls


class _DjangoPostgres(DjangoStore, PostgresBase):
    """The connection touch points of PostgresStore's roles, on Django's connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shared = _Driver(self._state)  # type: ignore[assignment]
        self._s = quoted(PG_SCHEMA)

    def _raw(self) -> psycopg.Connection[Any]:
        wrapper = self._wrapper()
        wrapper.validate_no_broken_transaction()
        wrapper.ensure_connection()
        if not self._state.checked:
            with psycopg_cursors(wrapper) as raw, errors(self._shared):
                _check_schema(installed_version(raw, PG_SCHEMA), self._using)
            self._state.checked = True
        conn: psycopg.Connection[Any] = wrapper.connection
        return conn

    @contextmanager
    def _tx(
        self, *, pipelined: bool = False, snapshot: bool = False
    ) -> Iterator[psycopg.Cursor[Any]]:
        """One ``transaction.atomic()`` block (the tenant named first for row-level
        security): committed, or its savepoint released, if the block returns. Never
        pipelined: the connection and its transaction are Django's. ``snapshot``: one
        snapshot for every statement, when the block begins the transaction (inside the
        host's own ``atomic()`` its isolation level stands)."""
        from django.db import connections, transaction

        outermost = not connections[self._using].in_atomic_block
        with _django_errors(), errors(self._shared):
            raw = self._raw()  # its first-use schema check is no statement of the block's
        with (
            _django_errors(),
            errors(self._shared),
            transaction.atomic(using=self._using),
            self._shared.psycopg.Cursor(raw) as cur,
        ):
            if snapshot and outermost:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if self._shared.rls:
                cur.execute("SELECT set_config('closedloop.tenant', %s, true)", (self._tenant,))
            yield cur

    def _read(self, sql: str, params: Sequence[object]) -> list[Any]:
        if self._shared.rls:
            with self._tx() as cur:
                return cur.execute(sql, params).fetchall()
        with (
            _django_errors(),
            errors(self._shared),
            self._shared.psycopg.Cursor(self._raw()) as cur,
        ):
            rows: list[Any] = cur.execute(sql, params).fetchall()
            return rows


@contextmanager
def _django_errors() -> Iterator[None]:
    """Errors of Django's own statements (BEGIN, SAVEPOINT, COMMIT) as closedloop's."""
    from django.db import Error
    from django.db.transaction import TransactionManagementError

    try:
        yield
    except TransactionManagementError:
        raise
    except Error as exc:
        raise StorageError(f"PostgreSQL failed: {exc}") from exc


def _check_schema(found: int, alias: str) -> None:
    check_version(found)
    if found < SCHEMA_VERSION:
        raise StorageError(
            f"closedloop's schema {PG_SCHEMA!r} in the Django database {alias!r} is at "
            f"version {found}, this closedloop needs {SCHEMA_VERSION}: run `python manage.py "
            f"migrate closedloop --database {alias}` (with 'closedloop.contrib.django' in "
            "INSTALLED_APPS)"
        )


class DjangoPostgresStore(
    _DjangoPostgres,
    PostgresUnitOfWork,
    PostgresCaseStorage,
    PostgresDueClaims,
    PostgresInvitationStorage,
    PostgresCustomerStorage,
    PostgresOutboxStorage,
    PostgresErasureStorage,
    PostgresReportStorage,
    PostgresOperations,
    PostgresAgents,
):
    """:class:`~closedloop.contrib.django.DjangoStore` on a Django PostgreSQL database."""

    def outbox_claim(
        self, now: datetime, limit: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> Sequence[OutboxMessage]:
        """As the protocol's; refused (StorageError) inside your ``atomic()`` block, where
        a rollback would undo the claims of messages already sent."""
        self._refuse_in_host_transaction("dispatching the outbox")
        return super().outbox_claim(now, limit, lease)

    @property
    def schema(self) -> str:
        """The PostgreSQL schema holding closedloop's tables: ``closedloop``."""
        return PG_SCHEMA

    def enable_row_level_security(
        self, roles: Mapping[str, str | Iterable[str]] | None = None
    ) -> None:
        """Give every closedloop table the tenant policy, as
        :meth:`PostgresStore.enable_row_level_security` does (make the store with
        ``row_level_security=True`` so each transaction names its tenant)."""
        bindings = role_bindings(roles or {})
        with self._tx() as cur:
            create_policies(cur.connection, PG_SCHEMA, bindings)
