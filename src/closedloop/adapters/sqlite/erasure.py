"""Erasing a customer (the ErasureStorage role): their cases, invitations, outbox messages
and customer record rewritten in one transaction, with no byte of them left in the files."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from closedloop.adapters.common import erased_customers
from closedloop.adapters.read_model import rows_for
from closedloop.adapters.rows import (
    dump_json,
    load_customer_body,
    load_invitation_body,
    load_message,
    message_state,
    other_authors,
    replay,
    us,
)
from closedloop.adapters.sqlite.connection import CHUNK, TenantView, run
from closedloop.adapters.sqlite.outbox import OUTBOX_COLUMNS
from closedloop.adapters.sqlite.reports import write_facts
from closedloop.adapters.sqlite.search import write_labels
from closedloop.adapters.sqlite.unit_of_work import (
    AUTHOR_INSERT,
    CASE_UPDATE,
    EVENT_INSERT,
    case_state,
)
from closedloop.codec import dump_customer, dump_event, dump_invitation
from closedloop.domain.checks import require_aware
from closedloop.domain.customers.erasure import Erasure
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import ErasurePendingError

__all__ = ["SQLiteErasureStorage"]


class SQLiteErasureStorage(TenantView):
    """:meth:`erase`, and the rewriting of each kind of record under it."""

    def erase(self, erasure: Erasure, at: datetime) -> int:
        """Remove a customer's details from every record (see the protocol), with
        ``secure_delete`` on, then checkpoint and truncate the write-ahead log, so that no
        byte of them is left in the database's files.

        If another connection is still reading older pages, the records are erased but the
        log keeps their old bytes until it finishes: :class:`~closedloop.ErasurePendingError`
        says so, and :meth:`checkpoint` (or erasing again) finishes the job."""
        require_aware("at", at)
        with self._shared.lock:
            self._read("PRAGMA secure_delete = ON", ())
            try:
                with self._write() as tx:
                    changed = self._erase(tx, erasure, at)
            finally:
                self._read("PRAGMA secure_delete = OFF", ())
        if not self.checkpoint():
            raise ErasurePendingError(self._shared.name)
        return changed

    def checkpoint(self, wait: float | None = None) -> bool:
        """Copy the write-ahead log into the database file and empty it, so that nothing
        deleted lingers in the ``-wal`` file; True once it is empty. It waits up to ``wait``
        seconds (default: the store's busy timeout) for readers of older pages, on a
        connection of its own, so the store's other calls go on meanwhile; False if a
        reader still holds them then."""
        name = self._shared.name
        if name == ":memory:" or name.startswith("file::memory:"):
            return True
        if wait is None:
            wait = self._read("PRAGMA busy_timeout", ())[0][0] / 1000
        own = sqlite3.connect(name, timeout=wait, isolation_level=None)
        try:
            busy, frames, _ = own.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            own.close()
        return bool(busy == 0 and frames == 0)

    def _erase(self, db: sqlite3.Connection, erasure: Erasure, at: datetime) -> int:
        t, handles = self._tenant, sorted(erasure.handles)
        # Their cases, and the cases holding a message they wrote: by index, never by text.
        found = _chunked(
            db, "SELECT id FROM cases WHERE tenant = ? AND customer IN ({})", t, handles
        )
        theirs = [row[0] for row in found]
        held = _chunked(
            db, "SELECT case_id FROM case_authors WHERE tenant = ? AND handle IN ({})", t, handles
        )
        cases = sorted({*theirs, *(row[0] for row in held)})
        for case_id in cases:
            self._erase_case(db, erasure, case_id, at)
        invitations = [
            load_invitation_body(body)
            for (body,) in _chunked(
                db, "SELECT body FROM invitations WHERE tenant = ? AND customer IN ({})", t, handles
            )
        ]
        for invitation in invitations:
            i = erasure.invitation(invitation, at)
            answered = None if i.response is None else us(i.response.received_at)
            db.execute(
                "UPDATE invitations SET customer = ?, version = ?, due_us = ?, answered_us = ?,"
                " body = ? WHERE tenant = ? AND id = ?",
                (i.customer, i.version, None if i.due_at is None else us(i.due_at), answered,
                 dump_json(dump_invitation(i)), t, i.id),
            )  # fmt: skip
        select = f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE tenant = ? AND "
        rows = {
            row[0]: row
            for row in (
                *_chunked(db, select + "case_id IN ({})", t, theirs),
                *_chunked(db, select + "recipient IN ({})", t, handles),
            )
        }
        for row in rows.values():
            m = erasure.message(load_message(row))
            db.execute(
                "UPDATE outbox SET status = ?, next_attempt_us = ?, next_attempt_at = ?,"
                " last_error = ?, body = ?, recipient = ? WHERE tenant = ? AND key = ?",
                (*message_state(m, t)[:5], m.notification.to, t, m.key),
            )
        people = erased_customers(erasure, at, partial(_customer, db, t), self._owner(db))
        for key, _ in people:
            db.execute("DELETE FROM customers WHERE tenant = ? AND id = ?", (t, key))
            db.execute(
                "DELETE FROM customer_handles WHERE tenant = ? AND customer_id = ?", (t, key)
            )
        for _, person in people:
            db.execute(
                "INSERT INTO customers (tenant, id, version, body) VALUES (?, ?, ?, ?)",
                (t, person.id, person.version, dump_json(dump_customer(person))),
            )
            db.executemany(
                "INSERT INTO customer_handles (tenant, handle, customer_id) VALUES (?, ?, ?)",
                [(t, h, person.id) for h in sorted(person.handles)],
            )
        return len(cases) + len(invitations) + len(rows) + len(people)

    def _erase_case(
        self, db: sqlite3.Connection, erasure: Erasure, case_id: str, at: datetime
    ) -> None:
        """Rewrite one case: its events, columns, external ids of hers and other authors."""
        t = self._tenant
        bodies = db.execute(
            "SELECT body FROM events WHERE tenant = ? AND case_id = ? ORDER BY version",
            (t, case_id),
        ).fetchall()
        before = replay(b for (b,) in bodies)
        case = erasure.case(before, at)
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
            "UPDATE cases SET customer = ? WHERE tenant = ? AND id = ?", (case.customer, t, case_id)
        )
        db.execute(CASE_UPDATE, (*case_state(case), t, case_id))
        write_labels(db, t, [case])  # CASE_UPDATE wrote the search columns; RAG instants stay
        write_facts(db, t, [(case_id, rows_for(t, case, None), False)])  # no text kept
        db.executemany(
            "UPDATE external_ids SET external_id = ? "
            "WHERE tenant = ? AND external_id = ? AND case_id = ?",
            [(new, t, old, case_id) for old, new in erasure.external_ids(before).items()],
        )
        db.execute("DELETE FROM case_authors WHERE tenant = ? AND case_id = ?", (t, case_id))
        run(db, AUTHOR_INSERT, [(t, h, case_id) for h in other_authors(case)])

    def _owner(self, db: sqlite3.Connection) -> Callable[[str], Customer | None]:
        def owner(handle: str) -> Customer | None:
            row = db.execute(
                "SELECT customer_id FROM customer_handles WHERE tenant = ? AND handle = ?",
                (self._tenant, handle),
            ).fetchone()
            return None if row is None else _customer(db, self._tenant, row[0])

        return owner


def _customer(db: sqlite3.Connection, tenant: str, key: str) -> Customer | None:
    row = db.execute(
        "SELECT body FROM customers WHERE tenant = ? AND id = ?", (tenant, key)
    ).fetchone()
    return None if row is None else load_customer_body(row[0])


def _chunked(
    db: sqlite3.Connection, sql: str, tenant: str, values: Sequence[str]
) -> list[tuple[Any, ...]]:
    """``sql`` (its ``{}`` the place of an ``IN`` list) run over ``values`` in chunks, within
    the number of variables every SQLite build allows; the rows of every chunk."""
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(values), CHUNK):
        some = values[start : start + CHUNK]
        rows += db.execute(sql.format(", ".join("?" * len(some))), (tenant, *some)).fetchall()
    return rows
