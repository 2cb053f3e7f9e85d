"""InMemoryStore: the reference CaseStore, kept in a dict, for tests and prototypes."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from closedloop.domain.case import Case
from closedloop.domain.change import Change
from closedloop.domain.errors import CaseNotFoundError, ConcurrencyError
from closedloop.domain.notification import Notification

__all__ = ["InMemoryStore"]


class InMemoryStore:
    """A :class:`~closedloop.ports.CaseStore` in memory, safe to share between threads.

    Cases are immutable, so they are stored as they are: what you read back is what was
    committed. Nothing survives the process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cases: dict[str, Case] = {}
        self._by_external_id: dict[str, str] = {}
        self._outbox: dict[str, Notification] = {}
        self._sent: dict[str, datetime] = {}

    def get(self, case_id: str) -> Case:
        try:
            return self._cases[case_id]
        except KeyError:
            raise CaseNotFoundError(case_id) from None

    def find_by_external_id(self, external_id: str) -> Case | None:
        case_id = self._by_external_id.get(external_id)
        return None if case_id is None else self._cases[case_id]

    def cases_of(self, customer: str) -> Sequence[Case]:
        found = [c for c in self._cases.values() if c.customer == customer]
        return sorted(found, key=lambda c: (c.opened_at, c.id))

    def commit(self, change: Change) -> None:
        case = change.case
        with self._lock:
            current = self._cases.get(case.id)
            actual = None if current is None else current.version
            if (actual or 0) != change.expected_version:
                raise ConcurrencyError(case.id, change.expected_version, actual)
            self._cases[case.id] = case
            for message in case.messages:
                if message.external_id is not None:
                    self._by_external_id.setdefault(message.external_id, case.id)
            for notification in change.notifications:
                self._outbox.setdefault(notification.key, notification)

    def outbox_ready(self, now: datetime, limit: int = 100) -> Sequence[Notification]:
        with self._lock:
            ready = [n for k, n in self._outbox.items() if k not in self._sent]
        ready.sort(key=lambda n: (n.created_at, n.key))
        return ready[:limit]

    def mark_sent(self, key: str, at: datetime) -> None:
        with self._lock:
            if key in self._outbox:
                self._sent.setdefault(key, at)
