"""The outbox (the OutboxStorage role): claiming due messages with a lease, recording each
delivery or failure, dead letters and their requeueing. Notifications are queued by
:mod:`~closedloop.adapters.postgres.unit_of_work`, in the transaction of their change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from closedloop.adapters.common import (
    check_error,
    check_instant,
    check_lease,
    check_limit,
    check_message_key,
)
from closedloop.adapters.postgres.connection import PostgresBase
from closedloop.adapters.rows import load_message, skipping, spent_body, us
from closedloop.codec import dump_datetime
from closedloop.domain.errors import MessageNotFoundError
from closedloop.domain.outbox.messages import Delivery, OutboxMessage

if TYPE_CHECKING:
    import psycopg

__all__ = ["OUTBOX_COLUMNS", "PostgresOutboxStorage"]

#: The outbox columns :func:`~closedloop.adapters.rows.load_message` reads, in its order.
OUTBOX_COLUMNS = "key, status, attempts, next_attempt_at, last_error, sent_at, body"


class PostgresOutboxStorage(PostgresBase):
    """The outbox of a :class:`PostgresStore`."""

    def outbox_claim(
        self, now: datetime, limit: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> Sequence[OutboxMessage]:
        """Pending messages due by ``now``, oldest first, each leased until ``now + lease``
        (``FOR UPDATE SKIP LOCKED``: concurrent dispatchers never claim the same one);
        returned as they were before the lease."""
        check_limit(limit)
        now = check_instant("now", now)
        until = now + check_lease(lease)
        s = self._s
        rows = self._read(
            f"""
            WITH picked AS (
                SELECT key, created_us, seq, {OUTBOX_COLUMNS.replace("key, ", "")}
                FROM {s}.outbox
                WHERE tenant = %s AND status = 'pending' AND next_attempt_us <= %s
                ORDER BY created_us, seq LIMIT %s FOR UPDATE SKIP LOCKED
            ), leased AS (
                UPDATE {s}.outbox AS o SET next_attempt_us = %s, next_attempt_at = %s
                FROM picked WHERE o.tenant = %s AND o.key = picked.key
            )
            SELECT {OUTBOX_COLUMNS} FROM picked ORDER BY created_us, seq
            """,
            (self._tenant, us(now), limit, us(until), dump_datetime(until), self._tenant),
        )
        return skipping(load_message, rows)

    def outbox_ready(self, now: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """Pending messages due by ``now``, oldest first, read without leasing them."""
        check_limit(limit)
        rows = self._read(
            f"SELECT {OUTBOX_COLUMNS} FROM {self._s}.outbox"
            " WHERE tenant = %s AND status = 'pending' AND next_attempt_us <= %s"
            " ORDER BY created_us, seq LIMIT %s",
            (self._tenant, us(check_instant("now", now)), limit),
        )
        return skipping(load_message, rows)

    def mark_sent(self, key: str, at: datetime) -> None:
        """Record delivery (even of a dead letter), forgetting the survey token the message
        carried; a message already sent stays as it was."""
        s, t = self._s, self._tenant
        check_message_key(key)
        sent_at = dump_datetime(check_instant("at", at))
        with self._tx() as cur:
            row = cur.execute(
                f"UPDATE {s}.outbox SET status = 'sent', attempts = attempts + 1, sent_at = %s,"
                " next_attempt_us = NULL, next_attempt_at = NULL"
                " WHERE tenant = %s AND key = %s AND status <> 'sent' RETURNING body",
                (sent_at, t, key),
            ).fetchone()
            if row is None:
                self._exists(cur, key)
            elif spent_body(row[0]) != row[0]:
                cur.execute(
                    f"UPDATE {s}.outbox SET body = %s WHERE tenant = %s AND key = %s",
                    (spent_body(row[0]), t, key),
                )

    def mark_failed(self, key: str, at: datetime, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt of a pending message: retry at ``retry_at``, or (None)
        make it a dead letter. A message already sent or dead stays as it was."""
        self._fail(key, at, error, retry_at, "'pending'")

    def mark_bounced(self, key: str, at: datetime, error: str, retry_at: datetime | None) -> None:
        """Record that a message sent (or pending) came back: send it again at ``retry_at``,
        or (None) make it a dead letter. A dead letter stays as it is."""
        self._fail(key, at, error, retry_at, "'pending', 'sent'")

    def _fail(
        self, key: str, at: datetime, error: str, retry_at: datetime | None, states: str
    ) -> None:
        check_message_key(key)
        check_instant("at", at)
        check_error(error)
        if retry_at is not None:
            retry_at = check_instant("retry_at", retry_at)
        self._settle(
            key,
            "UPDATE {s}.outbox SET status = %s, attempts = attempts + 1, next_attempt_us = %s,"
            " next_attempt_at = %s, last_error = %s"
            f" WHERE tenant = %s AND key = %s AND status IN ({states})",
            (
                (Delivery.PENDING if retry_at is not None else Delivery.DEAD).value,
                None if retry_at is None else us(retry_at),
                None if retry_at is None else dump_datetime(retry_at),
                error,
                self._tenant,
                key,
            ),
        )

    def requeue(self, key: str, at: datetime) -> None:
        """Make a dead letter pending again, ready at ``at``, its attempts reset."""
        check_message_key(key)
        at = check_instant("at", at)
        self._settle(
            key,
            "UPDATE {s}.outbox SET status = 'pending', attempts = 0, next_attempt_us = %s,"
            " next_attempt_at = %s WHERE tenant = %s AND key = %s AND status = 'dead'",
            (us(at), dump_datetime(at), self._tenant, key),
        )

    def _settle(self, key: str, update: str, params: Sequence[object]) -> None:
        with self._tx() as cur:
            cur.execute(update.format(s=self._s), params)
            if cur.rowcount == 0:
                self._exists(cur, key)

    def _exists(self, cur: psycopg.Cursor[Any], key: str) -> None:
        """Raise :class:`MessageNotFoundError` unless the message is stored."""
        exists = cur.execute(
            f"SELECT 1 FROM {self._s}.outbox WHERE tenant = %s AND key = %s",
            (self._tenant, key),
        ).fetchone()
        if exists is None:
            raise MessageNotFoundError(key)

    def dead_letters(self, limit: int = 100) -> Sequence[OutboxMessage]:
        """Messages given up on, oldest first."""
        check_limit(limit)
        rows = self._read(
            f"SELECT {OUTBOX_COLUMNS} FROM {self._s}.outbox WHERE tenant = %s"
            " AND status = 'dead' ORDER BY created_us, seq LIMIT %s",
            (self._tenant, limit),
        )
        return skipping(load_message, rows)

    def outbox_message(self, key: str) -> OutboxMessage:
        """One outbox message by key; raises :class:`~closedloop.MessageNotFoundError`."""
        check_message_key(key)
        rows = self._read(
            f"SELECT {OUTBOX_COLUMNS} FROM {self._s}.outbox WHERE tenant = %s AND key = %s",
            (self._tenant, key),
        )
        if not rows:
            raise MessageNotFoundError(key)
        return load_message(rows[0])
