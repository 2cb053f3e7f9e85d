"""The outbox (the OutboxStorage role): claiming pending messages, recording delivery or
failure, dead letters and requeueing them. Messages are queued by a commit."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

from closedloop.adapters.common import (
    check_error,
    check_instant,
    check_lease,
    check_limit,
    check_message_key,
)
from closedloop.adapters.rows import load_message, skipping, spent_body, us
from closedloop.adapters.sqlite.connection import TenantView
from closedloop.codec import dump_datetime
from closedloop.domain.errors import MessageNotFoundError
from closedloop.domain.outbox.messages import Delivery, OutboxMessage

__all__ = ["OUTBOX_COLUMNS", "SQLiteOutboxStorage"]

#: The columns :func:`~closedloop.adapters.rows.load_message` reads, in its order.
OUTBOX_COLUMNS = "key, status, attempts, next_attempt_at, last_error, sent_at, body"


class SQLiteOutboxStorage(TenantView):
    """The outbox's delivery bookkeeping, each change one transaction."""

    def outbox_claim(
        self, now: datetime, limit: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> Sequence[OutboxMessage]:
        """Pending messages due by ``now``, oldest first, each leased until ``now + lease``;
        returned as they were before the lease."""
        check_limit(limit)
        now = check_instant("now", now)
        until = now + check_lease(lease)
        with self._write() as db:
            rows = db.execute(
                f"""
                SELECT {OUTBOX_COLUMNS} FROM outbox
                WHERE tenant = ? AND status = 'pending' AND next_attempt_us <= ?
                ORDER BY created_us, rowid LIMIT ?
                """,
                (self._tenant, us(now), limit),
            ).fetchall()
            db.executemany(
                "UPDATE outbox SET next_attempt_us = ?, next_attempt_at = ?"
                " WHERE tenant = ? AND key = ?",
                [(us(until), dump_datetime(until), self._tenant, row[0]) for row in rows],
            )
        return skipping(load_message, rows)

    def outbox_ready(self, now: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """Pending messages due by ``now``, oldest first, read without leasing them."""
        check_limit(limit)
        rows = self._read(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox"
            " WHERE tenant = ? AND status = 'pending' AND next_attempt_us <= ?"
            " ORDER BY created_us, rowid LIMIT ?",
            (self._tenant, us(check_instant("now", now)), limit),
        )
        return skipping(load_message, rows)

    def mark_sent(self, key: str, at: datetime) -> None:
        """Record delivery (even of a dead letter), forgetting the survey token the message
        carried; a message already sent stays as it was."""
        check_message_key(key)
        sent_at = dump_datetime(check_instant("at", at))
        with self._write() as db:
            row = db.execute(
                "SELECT status, body FROM outbox WHERE tenant = ? AND key = ?", (self._tenant, key)
            ).fetchone()
            if row is None:
                raise MessageNotFoundError(key)
            if Delivery(row[0]) is not Delivery.SENT:
                db.execute(
                    "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?,"
                    " next_attempt_us = NULL, next_attempt_at = NULL, body = ?"
                    " WHERE tenant = ? AND key = ?",
                    (sent_at, spent_body(row[1]), self._tenant, key),
                )

    def mark_failed(self, key: str, at: datetime, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt of a pending message: retry at ``retry_at``, or (None)
        make it a dead letter. A message already sent or dead stays as it was."""
        self._fail(key, at, error, retry_at, (Delivery.PENDING,))

    def mark_bounced(self, key: str, at: datetime, error: str, retry_at: datetime | None) -> None:
        """Record that a message sent (or pending) came back: send it again at ``retry_at``,
        or (None) make it a dead letter. A dead letter stays as it is."""
        self._fail(key, at, error, retry_at, (Delivery.PENDING, Delivery.SENT))

    def _fail(
        self,
        key: str,
        at: datetime,
        error: str,
        retry_at: datetime | None,
        states: tuple[Delivery, ...],
    ) -> None:
        check_message_key(key)
        check_instant("at", at)
        check_error(error)
        if retry_at is not None:
            retry_at = check_instant("retry_at", retry_at)
        with self._write() as db:
            if self._status(db, key) not in states:
                return
            db.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, next_attempt_us = ?,"
                " next_attempt_at = ?, last_error = ? WHERE tenant = ? AND key = ?",
                (
                    (Delivery.PENDING if retry_at is not None else Delivery.DEAD).value,
                    None if retry_at is None else us(retry_at),
                    None if retry_at is None else dump_datetime(retry_at),
                    error,
                    self._tenant,
                    key,
                ),
            )

    def dead_letters(self, limit: int = 100) -> Sequence[OutboxMessage]:
        """Messages given up on, oldest first."""
        check_limit(limit)
        rows = self._read(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE tenant = ? AND status = 'dead'"
            " ORDER BY created_us, rowid LIMIT ?",
            (self._tenant, limit),
        )
        return skipping(load_message, rows)

    def requeue(self, key: str, at: datetime) -> None:
        """Make a dead letter pending again, ready at ``at``, its attempts reset."""
        check_message_key(key)
        at = check_instant("at", at)
        with self._write() as db:
            if self._status(db, key) is Delivery.DEAD:
                db.execute(
                    "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_us = ?,"
                    " next_attempt_at = ? WHERE tenant = ? AND key = ?",
                    (us(at), dump_datetime(at), self._tenant, key),
                )

    def outbox_message(self, key: str) -> OutboxMessage:
        """One outbox message by key; raises :class:`~closedloop.MessageNotFoundError`."""
        check_message_key(key)
        rows = self._read(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE tenant = ? AND key = ?",
            (self._tenant, key),
        )
        if not rows:
            raise MessageNotFoundError(key)
        return load_message(rows[0])

    def _status(self, db: sqlite3.Connection, key: str) -> Delivery:
        row = db.execute(
            "SELECT status FROM outbox WHERE tenant = ? AND key = ?", (self._tenant, key)
        ).fetchone()
        if row is None:
            raise MessageNotFoundError(key)
        return Delivery(row[0])
