"""The in-memory store's outbox (the OutboxStorage role): messages kept by key, claimed,
marked and requeued under the store's one lock."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import attrs

from closedloop.adapters.common import (
    check_error,
    check_instant,
    check_lease,
    check_limit,
    check_message_key,
    instant,
)
from closedloop.domain.errors import MessageNotFoundError
from closedloop.domain.outbox.messages import Delivery, OutboxMessage

__all__ = ["MemoryOutbox"]


class _Data(Protocol):
    lock: threading.RLock
    outbox: dict[tuple[str, str], OutboxMessage]


class MemoryOutbox:
    """Messages live in ``_data.outbox`` by tenant and key, changed under ``_data.lock``."""

    _tenant: str
    _data: _Data

    def outbox_claim(
        self, now: datetime, limit: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> Sequence[OutboxMessage]:
        """Lease the pending messages due by ``now``, oldest first, until ``now + lease``."""
        now, _ = check_instant("now", now), check_lease(lease)
        with self._data.lock:
            claimed = self.outbox_ready(now, limit)
            for m in claimed:
                self._put(attrs.evolve(m, next_attempt_at=now + lease))
            return claimed

    def outbox_ready(self, now: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """The messages :meth:`outbox_claim` would claim at ``now``, changing nothing."""
        check_limit(limit)
        cutoff = instant(check_instant("now", now))
        with self._data.lock:
            ready = [
                m
                for m in self._messages()
                if m.status is Delivery.PENDING
                and m.next_attempt_at is not None
                and instant(m.next_attempt_at) <= cutoff
            ]
        ready.sort(key=_oldest_first)
        return ready[:limit]

    def mark_sent(self, key: str, at: datetime) -> None:
        """Record that the message with ``key`` was delivered; a repeat changes nothing."""
        check_message_key(key)
        at = check_instant("at", at)
        with self._data.lock:
            m = self.outbox_message(key)
            if m.status is not Delivery.SENT:
                self._put(
                    attrs.evolve(
                        m,
                        notification=m.notification.spent(),
                        status=Delivery.SENT,
                        attempts=m.attempts + 1,
                        sent_at=at,
                        next_attempt_at=None,
                    )
                )

    def mark_failed(self, key: str, at: datetime, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt: retry at ``retry_at``, or (None) make it a dead letter."""
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
        at = check_instant("at", at)
        check_error(error)
        if retry_at is not None:
            retry_at = check_instant("retry_at", retry_at)
        with self._data.lock:
            m = self.outbox_message(key)
            if m.status not in states:
                return
            self._put(
                attrs.evolve(
                    m,
                    status=Delivery.PENDING if retry_at is not None else Delivery.DEAD,
                    attempts=m.attempts + 1,
                    next_attempt_at=retry_at,
                    last_error=error,
                )
            )

    def dead_letters(self, limit: int = 100) -> Sequence[OutboxMessage]:
        """Messages that were given up on, oldest first."""
        check_limit(limit)
        dead = [m for m in self._messages() if m.status is Delivery.DEAD]
        dead.sort(key=_oldest_first)
        return dead[:limit]

    def requeue(self, key: str, at: datetime) -> None:
        """Make a dead letter pending again, ready at ``at``, its attempts reset."""
        check_message_key(key)
        at = check_instant("at", at)
        with self._data.lock:
            m = self.outbox_message(key)
            if m.status is Delivery.DEAD:
                self._put(attrs.evolve(m, status=Delivery.PENDING, attempts=0, next_attempt_at=at))

    def outbox_message(self, key: str) -> OutboxMessage:
        """One outbox message by key, whatever its state; raises ``NotFoundError``."""
        check_message_key(key)
        try:
            return self._data.outbox[self._tenant, key]
        except KeyError:
            raise MessageNotFoundError(key) from None

    def _messages(self) -> Iterable[OutboxMessage]:
        with self._data.lock:
            return [m for (t, _), m in self._data.outbox.items() if t == self._tenant]

    def _put(self, message: OutboxMessage) -> None:
        self._data.outbox[self._tenant, message.key] = message


def _oldest_first(message: OutboxMessage) -> datetime:
    # Sorted stably over the messages in the order they were committed (a dict keeps it):
    # messages of one instant go out in that order, as R7 asks.
    return instant(message.notification.created_at)
