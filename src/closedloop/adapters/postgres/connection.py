"""Connections to PostgreSQL and what every role of a PostgresStore builds on: the database
its tenants' stores share (connections, schema readiness), database errors as closedloop's,
and one transaction for one tenant at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, Protocol

from closedloop.adapters.postgres.schema import (
    SCHEMA_VERSION,
    check_version,
    installed_version,
    migrate_schema,
)
from closedloop.domain.errors import StorageError, ValidationError

if TYPE_CHECKING:
    import psycopg

__all__ = ["PAGE", "Connections", "Database", "PostgresBase", "Source", "errors"]

log = logging.getLogger("closedloop.storage.postgres")

#: Rows per query of a read that yields its results a page at a time.
PAGE = 500


class _Pool(Protocol):
    """A connection pool as psycopg_pool has it: ``with pool.connection() as conn``."""

    def connection(self) -> AbstractContextManager[psycopg.Connection[Any]]: ...


Source = str | _Pool | Callable[[], "psycopg.Connection[Any]"]


class Connections:
    """The connections a store opens itself, shared by its threads: each call borrows one
    and gives it back when it ends, so a thread that is gone holds none. At most ``size``
    are open; a thread finding them all busy waits up to ``wait`` seconds. A call made
    inside another on the same thread uses the same connection."""

    def __init__(
        self, connect: Callable[[], psycopg.Connection[Any]], size: int, wait: float = 30.0
    ) -> None:
        from psycopg import pq

        self.size = size
        self.wait = wait
        self._connect = connect
        self._idle_status = pq.TransactionStatus.IDLE
        self._lock = threading.Condition(threading.Lock())
        self._open: dict[int, psycopg.Connection[Any]] = {}
        self._idle: list[psycopg.Connection[Any]] = []
        self._opening = 0
        self._waiting = 0
        self._local = threading.local()

    def borrow(self) -> _Loan:
        """A context manager lending this thread a connection for one call."""
        return _Loan(self)

    def take(self) -> psycopg.Connection[Any]:
        deadline = time.monotonic() + self.wait
        with self._lock:
            while True:
                while self._idle:
                    conn = self._idle.pop()
                    if not (conn.closed or conn.broken):
                        return conn
                    self._open.pop(id(conn), None)
                if len(self._open) + self._opening < self.size:
                    self._opening += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StorageError(
                        f"all {self.size} connections of this PostgresStore stayed busy for "
                        f"{self.wait:g} s; make the store with a larger max_connections, "
                        "or run fewer threads at once"
                    )
                self._waiting += 1
                try:
                    self._lock.wait(left)
                finally:
                    self._waiting -= 1
        made: psycopg.Connection[Any] | None = None
        try:
            made = self._connect()
        finally:
            with self._lock:
                self._opening -= 1
                if made is not None:
                    self._open[id(made)] = made
                elif self._waiting:
                    self._lock.notify()
        return made

    def give_back(self, conn: psycopg.Connection[Any]) -> None:
        clean = not (conn.closed or conn.broken)
        clean = clean and conn.pgconn.transaction_status == self._idle_status
        with self._lock:
            ours = self._open.get(id(conn)) is conn
            if ours and clean:
                self._idle.append(conn)
            elif ours:
                del self._open[id(conn)]
            if self._waiting:
                self._lock.notify()
        if not (ours and clean):
            conn.close()

    def close(self) -> None:
        """Close every connection opened; the next call opens a new one."""
        with self._lock:
            opened = list(self._open.values())
            self._open.clear()
            self._idle.clear()
            self._lock.notify_all()
        for conn in opened:
            conn.close()


class _Loan:
    """One call's use of a connection from :class:`Connections` (the one this thread holds
    already, if the call is inside another)."""

    __slots__ = ("_conn", "_connections", "_outer")

    def __init__(self, connections: Connections) -> None:
        self._connections = connections

    def __enter__(self) -> psycopg.Connection[Any]:
        local = self._connections._local
        held: psycopg.Connection[Any] | None = getattr(local, "conn", None)
        self._outer = held is None
        if held is None:
            held = local.conn = self._connections.take()
        self._conn = held
        return held

    def __exit__(self, *exc: object) -> None:
        if self._outer:
            self._connections._local.conn = None
            self._connections.give_back(self._conn)


class Database:
    """What every tenant's view of one database shares: where connections come from, the
    schema, and whether the schema was checked."""

    def __init__(
        self, source: Source, schema: str, migrate: bool, rls: bool, max_connections: int = 10
    ) -> None:
        try:
            import psycopg  # the postgres extra; imported only when a store is made
        except ImportError as exc:
            raise ImportError(
                "PostgresStore needs psycopg 3: pip install 'closedloop[postgres]'"
            ) from exc

        self.psycopg = psycopg
        self.source = source
        self.schema = schema
        self.auto_migrate = migrate
        self.rls = rls
        self.ready = False
        self.own = Connections(self._connect, max_connections)

    def connection(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        """A connection for one call: borrowed from the host's pool, or from the store's own
        connections (a DSN, or the host's function) and given back when the call ends."""
        source = self.source
        if isinstance(source, str) or callable(source):
            return self.own.borrow()
        return source.connection()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            if isinstance(self.source, str):
                conn = self.psycopg.connect(self.source, autocommit=True)
            else:
                conn = self.source()  # type: ignore[operator]
                conn.autocommit = True
        except self.psycopg.Error as exc:
            raise StorageError(f"cannot connect to PostgreSQL: {exc}") from exc
        return conn

    def close(self) -> None:
        self.own.close()

    def migrate(self) -> int:
        """Create or migrate the schema in one transaction; return the version found."""
        with self.connection() as conn, errors(self), conn.transaction():
            found = migrate_schema(conn, self.schema)
        self.ready = True
        if found != SCHEMA_VERSION:
            log.info(
                "schema %s migrated from version %d to %d", self.schema, found, SCHEMA_VERSION,
                extra={"schema": self.schema, "from_version": found, "to_version": SCHEMA_VERSION},
            )  # fmt: skip
        return found

    def version(self) -> int:
        """The version of the schema in the database (0 if there is none yet)."""
        with self.connection() as conn, errors(self):
            return installed_version(conn, self.schema)

    def ensure_ready(self) -> None:
        """Before first use: migrate the schema, or (``migrate=False``) check it is current."""
        if self.ready:
            return
        if self.auto_migrate:
            self.migrate()
            return
        found = self.version()
        check_version(found)
        if found < SCHEMA_VERSION:
            raise StorageError(
                f"the closedloop schema {self.schema!r} is at version {found}, this "
                f"closedloop needs {SCHEMA_VERSION}; call store.migrate() (or make the store "
                "with migrate=True)"
            )
        self.ready = True


@contextmanager
def errors(database: Database) -> Iterator[None]:
    """Database errors met at the boundary, as closedloop's."""
    psycopg = database.psycopg
    try:
        yield
    except (psycopg.errors.CharacterNotInRepertoire, psycopg.errors.UntranslatableCharacter) as exc:
        raise ValidationError(f"cannot store text PostgreSQL refuses ({exc})") from exc
    except psycopg.DataError as exc:
        raise ValidationError(f"PostgreSQL refused a value: {exc}") from exc
    except psycopg.Error as exc:
        raise StorageError(f"PostgreSQL failed: {exc}") from exc


class PostgresBase:
    """One tenant's view of a :class:`Database`, which each role's methods build on
    (PostgresStore sets these attributes when it is made)."""

    _tenant: str
    _shared: Database
    #: The schema's name as SQL writes it.
    _s: str

    @contextmanager
    def _tx(
        self, *, pipelined: bool = False, snapshot: bool = False
    ) -> Iterator[psycopg.Cursor[Any]]:
        """One transaction (the tenant setting made for row-level security first).
        ``pipelined``: statements whose results are not read go without waiting for the
        server (psycopg's pipeline mode), so a commit of a dozen statements costs two or
        three round trips; a statement's error then surfaces when a later result is read,
        or at COMMIT, and rolls the transaction back all the same. ``snapshot``: a read-only
        transaction whose statements all see one snapshot (``REPEATABLE READ``)."""
        self._shared.ensure_ready()
        with (
            self._shared.connection() as conn,
            errors(self._shared),
            conn.pipeline() if pipelined else nullcontext(),
            conn.transaction(),
        ):
            cur = conn.cursor()
            if snapshot:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if self._shared.rls:
                cur.execute("SELECT set_config('closedloop.tenant', %s, true)", (self._tenant,))
            yield cur

    def _read(self, sql: str, params: Sequence[object]) -> list[Any]:
        """One statement's rows. Without row-level security, on a connection in autocommit
        (the store's own), the statement runs alone: one round trip, where BEGIN and COMMIT
        around it would make three; a single statement sees one snapshot either way."""
        shared = self._shared
        if shared.rls:
            with self._tx() as cur:
                return cur.execute(sql, params).fetchall()
        shared.ensure_ready()
        with shared.connection() as conn, errors(shared):
            if conn.autocommit:
                return conn.execute(sql, params).fetchall()
            with conn.transaction():
                return conn.execute(sql, params).fetchall()
