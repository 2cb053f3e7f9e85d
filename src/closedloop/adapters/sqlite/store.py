"""SQLiteStore: the store class, opening, binding to a tenant and closing it, and the
roles not yet in a module of their own."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

from closedloop.adapters.common import (
    check_batch,
    check_tenant,
    erased_message,
    split_batch,
)
from closedloop.adapters.rows import (
    dump_json,
    external_ids,
    load_customer_body,
    load_invitation_body,
    load_message,
    message_state,
    replay,
    us,
)
from closedloop.adapters.sqlite.cases import SQLiteCaseStorage
from closedloop.adapters.sqlite.connection import CHUNK, Shared, TenantView, run
from closedloop.adapters.sqlite.customers import SQLiteCustomerStorage
from closedloop.adapters.sqlite.invitations import SQLiteInvitationStorage
from closedloop.adapters.sqlite.outbox import OUTBOX_COLUMNS, SQLiteOutboxStorage
from closedloop.adapters.sqlite.schema import connect
from closedloop.codec import (
    dump_customer,
    dump_datetime,
    dump_event,
    dump_invitation,
    dump_notification,
)
from closedloop.domain.cases.case import Case
from closedloop.domain.change import Change, InvitationChange, Write
from closedloop.domain.checks import require_aware
from closedloop.domain.customers.erasure import Erasure
from closedloop.domain.errors import (
    ConcurrencyError,
    DuplicateExternalIdError,
)
from closedloop.ports import DEFAULT_TENANT

__all__ = ["SQLiteStore"]

_CASE_INSERT = (
    "INSERT INTO cases (tenant, id, customer, opened_us, opened_at, version, stage, due_us,"
    " due_at, acknowledged, closed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# A case's customer and opening time come from its first event and never change.
CASE_UPDATE = (
    "UPDATE cases SET version = ?, stage = ?, due_us = ?, due_at = ?, acknowledged = ?,"
    " closed = ? WHERE tenant = ? AND id = ?"
)
EVENT_INSERT = (
    "INSERT INTO events (tenant, case_id, version, type, at_us, body) VALUES (?, ?, ?, ?, ?, ?)"
)
EXTERNAL_INSERT = (
    "INSERT OR IGNORE INTO external_ids (tenant, external_id, case_id) VALUES (?, ?, ?)"
)
_OUTBOX_INSERT = (
    "INSERT OR IGNORE INTO outbox (tenant, key, case_id, status, attempts, next_attempt_us,"
    " next_attempt_at, created_us, body) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?, ?)"
)
_INVITATION_UPSERT = """
    INSERT INTO invitations (tenant, id, version, customer, created_us, due_us, answered_us, body)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (tenant, id) DO UPDATE SET version = excluded.version, due_us = excluded.due_us,
        answered_us = excluded.answered_us, body = excluded.body
"""


class SQLiteStore(
    SQLiteCaseStorage,
    SQLiteInvitationStorage,
    SQLiteCustomerStorage,
    SQLiteOutboxStorage,
    TenantView,
):
    """A :class:`~closedloop.ports.CaseStore` in one SQLite file (or ``":memory:"``).

    Opening a file creates or migrates its schema (``PRAGMA user_version``); a file written
    by a newer closedloop raises :class:`~closedloop.SchemaVersionError`, a file that is not
    a SQLite database :class:`~closedloop.StorageError`. Files use WAL journaling and
    ``synchronous`` (``"FULL"`` by default: a commit that returned survives power loss);
    ``busy_timeout`` is how many seconds a write waits for another process's write.

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
        _shared: Shared | None = None,
    ) -> None:
        self._tenant = check_tenant(tenant)
        self._shared = _shared if _shared is not None else connect(path, synchronous, busy_timeout)

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

    def commit(self, change: Write) -> None:
        """Store the change if the record is at ``change.expected_version``, else raise
        :class:`~closedloop.ConcurrencyError`; all of it or nothing."""
        self.commit_many((change,))

    def commit_many(self, changes: Sequence[Write]) -> None:
        """Commit several changes in one transaction: all or none."""
        check_batch(changes)
        case_changes, invitation_changes = split_batch(changes)
        if not changes:
            return
        with self._write() as db:
            self._check_invitations(db, invitation_changes)
            stored, known = self._check(db, case_changes)
            self._insert(db, case_changes, stored, known)
            self._insert_invitations(db, invitation_changes)

    def erase(self, erasure: Erasure, at: datetime) -> int:
        """Remove a customer's details from every record (see the protocol), with
        ``secure_delete`` on and the WAL checkpointed and truncated afterwards, so that no
        byte of them is left in the database's files."""
        require_aware("at", at)
        with self._shared.lock:
            self._read("PRAGMA secure_delete = ON", ())
            try:
                with self._write() as tx:
                    changed = self._erase(tx, erasure, at)
            finally:
                self._read("PRAGMA secure_delete = OFF", ())
            self._read("PRAGMA wal_checkpoint(TRUNCATE)", ())
        return changed

    def _erase(self, db: sqlite3.Connection, erasure: Erasure, at: datetime) -> int:
        t, handles = self._tenant, sorted(erasure.handles)
        marks = ", ".join("?" * len(handles))
        case_ids = [
            row[0]
            for row in db.execute(
                f"SELECT id FROM cases WHERE tenant = ? AND customer IN ({marks})", (t, *handles)
            )
        ]
        for case_id in case_ids:
            bodies = db.execute(
                "SELECT body FROM events WHERE tenant = ? AND case_id = ? ORDER BY version",
                (t, case_id),
            ).fetchall()
            case = erasure.case(replay(b for (b,) in bodies), at)
            db.execute("DELETE FROM events WHERE tenant = ? AND case_id = ?", (t, case_id))
            run(
                db,
                EVENT_INSERT,
                [
                    (t, case_id, e.version, type(e).__name__, us(e.at), dump_json(dump_event(e)))
                    for e in case.events
                ],
            )
            db.execute(
                "UPDATE cases SET customer = ? WHERE tenant = ? AND id = ?",
                (erasure.pseudonym, t, case_id),
            )
            db.execute(CASE_UPDATE, (*case_state(case), t, case_id))
            old = [r[0] for r in db.execute(
                "SELECT external_id FROM external_ids WHERE tenant = ? AND case_id = ?",
                (t, case_id),
            )]  # fmt: skip
            db.execute("DELETE FROM external_ids WHERE tenant = ? AND case_id = ?", (t, case_id))
            run(db, EXTERNAL_INSERT, [(t, erasure.external_id(x), case_id) for x in old])
        invitations = [
            load_invitation_body(body)
            for (body,) in db.execute(
                f"SELECT body FROM invitations WHERE tenant = ? AND customer IN ({marks})",
                (t, *handles),
            )
        ]
        for invitation in invitations:
            cleaned = erasure.invitation(invitation)
            db.execute(
                "UPDATE invitations SET customer = ?, version = ?, body = ? WHERE tenant = ?"
                " AND id = ?",
                (erasure.pseudonym, cleaned.version, dump_json(dump_invitation(cleaned)), t,
                 invitation.id),
            )  # fmt: skip
        ids = ", ".join("?" * len(case_ids)) or "NULL"
        mentions = " OR ".join("instr(body, ?) > 0" for _ in handles)
        rows = db.execute(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE tenant = ?"
            f" AND (case_id IN ({ids}) OR {mentions})",
            (t, *case_ids, *handles),
        ).fetchall()
        for row in rows:
            m = erased_message(load_message(row), erasure)
            db.execute(
                "UPDATE outbox SET status = ?, next_attempt_us = ?, next_attempt_at = ?,"
                " last_error = ?, body = ? WHERE tenant = ? AND key = ?",
                message_state(m, t),
            )
        owners = sorted(
            {
                row[0]
                for row in db.execute(
                    "SELECT customer_id FROM customer_handles WHERE tenant = ?"
                    f" AND handle IN ({marks})",
                    (t, *handles),
                )
            }
        )
        for owner in owners:
            (body,) = db.execute(
                "SELECT body FROM customers WHERE tenant = ? AND id = ?", (t, owner)
            ).fetchone()
            person = erasure.customer(load_customer_body(body))
            db.execute(
                "UPDATE customers SET version = ?, body = ? WHERE tenant = ? AND id = ?",
                (person.version, dump_json(dump_customer(person)), t, owner),
            )
            db.execute(
                "DELETE FROM customer_handles WHERE tenant = ? AND customer_id = ?", (t, owner)
            )
            db.executemany(
                "INSERT OR IGNORE INTO customer_handles (tenant, handle, customer_id)"
                " VALUES (?, ?, ?)",
                [(t, h, owner) for h in sorted(person.handles)],
            )
        return len(case_ids) + len(invitations) + len(rows) + len(owners)

    def _check(
        self, db: sqlite3.Connection, changes: list[Change]
    ) -> tuple[dict[str, int], set[str]]:
        """Refuse the batch unless every change holds against the stored state, checked in
        order as the in-memory reference does. Return the stored versions by case id, and
        the external ids already stored (each now known to belong to its change's case)."""
        stored, owners = _stored(
            db,
            self._tenant,
            [c.case.id for c in changes],
            [x for c in changes for x in external_ids(c.case)],
        )
        known = set(owners)
        for change in changes:
            case = change.case
            actual = stored.get(case.id)
            if (actual or 0) != change.expected_version:
                raise ConcurrencyError(case.id, change.expected_version, actual)
            for external_id in external_ids(case):
                owner = owners.setdefault(external_id, case.id)
                if owner != case.id:
                    raise DuplicateExternalIdError(case.id, external_id)
        return stored, known

    def _insert(
        self,
        db: sqlite3.Connection,
        changes: list[Change],
        stored: dict[str, int],
        known: set[str],
    ) -> None:
        t = self._tenant
        fresh: list[tuple[object, ...]] = []
        moved: list[tuple[object, ...]] = []
        events: list[tuple[object, ...]] = []
        for change in changes:
            case = change.case
            if case.id in stored:
                moved.append((*case_state(case), t, case.id))
            else:
                fresh.append(
                    (t, case.id, case.customer, us(case.opened_at), dump_datetime(case.opened_at),
                     *case_state(case))
                )  # fmt: skip
            events.extend(
                (t, case.id, e.version, type(e).__name__, us(e.at), dump_json(dump_event(e)))
                for e in change.events
            )
        externals = [
            (t, x, c.case.id) for c in changes for x in external_ids(c.case) if x not in known
        ]
        for sql, rows in (
            (_CASE_INSERT, fresh),
            (CASE_UPDATE, moved),
            (EVENT_INSERT, events),
            (EXTERNAL_INSERT, externals),
        ):
            run(db, sql, rows)
        self._queue(db, changes)

    def _queue(self, db: sqlite3.Connection, changes: Sequence[Write]) -> None:
        t = self._tenant
        outbox = [
            (t, n.key, n.case_id, us(n.ready_at), dump_datetime(n.ready_at),
             us(n.created_at), dump_json(dump_notification(n)))
            for c in changes
            for n in c.notifications
        ]  # fmt: skip
        run(db, _OUTBOX_INSERT, outbox)

    def _check_invitations(self, db: sqlite3.Connection, changes: list[InvitationChange]) -> None:
        if not changes:
            return
        stored: dict[str, int] = {}
        ids = [c.invitation.id for c in changes]
        for start in range(0, len(ids), CHUNK):
            some = ids[start : start + CHUNK]
            marks = ", ".join("?" * len(some))
            stored.update(
                db.execute(
                    f"SELECT id, version FROM invitations WHERE tenant = ? AND id IN ({marks})",
                    (self._tenant, *some),
                ).fetchall()
            )
        for change in changes:
            actual = stored.get(change.invitation.id)
            if (actual or 0) != change.expected_version:
                raise ConcurrencyError(
                    change.invitation.id, change.expected_version, actual, record="invitation"
                )

    def _insert_invitations(self, db: sqlite3.Connection, changes: list[InvitationChange]) -> None:
        rows = []
        for change in changes:
            i = change.invitation
            answered = None if i.response is None else us(i.response.received_at)
            due = None if i.due_at is None else us(i.due_at)
            body = dump_json(dump_invitation(i))
            rows.append(
                (self._tenant, i.id, i.version, i.customer, us(i.created_at), due, answered, body)
            )
        run(db, _INVITATION_UPSERT, rows)
        self._queue(db, changes)

    def pragmas(self) -> dict[str, int | str]:
        """Diagnostic: the settings this connection runs with (``journal_mode``,
        ``synchronous`` as SQLite's number, ``foreign_keys``, ``busy_timeout`` in ms,
        ``user_version``: the schema version)."""
        names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "user_version")
        return {name: self._read(f"PRAGMA {name}", ())[0][0] for name in names}


def case_state(case: Case) -> tuple[object, ...]:
    """The ``cases`` columns a step can change."""
    due = case.due_at
    return (
        case.version,
        case.stage.value,
        None if due is None else us(due),
        None if due is None else dump_datetime(due),
        int(case.acknowledged_at is not None),
        int(not case.is_active),  # the "closed" column: no steps left to take
    )


def _stored(
    db: sqlite3.Connection, tenant: str, case_ids: list[str], external_ids: list[str]
) -> tuple[dict[str, int], dict[str, str]]:
    """The stored versions of ``case_ids`` and owners of ``external_ids``, the two read in
    one statement per chunk (most commits: one statement in all)."""
    versions: dict[str, int] = {}
    owners: dict[str, str] = {}
    ids, xs = list(dict.fromkeys(case_ids)), list(dict.fromkeys(external_ids))
    for start in range(0, max(len(ids), len(xs)), CHUNK):
        some_ids, some_xs = ids[start : start + CHUNK], xs[start : start + CHUNK]
        parts: list[str] = []
        params: list[str] = []
        if some_ids:
            marks = ", ".join("?" * len(some_ids))
            parts.append(f"SELECT 0, id, version FROM cases WHERE tenant = ? AND id IN ({marks})")
            params += (tenant, *some_ids)
        if some_xs:
            marks = ", ".join("?" * len(some_xs))
            parts.append(
                "SELECT 1, external_id, case_id FROM external_ids"
                f" WHERE tenant = ? AND external_id IN ({marks})"
            )
            params += (tenant, *some_xs)
        for is_owner, key, value in db.execute(" UNION ALL ".join(parts), params):
            if is_owner:
                owners[key] = value
            else:
                versions[key] = value
    return versions, owners
