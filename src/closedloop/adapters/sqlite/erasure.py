"""Erasing a customer (the ErasureStorage role): their cases, invitations, outbox messages
and customer record rewritten in one transaction, with no byte of them left in the files."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from closedloop.adapters.common import erased_message
from closedloop.adapters.rows import (
    dump_json,
    load_customer_body,
    load_invitation_body,
    load_message,
    message_state,
    replay,
    us,
)
from closedloop.adapters.sqlite.connection import TenantView, run
from closedloop.adapters.sqlite.outbox import OUTBOX_COLUMNS
from closedloop.adapters.sqlite.unit_of_work import (
    CASE_UPDATE,
    EVENT_INSERT,
    EXTERNAL_INSERT,
    case_state,
)
from closedloop.codec import dump_customer, dump_event, dump_invitation
from closedloop.domain.checks import require_aware
from closedloop.domain.customers.erasure import Erasure
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
