"""The SQLite schema and opening a file: the migrations, the connection's pragmas (WAL,
``synchronous``, foreign keys), refusing a newer schema and migrating an older one."""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import time
from typing import Final

from closedloop.adapters.sqlite.agents import AGENTS, fill_agent_cases
from closedloop.adapters.sqlite.backfill import fill_snapshots, replayed_in_chunks
from closedloop.adapters.sqlite.connection import Shared
from closedloop.adapters.sqlite.read_model_schema import (
    ATTRIBUTION,
    PROMISES_ANNOUNCED,
    READ_MODEL,
    TAG_STEPS,
)
from closedloop.adapters.sqlite.search import SEARCH, SUMMARIES, fill_search, fill_summaries
from closedloop.domain.errors import SchemaVersionError, StorageError, ValidationError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "connect"]

log = logging.getLogger("closedloop.storage.sqlite")

#: The most helper threads a sort may use.
_SORT_THREADS: Final = 4

#: The schema, as ordered forward migrations: step ``n`` (1-based) takes a database from
#: ``PRAGMA user_version`` ``n - 1`` to ``n``. Append new steps; never edit a released one.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """
        CREATE TABLE cases (
            tenant       TEXT    NOT NULL,
            id           TEXT    NOT NULL,
            version      INTEGER NOT NULL CHECK (version >= 1),
            customer     TEXT    NOT NULL,
            stage        TEXT    NOT NULL,
            opened_us    INTEGER NOT NULL,
            opened_at    TEXT    NOT NULL,
            due_us       INTEGER,
            due_at       TEXT,
            acknowledged INTEGER NOT NULL CHECK (acknowledged IN (0, 1)),
            closed       INTEGER NOT NULL CHECK (closed IN (0, 1)),
            PRIMARY KEY (tenant, id)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE events (
            tenant  TEXT    NOT NULL,
            case_id TEXT    NOT NULL,
            version INTEGER NOT NULL,
            type    TEXT    NOT NULL,
            at_us   INTEGER NOT NULL,
            body    TEXT    NOT NULL,
            PRIMARY KEY (tenant, case_id, version),
            FOREIGN KEY (tenant, case_id) REFERENCES cases (tenant, id)
        )
        """,
        """
        CREATE TABLE external_ids (
            tenant      TEXT NOT NULL,
            external_id TEXT NOT NULL,
            case_id     TEXT NOT NULL,
            PRIMARY KEY (tenant, external_id),
            FOREIGN KEY (tenant, case_id) REFERENCES cases (tenant, id)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE outbox (
            tenant          TEXT    NOT NULL,
            key             TEXT    NOT NULL,
            case_id         TEXT    NOT NULL,
            status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
            attempts        INTEGER NOT NULL,
            next_attempt_us INTEGER,
            next_attempt_at TEXT,
            created_us      INTEGER NOT NULL,
            last_error      TEXT,
            sent_at         TEXT,
            body            TEXT    NOT NULL,
            PRIMARY KEY (tenant, key)
        )
        """,
        # One index per named query; the partial ones hold only the rows it can return.
        """
        CREATE INDEX cases_due ON cases (tenant, due_us, id)
            WHERE closed = 0 AND due_us IS NOT NULL
        """,
        """
        CREATE INDEX cases_unanswered ON cases (tenant, opened_us, id)
            WHERE acknowledged = 0 AND closed = 0
        """,
        "CREATE INDEX cases_customer ON cases (tenant, customer, opened_us, id)",
        """
        CREATE INDEX outbox_ready ON outbox (tenant, next_attempt_us)
            WHERE status = 'pending'
        """,
        "CREATE INDEX outbox_dead ON outbox (tenant, created_us, key) WHERE status = 'dead'",
    ),
    (
        # Survey invitations: the JSON document, and the columns their queries use.
        """
        CREATE TABLE invitations (
            tenant      TEXT    NOT NULL,
            id          TEXT    NOT NULL,
            version     INTEGER NOT NULL CHECK (version >= 1),
            customer    TEXT    NOT NULL,
            created_us  INTEGER NOT NULL,
            due_us      INTEGER,
            answered_us INTEGER,
            body        TEXT    NOT NULL,
            PRIMARY KEY (tenant, id)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX invitations_customer ON invitations (tenant, customer, created_us, id)",
        """
        CREATE INDEX invitations_due ON invitations (tenant, due_us, id)
            WHERE due_us IS NOT NULL
        """,
        """
        CREATE INDEX invitations_answered ON invitations (tenant, answered_us, id)
            WHERE answered_us IS NOT NULL
        """,
    ),
    (
        # Reports: the cases with events in a period.
        "CREATE INDEX events_at ON events (tenant, at_us, case_id)",
        "CREATE INDEX cases_opened ON cases (tenant, opened_us, id)",
    ),
    (
        # A closed case stays due while a promise made on it is open.
        "DROP INDEX cases_due",
        "CREATE INDEX cases_due ON cases (tenant, due_us, id) WHERE due_us IS NOT NULL",
    ),
    (
        # Customers: who is behind which handles.
        """
        CREATE TABLE customers (
            tenant  TEXT    NOT NULL,
            id      TEXT    NOT NULL,
            version INTEGER NOT NULL,
            body    TEXT    NOT NULL,
            PRIMARY KEY (tenant, id)
        )
        """,
        """
        CREATE TABLE customer_handles (
            tenant      TEXT NOT NULL,
            handle      TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            PRIMARY KEY (tenant, handle)
        )
        """,
    ),
    (
        # Work queues: whose move it is (Case.queue), since when; filled in by replaying the
        # open cases once (see _fill_queues).
        "ALTER TABLE cases ADD COLUMN queue TEXT",
        "ALTER TABLE cases ADD COLUMN queue_us INTEGER",
        """
        CREATE INDEX cases_queue ON cases (tenant, queue, queue_us, id)
            WHERE queue IS NOT NULL
        """,
    ),
    (
        # Erasure finds records by who they name, never by searching text: the handles
        # other than a case's customer that wrote on it, and each message's recipient.
        # Both are filled in from the stored records once (see _fill_erasure_indexes).
        """
        CREATE TABLE case_authors (
            tenant  TEXT NOT NULL,
            handle  TEXT NOT NULL,
            case_id TEXT NOT NULL,
            PRIMARY KEY (tenant, handle, case_id)
        ) WITHOUT ROWID
        """,
        "ALTER TABLE outbox ADD COLUMN recipient TEXT",
        "CREATE INDEX outbox_recipient ON outbox (tenant, recipient)",
    ),
    (
        # Each case's current state (codec.dump_snapshot), so that reading a case decodes
        # one record however long its history; filled in from the events once (see
        # backfill.fill_snapshots). NULL, or a snapshot of another format, is read by replaying.
        "ALTER TABLE cases ADD COLUMN snapshot TEXT",
    ),
    READ_MODEL,
    PROMISES_ANNOUNCED,
    SEARCH,
    AGENTS,
    ATTRIBUTION,
    SUMMARIES,
    TAG_STEPS,
    (
        # The due query reads only this index: a case's row, snapshot and all, is a B-tree
        # walk of its own (the sweep's page of 500 took 20 ms on 300k cases; this, 0.2 ms).
        "DROP INDEX cases_due",
        "CREATE INDEX cases_due ON cases (tenant, due_us, id, version) WHERE due_us IS NOT NULL",
    ),
)

#: Migrations after which the cases' queue columns are computed from their events.
_QUEUES_FROM = 6

#: Migrations after which the erasure indexes are filled in from the stored records.
_ERASURE_FROM = 7

#: Migrations after which every case's snapshot is computed from its events.
_SNAPSHOTS_FROM = 8

#: Migrations after which the cases' search columns and labels are filled in.
_SEARCH_FROM = MIGRATIONS.index(SEARCH) + 1
#: Migrations after which the owned open cases are indexed from their events.
_AGENTS_FROM = MIGRATIONS.index(AGENTS) + 1
#: Migrations after which the subjects and tags the SQL could not read are filled in.
_SUMMARIES_FROM = MIGRATIONS.index(SUMMARIES) + 1

#: The schema version this closedloop writes: the number of migrations.
SCHEMA_VERSION: Final[int] = len(MIGRATIONS)

_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


def connect(
    path: str | os.PathLike[str], synchronous: str, busy_timeout: float, cache_mib: float = 64
) -> Shared:
    """Open ``path`` with its pragmas set and its schema current: created, or migrated."""
    mode = synchronous.upper() if isinstance(synchronous, str) else synchronous
    if mode not in _SYNCHRONOUS:
        raise ValidationError.of(
            "synchronous",
            f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, got {synchronous!r}",
        )
    for field, value, most, unit in (
        ("busy_timeout", busy_timeout, math.inf, "seconds >= 0"),
        ("cache_mib", cache_mib, 1 << 20, "MiB >= 0 and under 1 TiB"),
    ):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < most:
            raise ValidationError.of(field, f"{field} must be {unit}, got {value!r}")
    name = os.fspath(path)
    try:
        db = sqlite3.connect(
            name, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open SQLite database {name!r}: {exc}") from exc
    try:
        _prepare(db, mode, busy_timeout)
        # In KiB when negative; SQLite's default, 2 MiB, holds less than a sweep's page of
        # cases, so its writes read again what its reads had just read.
        db.execute(f"PRAGMA cache_size = {-round(cache_mib * 1024)}")
    except sqlite3.DatabaseError as exc:
        db.close()
        if getattr(exc, "sqlite_errorname", "").startswith("SQLITE_BUSY"):
            raise StorageError(
                f"{name!r} stayed locked by another connection for longer than busy_timeout "
                f"({busy_timeout:g}s): another process is migrating it or writing to it; "
                "try again, or give a longer busy_timeout"
            ) from exc
        raise StorageError(
            f"cannot use {name!r} as a closedloop database: {exc} "
            "(is it a SQLite file, readable and writable?)"
        ) from exc
    except BaseException:
        db.close()
        raise
    return Shared(db, name)


def _prepare(db: sqlite3.Connection, synchronous: str, busy_timeout: float) -> None:
    # Refuse a newer schema, and migrate, before switching to WAL (which rewrites the
    # header): a file refused here, such as a foreign database whose tables clash with
    # ours, is rolled back and left exactly as it was.
    _check_version(_user_version(db))
    db.execute(f"PRAGMA synchronous = {synchronous}")
    db.execute("PRAGMA foreign_keys = ON")
    # Helper threads for big sorts, one per core: a report's GROUP BYs over a year of steps
    # run about a quarter faster with one, and a sixth faster again with two on two cores,
    # since the sorting thread mostly waits for its helpers (benchmarks/bench_insights.py).
    db.execute(f"PRAGMA threads = {min(os.cpu_count() or 1, _SORT_THREADS)}")
    if _user_version(db) != SCHEMA_VERSION:
        _migrate(db)
    _use_wal(db, busy_timeout)


def _migrate(db: sqlite3.Connection) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while we waited for the write lock.
        found = _user_version(db)
        _check_version(found)
        if found == SCHEMA_VERSION:
            db.execute("ROLLBACK")  # it did: nothing to do, and nothing to log
            return
        for step in MIGRATIONS[found:]:
            for statement in step:
                db.execute(statement)
        if found and found < _QUEUES_FROM <= SCHEMA_VERSION:
            _fill_queues(db)
        if found and found < _ERASURE_FROM <= SCHEMA_VERSION:
            _fill_erasure_indexes(db)
        if found and found < _SNAPSHOTS_FROM <= SCHEMA_VERSION:
            fill_snapshots(db)
        if found and found < _SEARCH_FROM <= SCHEMA_VERSION:
            fill_search(db)
        if found and found < _AGENTS_FROM <= SCHEMA_VERSION:
            fill_agent_cases(db)
        if found and found < _SUMMARIES_FROM <= SCHEMA_VERSION:
            fill_summaries(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
        log.info(
            "schema migrated from version %d to %d", found, SCHEMA_VERSION,
            extra={"from_version": found, "to_version": SCHEMA_VERSION},
        )  # fmt: skip
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _fill_queues(db: sqlite3.Connection) -> None:
    """Put every open case of an older database in its work queue, by replaying it."""
    from closedloop.adapters.sqlite.unit_of_work import queue_state

    for tenant, cases in replayed_in_chunks(db, open_only=True):
        db.executemany(
            "UPDATE cases SET queue = ?, queue_us = ? WHERE tenant = ? AND id = ?",
            [(*queue_state(case), tenant, case.id) for case in cases],
        )


def _fill_erasure_indexes(db: sqlite3.Connection) -> None:
    """Fill the erasure indexes of an older database: each outbox message's recipient, and
    the other authors of the cases messages joined."""
    import json

    from closedloop.adapters.rows import group, other_authors

    db.executemany(
        "UPDATE outbox SET recipient = ? WHERE tenant = ? AND key = ?",
        [
            (json.loads(body)["to"], tenant, key)
            for tenant, key, body in db.execute("SELECT tenant, key, body FROM outbox")
        ],
    )
    rows = db.execute(
        "SELECT events.tenant, events.case_id, events.body FROM events WHERE events.case_id IN"
        " (SELECT case_id FROM events WHERE type IN ('MessageAdded', 'MessageReceived',"
        " 'CasesMerged')) ORDER BY events.tenant, events.case_id, events.version"
    ).fetchall()
    for tenant in sorted({row[0] for row in rows}):
        for case in group([(case_id, body) for t, case_id, body in rows if t == tenant]):
            db.executemany(
                "INSERT OR IGNORE INTO case_authors (tenant, handle, case_id) VALUES (?, ?, ?)",
                [(tenant, handle, case.id) for handle in other_authors(case)],
            )


def _use_wal(db: sqlite3.Connection, busy_timeout: float) -> None:
    """Switch to WAL (":memory:" stays "memory"; that is fine). Switching needs the file to
    itself, and SQLite reports "locked" at once instead of waiting while another process
    has it open, so wait here, up to ``busy_timeout``."""
    deadline = time.monotonic() + busy_timeout
    pause = 0.001
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
            if code not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            if time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _user_version(db: sqlite3.Connection) -> int:
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version


def _check_version(found: int) -> None:
    if found > SCHEMA_VERSION:
        raise SchemaVersionError(found, SCHEMA_VERSION)
