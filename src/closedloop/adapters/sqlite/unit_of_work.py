"""Committing (the UnitOfWork role): case and invitation changes, with the outbox rows of
their notifications, checked against the stored versions and written in one transaction.

The statements that write a case's rows are shared with erasure, which rewrites cases.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from closedloop.adapters.common import check_batch, split_batch
from closedloop.adapters.read_model import rows_for
from closedloop.adapters.rows import dump_json, new_external_ids, other_authors, snapshot_json, us
from closedloop.adapters.search import FIND_COLUMNS, rag_columns, search_columns
from closedloop.adapters.sqlite.agents import write_owners
from closedloop.adapters.sqlite.connection import CHUNK, TenantView, run
from closedloop.adapters.sqlite.reports import write_facts
from closedloop.adapters.sqlite.search import write_labels
from closedloop.codec import (
    dump_datetime,
    dump_event,
    dump_invitation,
    dump_notification,
)
from closedloop.domain.cases.case import Case
from closedloop.domain.change import Change, InvitationChange, Write
from closedloop.domain.errors import ConcurrencyError, DuplicateExternalIdError, StorageError
from closedloop.domain.reports.kept import KeptFacts

__all__ = [
    "AUTHOR_INSERT",
    "CASE_UPDATE",
    "EVENT_INSERT",
    "EXTERNAL_INSERT",
    "SQLiteUnitOfWork",
    "case_state",
    "queue_state",
]

Row = tuple[object, ...]

_CASE_INSERT = (
    "INSERT INTO cases (tenant, id, customer, opened_us, opened_at, version, stage, due_us,"
    f" due_at, acknowledged, closed, queue, queue_us, snapshot, {', '.join(FIND_COLUMNS)},"
    f" amber_us, due_key) VALUES ({', '.join('?' * (16 + len(FIND_COLUMNS)))})"
)
_SET = (
    "UPDATE cases SET version = ?, stage = ?, due_us = ?, due_at = ?, acknowledged = ?,"
    f" closed = ?, queue = ?, queue_us = ?, snapshot = ?, {' = ?, '.join(FIND_COLUMNS)} = ?"
)
# A case's customer and opening time come from its first event and never change; its RAG
# instants change with a commit (erasure keeps them).
CASE_UPDATE = _SET + " WHERE tenant = ? AND id = ?"
# Only from the version the change was made from: a change whose case moved on meanwhile
# updates nothing, and the batch is refused (no read of the versions beforehand).
_CASE_MOVE = _SET + ", amber_us = ?, due_key = ? WHERE tenant = ? AND id = ? AND version = ?"
EVENT_INSERT = (
    "INSERT INTO events (tenant, case_id, version, type, at_us, body) VALUES (?, ?, ?, ?, ?, ?)"
)
EXTERNAL_INSERT = (
    "INSERT OR IGNORE INTO external_ids (tenant, external_id, case_id) VALUES (?, ?, ?)"
)
AUTHOR_INSERT = "INSERT OR IGNORE INTO case_authors (tenant, handle, case_id) VALUES (?, ?, ?)"
_OUTBOX_INSERT = (
    "INSERT OR IGNORE INTO outbox (tenant, key, case_id, recipient, status, attempts,"
    " next_attempt_us, next_attempt_at, created_us, body)"
    " VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)"
)
_INVITATION_UPSERT = """
    INSERT INTO invitations (tenant, id, version, customer, created_us, due_us, answered_us, body)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (tenant, id) DO UPDATE SET version = excluded.version, due_us = excluded.due_us,
        answered_us = excluded.answered_us, body = excluded.body
"""


class SQLiteUnitOfWork(TenantView):
    """:meth:`commit` and :meth:`commit_many`, and the checks and inserts under them."""

    def commit(self, change: Write) -> None:
        """Store the change if the record is at ``change.expected_version``, else raise
        :class:`~closedloop.ConcurrencyError`; all of it or nothing."""
        check_batch((change,), "change")
        self.commit_many((change,))

    def commit_many(self, changes: Sequence[Write]) -> None:
        """Commit several changes in one transaction: all or none."""
        check_batch(changes)
        if not changes:
            return
        with self._write() as db:
            self._commit_in(db, changes)

    def _commit_in(self, db: sqlite3.Connection, changes: Sequence[Write]) -> None:
        """The body of :meth:`commit_many`, in the caller's transaction."""
        case_changes, invitation_changes = split_batch(changes)
        self._check_invitations(db, invitation_changes)
        known = self._check(db, case_changes)
        self._insert(db, case_changes, known)
        self._insert_invitations(db, invitation_changes)
        self._queue(db, changes)  # in the batch's order: R7 sends an instant's in it

    def _check(self, db: sqlite3.Connection, changes: list[Change]) -> set[str]:
        """Refuse the batch unless every new case is new and every external id is free,
        checked in order as the in-memory reference does (a change's version is checked
        by its update: see :meth:`_moved`). Return the external ids already stored (each
        now known to belong to its change's case)."""
        stored, owners = _stored(
            db,
            self._tenant,
            [c.case.id for c in changes if not c.expected_version],
            [x for c in changes for x in new_external_ids(c)],
        )
        known = set(owners)
        for n, change in enumerate(changes):
            case = change.case
            if not change.expected_version and case.id in stored:
                self._first_conflict(db, changes[:n])  # an earlier change's goes first
                raise ConcurrencyError(case.id, 0, stored[case.id])
            for external_id in new_external_ids(change):
                owner = owners.setdefault(external_id, case.id)
                if owner != case.id:  # its own version goes first, as in the reference
                    self._first_conflict(db, changes[: n + 1])
                    raise DuplicateExternalIdError(case.id, external_id)
        return known

    def _first_conflict(self, db: sqlite3.Connection, changes: list[Change]) -> None:
        """Raise :class:`~closedloop.ConcurrencyError` for the first of ``changes`` (all
        made from a stored version, none written yet) whose case is no longer at it."""
        moves = [c for c in changes if c.expected_version]
        stored, _ = _stored(db, self._tenant, [c.case.id for c in moves], [])
        for change in moves:
            actual = stored.get(change.case.id)
            if actual != change.expected_version:
                raise ConcurrencyError(change.case.id, change.expected_version, actual)

    def _moved(self, db: sqlite3.Connection, changes: list[Change], rows: list[Row]) -> None:
        """Update the moved cases, each only from its expected version: if one moved on
        meanwhile, undo the updates and refuse the batch, naming the first such case."""
        if not rows:
            return
        db.execute("SAVEPOINT moves")
        # Most commits move one case: execute() costs less than executemany().
        cursor = db.execute(_CASE_MOVE, rows[0]) if len(rows) == 1 else None
        cursor = cursor or db.executemany(_CASE_MOVE, rows)
        if cursor.rowcount != len(rows):
            db.execute("ROLLBACK TO moves")
            self._first_conflict(db, [c for c in changes if c.expected_version])
            raise StorageError(  # pragma: no cover - a batch changes each case once
                f"SQLite updated {cursor.rowcount} of {len(rows)} cases yet none moved on"
            )
        db.execute("RELEASE moves")

    def _insert(self, db: sqlite3.Connection, changes: list[Change], known: set[str]) -> None:
        t = self._tenant
        fresh: list[Row] = []
        moved: list[Row] = []
        events: list[Row] = []
        for change in changes:
            case = change.case
            if change.expected_version:
                moved.append(
                    (*case_state(case, change.kept), *rag_columns(change), t, case.id,
                     change.expected_version)
                )  # fmt: skip
            else:
                fresh.append(
                    (t, case.id, case.customer, us(case.opened_at), dump_datetime(case.opened_at),
                     *case_state(case, change.kept), *rag_columns(change))
                )  # fmt: skip
            events.extend(
                (t, case.id, e.version, type(e).__name__, us(e.at), dump_json(dump_event(e)))
                for e in change.events
            )
        externals = [
            (t, x, c.case.id) for c in changes for x in new_external_ids(c) if x not in known
        ]
        authors = [(t, h, c.case.id) for c in changes for h in other_authors(c.case, c)]
        run(db, _CASE_INSERT, fresh)
        self._moved(db, changes, moved)
        for sql, rows in ((EVENT_INSERT, events), (EXTERNAL_INSERT, externals),
                          (AUTHOR_INSERT, authors)):  # fmt: skip
            run(db, sql, rows)
        write_labels(db, t, [c.case for c in changes])
        write_owners(db, t, changes)
        write_facts(
            db,
            t,
            [(c.case.id, rows_for(t, c.case, c.facts), not c.expected_version) for c in changes],
        )

    def _queue(self, db: sqlite3.Connection, changes: Sequence[Write]) -> None:
        t = self._tenant
        outbox = [
            (t, n.key, n.case_id, n.to, us(n.ready_at), dump_datetime(n.ready_at),
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


def case_state(case: Case, kept: KeptFacts | None = None) -> tuple[object, ...]:
    """The ``cases`` columns a step can change: the snapshot (with ``kept``, see
    ``snapshot_json``), then the search columns (``closedloop.adapters.search.FIND_COLUMNS``)."""
    due = case.due_at
    return (
        case.version,
        case.stage.value,
        None if due is None else us(due),
        None if due is None else dump_datetime(due),
        int(case.acknowledged_at is not None),
        int(not case.is_active),  # the "closed" column: no steps left to take
        *queue_state(case),
        snapshot_json(case, kept),
        *search_columns(case),
    )


def queue_state(case: Case) -> tuple[str | None, int | None]:
    """The ``queue`` and ``queue_us`` columns: the work queue and since when."""
    queue, since = case.queue, case.queued_since
    return (None, None) if queue is None or since is None else (queue.value, us(since))


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
