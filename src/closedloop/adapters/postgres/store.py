"""PostgresStore: the role mixins of this package made one CaseStore, with its constructor,
its views of other tenants, closing, and the schema operations an operator calls
(``migrate``, ``schema_version``, ``enable_row_level_security``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Self

from closedloop.adapters.common import check_tenant
from closedloop.adapters.postgres.agents import PostgresAgents
from closedloop.adapters.postgres.cases import PostgresCaseStorage
from closedloop.adapters.postgres.claims import PostgresDueClaims
from closedloop.adapters.postgres.connection import Database, Source, errors
from closedloop.adapters.postgres.customers import PostgresCustomerStorage
from closedloop.adapters.postgres.erasure import PostgresErasureStorage
from closedloop.adapters.postgres.invitations import PostgresInvitationStorage
from closedloop.adapters.postgres.operations import PostgresOperations
from closedloop.adapters.postgres.outbox import PostgresOutboxStorage
from closedloop.adapters.postgres.reports import PostgresReportStorage
from closedloop.adapters.postgres.schema import create_policies, quoted, role_bindings
from closedloop.adapters.postgres.unit_of_work import PostgresUnitOfWork
from closedloop.domain.errors import ValidationError
from closedloop.ports import DEFAULT_TENANT

__all__ = ["PostgresStore"]

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresStore(
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
    """A :class:`~closedloop.ports.CaseStore` in PostgreSQL, for many workers at once.

    ``source`` is a DSN (``"postgresql://app@db/crm"``), a pool with a ``connection()``
    context manager (``psycopg_pool.ConnectionPool``), or a function returning a new
    connection. Nothing connects until the store is first used. From a DSN or a function the
    store opens connections itself, at most ``max_connections``, and every call borrows one
    for its transaction and gives it back: threads share them, and a thread that ends holds
    none. From a pool, each call borrows from the pool.

    With ``migrate=True`` the schema is created or migrated on first use (safe when several
    processes start at once: migrations take an advisory lock); with ``False`` call
    :meth:`migrate` yourself, and a store finding an older schema refuses to run. A newer
    schema raises :class:`~closedloop.SchemaVersionError` either way.
    ``row_level_security=True`` tells the database which tenant each transaction is for
    (see :meth:`enable_row_level_security`).
    """

    def __init__(
        self,
        source: Source,
        *,
        tenant: str = DEFAULT_TENANT,
        schema: str = "closedloop",
        migrate: bool = True,
        row_level_security: bool = False,
        max_connections: int = 10,
        _shared: Database | None = None,
    ) -> None:
        self._tenant = check_tenant(tenant)
        if _shared is None:
            if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
                raise ValidationError.of(
                    "schema",
                    f"schema must be a lower-case SQL name (letters, digits, _), got {schema!r}",
                )
            if (
                isinstance(max_connections, bool)
                or not isinstance(max_connections, int)
                or max_connections < 1
            ):
                raise ValidationError.of(
                    "max_connections",
                    "max_connections must be a whole number of at least 1, got "
                    f"{max_connections!r}",
                )
            _shared = Database(source, schema, migrate, row_level_security, max_connections)
        self._shared = _shared
        self._s = quoted(_shared.schema)

    @property
    def tenant(self) -> str:
        """The tenant this store reads and writes."""
        return self._tenant

    @property
    def schema(self) -> str:
        """The PostgreSQL schema holding closedloop's tables."""
        return self._shared.schema

    def for_tenant(self, tenant: str) -> PostgresStore:
        """The same database and connections, bound to ``tenant``."""
        return PostgresStore(self._shared.source, tenant=tenant, _shared=self._shared)

    def close(self) -> None:
        """Close the connections this store opened, for every tenant's view (a pool's stay
        the pool's); a later call opens a new one."""
        self._shared.close()

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
        return f"PostgresStore(schema={self._shared.schema!r}, tenant={self._tenant!r})"

    # -- schema ---------------------------------------------------------------------------

    def migrate(self) -> int:
        """Create or migrate the schema to :data:`SCHEMA_VERSION`; return the version found.

        Serialised by a transaction-level advisory lock, so two processes starting at once
        migrate once."""
        return self._shared.migrate()

    def schema_version(self) -> int:
        """The version of the schema in the database (0 if there is none yet)."""
        return self._shared.version()

    def enable_row_level_security(
        self, roles: Mapping[str, str | Iterable[str]] | None = None
    ) -> None:
        """Make the database itself keep tenants apart: every table gets a policy that
        shows a role only the rows of the tenant named by the ``closedloop.tenant`` setting,
        which stores made with ``row_level_security=True`` set in each transaction. Owners
        and superusers bypass it; connect your app as another role.

        ``roles`` binds database roles to their tenants (``{"acme_app": "acme"}``, or a list
        of tenants): a bound role sees only its tenants' rows, even if it sets
        ``closedloop.tenant`` by hand. Roles not bound (one app role serving every tenant)
        rely on the setting. Calling it again replaces the bindings of the roles named.
        Grant bound roles ``SELECT`` on ``<schema>.tenant_roles`` and nothing more there."""
        self._shared.ensure_ready()
        bindings = role_bindings(roles or {})
        with self._shared.connection() as conn, errors(self._shared), conn.transaction():
            create_policies(conn, self._shared.schema, bindings)
