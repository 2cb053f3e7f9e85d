"""The PostgreSQL schema: its tables and indexes as ordered migrations, migrating a database
to :data:`SCHEMA_VERSION`, and the row-level security policies that keep tenants apart.

Each function here works on a connection its caller opened (and, where it writes, inside
the caller's transaction); ``schema`` is the name of the schema holding closedloop's tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from closedloop.adapters.common import check_tenant
from closedloop.adapters.postgres.agents_schema import AGENT_TABLES, AGENTS, fill_agent_cases
from closedloop.adapters.postgres.backfill import fill_case_authors, fill_queues, fill_snapshots
from closedloop.adapters.postgres.outbox_schema import OUTBOX_ORDER
from closedloop.adapters.postgres.read_model_schema import (
    ATTRIBUTION,
    PROMISES_ANNOUNCED,
    READ_MODEL,
)
from closedloop.adapters.postgres.search import (
    SEARCH,
    SUMMARIES,
    fill_search,
    fill_summaries,
    row_security_on,
)
from closedloop.domain.errors import SchemaVersionError, ValidationError

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "check_version",
    "create_policies",
    "installed_version",
    "migrate_schema",
    "quoted",
    "role_bindings",
]

#: Ordered forward migrations; ``{s}`` is the schema. Append steps; never edit a released one.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """
        CREATE TABLE {s}.cases (
            tenant           text COLLATE "C"    NOT NULL,
            id               text COLLATE "C"    NOT NULL,
            version          integer NOT NULL CHECK (version >= 1),
            customer         text COLLATE "C"    NOT NULL,
            stage            text    NOT NULL,
            opened_us        bigint  NOT NULL,
            due_us           bigint,
            claimed_until_us bigint,
            acknowledged     boolean NOT NULL,
            closed           boolean NOT NULL,
            PRIMARY KEY (tenant, id)
        )
        """,
        """
        CREATE TABLE {s}.events (
            tenant  text COLLATE "C"    NOT NULL,
            case_id text COLLATE "C"    NOT NULL,
            version integer NOT NULL,
            type    text    NOT NULL,
            at_us   bigint  NOT NULL,
            body    text    NOT NULL,
            PRIMARY KEY (tenant, case_id, version)
        )
        """,
        """
        CREATE TABLE {s}.external_ids (
            tenant      text COLLATE "C" NOT NULL,
            external_id text COLLATE "C" NOT NULL,
            case_id     text COLLATE "C" NOT NULL,
            PRIMARY KEY (tenant, external_id)
        )
        """,
        # One time-based escalation per case and level (and per overdue promise); a later
        # migration adds the episode (the case's reopen count) to the key.
        """
        CREATE TABLE {s}.escalations (
            tenant     text COLLATE "C"    NOT NULL,
            case_id    text COLLATE "C"    NOT NULL,
            level      integer NOT NULL,
            promise_id text COLLATE "C"    NOT NULL DEFAULT '',
            PRIMARY KEY (tenant, case_id, level, promise_id)
        )
        """,
        """
        CREATE TABLE {s}.outbox (
            tenant          text COLLATE "C"    NOT NULL,
            key             text COLLATE "C"    NOT NULL,
            case_id         text COLLATE "C"    NOT NULL,
            status          text    NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
            attempts        integer NOT NULL,
            next_attempt_us bigint,
            next_attempt_at text,
            created_us      bigint  NOT NULL,
            last_error      text,
            sent_at         text,
            body            text    NOT NULL,
            PRIMARY KEY (tenant, key)
        )
        """,
        """
        CREATE TABLE {s}.invitations (
            tenant      text COLLATE "C"    NOT NULL,
            id          text COLLATE "C"    NOT NULL,
            version     integer NOT NULL CHECK (version >= 1),
            customer    text COLLATE "C"    NOT NULL,
            created_us  bigint  NOT NULL,
            due_us      bigint,
            answered_us bigint,
            body        text    NOT NULL,
            PRIMARY KEY (tenant, id)
        )
        """,
        # One index per named query; the partial ones hold only the rows it can return.
        "CREATE INDEX cases_due ON {s}.cases (tenant, due_us, id) WHERE due_us IS NOT NULL",
        """
        CREATE INDEX cases_unanswered ON {s}.cases (tenant, opened_us, id)
            WHERE NOT acknowledged AND NOT closed
        """,
        "CREATE INDEX cases_customer ON {s}.cases (tenant, customer, opened_us, id)",
        "CREATE INDEX cases_opened ON {s}.cases (tenant, opened_us, id)",
        "CREATE INDEX events_at ON {s}.events (tenant, at_us, case_id)",
        """
        CREATE INDEX outbox_ready ON {s}.outbox (tenant, next_attempt_us)
            WHERE status = 'pending'
        """,
        "CREATE INDEX outbox_dead ON {s}.outbox (tenant, created_us, key) WHERE status = 'dead'",
        "CREATE INDEX invitations_customer ON {s}.invitations (tenant, customer, created_us, id)",
        """
        CREATE INDEX invitations_due ON {s}.invitations (tenant, due_us, id)
            WHERE due_us IS NOT NULL
        """,
        """
        CREATE INDEX invitations_answered ON {s}.invitations (tenant, answered_us, id)
            WHERE answered_us IS NOT NULL
        """,
    ),
    (
        # Customers: who is behind which handles.
        """
        CREATE TABLE {s}.customers (
            tenant  text COLLATE "C" NOT NULL,
            id      text COLLATE "C" NOT NULL,
            version integer NOT NULL,
            body    text NOT NULL,
            PRIMARY KEY (tenant, id)
        )
        """,
        """
        CREATE TABLE {s}.customer_handles (
            tenant      text COLLATE "C" NOT NULL,
            handle      text COLLATE "C" NOT NULL,
            customer_id text COLLATE "C" NOT NULL,
            PRIMARY KEY (tenant, handle)
        )
        """,
        "CREATE INDEX customer_handles_owner ON {s}.customer_handles (tenant, customer_id)",
    ),
    (
        # Work queues: whose move it is (Case.queue), since when; filled in by replaying the
        # open cases once (fill_queues).
        'ALTER TABLE {s}.cases ADD COLUMN queue text COLLATE "C"',
        "ALTER TABLE {s}.cases ADD COLUMN queue_us bigint",
        """
        CREATE INDEX cases_queue ON {s}.cases (tenant, queue, queue_us, id)
            WHERE queue IS NOT NULL
        """,
    ),
    (
        # Erasure finds records by who they name, never by searching text: the handles
        # other than a case's customer that wrote on it, and each message's recipient
        # (filled in from the stored records here and in fill_case_authors).
        """
        CREATE TABLE {s}.case_authors (
            tenant  text COLLATE "C" NOT NULL,
            handle  text COLLATE "C" NOT NULL,
            case_id text COLLATE "C" NOT NULL,
            PRIMARY KEY (tenant, handle, case_id)
        )
        """,
        'ALTER TABLE {s}.outbox ADD COLUMN recipient text COLLATE "C"',
        "UPDATE {s}.outbox SET recipient = body::jsonb ->> 'to'",
        "CREATE INDEX outbox_recipient ON {s}.outbox (tenant, recipient)",
    ),
    (
        # Each case's current state (codec.dump_snapshot), so that reading a case decodes
        # one record however long its history; filled in from the events (fill_snapshots).
        # NULL, or a snapshot of another format, is read by replaying the events.
        "ALTER TABLE {s}.cases ADD COLUMN snapshot text",
    ),
    READ_MODEL,
    PROMISES_ANNOUNCED,
    OUTBOX_ORDER,
    SEARCH,
    AGENTS,
    ATTRIBUTION,
    SUMMARIES,
    # A reopened case climbs the ladder again: one escalation per level in each episode.
    # (Written to run again harmlessly, as the tests' hand-made older schemas keep it.)
    (
        "ALTER TABLE {s}.escalations ADD COLUMN IF NOT EXISTS episode integer NOT NULL DEFAULT 0",
        "ALTER TABLE {s}.escalations DROP CONSTRAINT IF EXISTS escalations_pkey",
        "ALTER TABLE {s}.escalations ADD PRIMARY KEY (tenant, case_id, episode, level, promise_id)",
    ),
)

#: Migrations after which the cases' queue columns are computed from their events.
_QUEUES_FROM = 3

#: Migrations after which the cases' other authors are found in their events.
_AUTHORS_FROM = 4

#: Migrations after which every case's snapshot is computed from its events.
_SNAPSHOTS_FROM = 5

#: Migrations after which the cases' search columns and labels are filled in.
_SEARCH_FROM = MIGRATIONS.index(SEARCH) + 1
#: Migrations after which the owned open cases are indexed from their events.
_AGENTS_FROM = MIGRATIONS.index(AGENTS) + 1
#: Migrations after which the subjects and tags the SQL could not read are filled in.
_SUMMARIES_FROM = MIGRATIONS.index(SUMMARIES) + 1

#: The schema version this closedloop writes: the number of migrations.
SCHEMA_VERSION: Final[int] = len(MIGRATIONS)

_TABLES = (
    "cases", "events", "external_ids", "escalations", "outbox", "invitations", "customers",
    "customer_handles", "case_authors", "case_facts", "fact_steps", "fact_causes",
    "fact_promises", "fact_declines", "fact_tags", "case_labels", *AGENT_TABLES,
)  # fmt: skip


def quoted(schema: str) -> str:
    """The schema's name as SQL writes it (the ``{s}`` of the migrations)."""
    return f'"{schema}"'


def migrate_schema(conn: psycopg.Connection[Any], schema: str) -> int:
    """Create or migrate the schema to :data:`SCHEMA_VERSION` in the caller's transaction;
    return the version found.

    Serialised by a transaction-level advisory lock, so two processes starting at once
    migrate once."""
    s = quoted(schema)
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(schema),))
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
    conn.execute(f"CREATE TABLE IF NOT EXISTS {s}.schema_version (version integer)")
    row = conn.execute(f"SELECT version FROM {s}.schema_version").fetchone()
    found = 0 if row is None else int(row[0])
    check_version(found)
    for step in MIGRATIONS[found:]:
        for statement in step:
            conn.execute(statement.format(s=s))
    if found and found < _QUEUES_FROM <= SCHEMA_VERSION:
        fill_queues(conn, s)
    if found and found < _AUTHORS_FROM <= SCHEMA_VERSION:
        fill_case_authors(conn, s)
    if found and found < _SNAPSHOTS_FROM <= SCHEMA_VERSION:
        fill_snapshots(conn, s)
    if found and found < _SEARCH_FROM <= SCHEMA_VERSION:
        fill_search(conn, s)
    if found and found < _AGENTS_FROM <= SCHEMA_VERSION:
        fill_agent_cases(conn, s)
    if found and found < _SUMMARIES_FROM <= SCHEMA_VERSION:
        fill_summaries(conn, s)
    if found < SCHEMA_VERSION and row_security_on(conn, schema):
        create_policies(conn, schema, {})  # the tables added since get the tenant policy
    if row is None:
        conn.execute(f"INSERT INTO {s}.schema_version VALUES (%s)", (SCHEMA_VERSION,))
    else:
        conn.execute(f"UPDATE {s}.schema_version SET version = %s", (SCHEMA_VERSION,))
    return found


def installed_version(conn: psycopg.Connection[Any], schema: str) -> int:
    """The version of the schema in the database (0 if there is none yet)."""
    s = quoted(schema)
    exists = conn.execute("SELECT to_regclass(%s)", (f"{s}.schema_version",)).fetchone()
    if exists is None or exists[0] is None:
        return 0
    row = conn.execute(f"SELECT version FROM {s}.schema_version").fetchone()
    return 0 if row is None else int(row[0])


def check_version(found: int) -> None:
    """Refuse a schema newer than this closedloop knows."""
    if found > SCHEMA_VERSION:
        raise SchemaVersionError(found, SCHEMA_VERSION)


def role_bindings(roles: Mapping[str, str | Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """``{role: tenants}`` checked, each role's tenants as a tuple."""
    found: dict[str, tuple[str, ...]] = {}
    for role, tenants in roles.items():
        named = (tenants,) if isinstance(tenants, str) else tuple(tenants)
        if not isinstance(role, str) or not role or not named:
            raise ValidationError.of(
                "roles",
                f"bind each role to one or more tenants, e.g. {{'acme_app': 'acme'}}; "
                f"got {role!r}: {tenants!r}",
            )
        try:
            found[role] = tuple(check_tenant(t) for t in named)
        except ValidationError as exc:
            raise ValidationError.of("roles", f"roles: {exc}") from None
    return found


def create_policies(
    conn: psycopg.Connection[Any], schema: str, bindings: Mapping[str, tuple[str, ...]]
) -> None:
    """Give every table the tenant policy and bind roles to their tenants, in the caller's
    transaction (see :meth:`PostgresStore.enable_row_level_security`)."""
    s = quoted(schema)
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {s}.tenant_roles ("
        ' role name NOT NULL, tenant text COLLATE "C" NOT NULL,'
        " PRIMARY KEY (role, tenant))"
    )
    for role, tenants in bindings.items():
        conn.execute(f"DELETE FROM {s}.tenant_roles WHERE role = %s", (role,))
        for tenant in tenants:
            conn.execute(
                f"INSERT INTO {s}.tenant_roles (role, tenant) VALUES (%s, %s)",
                (role, tenant),
            )
    allowed = (
        "tenant = current_setting('closedloop.tenant', true) AND ("
        f"NOT EXISTS (SELECT 1 FROM {s}.tenant_roles r WHERE r.role = current_user)"
        f" OR tenant IN (SELECT r.tenant FROM {s}.tenant_roles r"
        " WHERE r.role = current_user))"
    )
    for table in _TABLES:
        conn.execute(f"ALTER TABLE {s}.{table} ENABLE ROW LEVEL SECURITY")
        conn.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {s}.{table}")
        conn.execute(
            f"CREATE POLICY tenant_isolation ON {s}.{table}"
            f" USING ({allowed}) WITH CHECK ({allowed})"
        )


def _lock_key(schema: str) -> int:
    digest = hashlib.sha256(f"closedloop:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
