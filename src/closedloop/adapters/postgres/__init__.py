"""PostgresStore: the CaseStore for deployments with many app servers and workers.

Needs the ``postgres`` extra (psycopg 3); psycopg is imported when a store is made, never
when closedloop is. Every record lives in one schema (``closedloop`` by default), every
row carries its tenant, and every query is scoped by it; with ``row_level_security=True``
the database enforces the same for any role that is not the tables' owner.

Writes are single transactions whose conditions the database checks: a case or invitation
is updated only at the version the change names, a new one is inserted only if absent, and
a unique key on ``(case, level)`` makes a double escalation impossible even for a buggy
caller. Sweeps and dispatchers claim work with ``FOR UPDATE SKIP LOCKED`` and a lease, so
N workers share it without overlap, and a crashed worker's claims are taken over once the
lease runs out. Times used in queries are UTC microseconds (``bigint``), as in SQLite; the
exact datetimes stay in the JSON bodies.
"""

from closedloop.adapters.postgres.schema import MIGRATIONS, SCHEMA_VERSION
from closedloop.adapters.postgres.store import PostgresStore

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresStore"]
