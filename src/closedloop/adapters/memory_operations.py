"""The in-memory store's operations roles (HealthStorage, StoreOverview): the health figures
and the tenants, computed from the dicts under the store's one lock."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from closedloop.adapters.common import check_instant, instant
from closedloop.domain.cases.case import Case
from closedloop.domain.health import HealthFigures
from closedloop.domain.outbox.messages import Delivery, OutboxMessage, withheld

__all__ = ["MemoryOperations"]


class _Data(Protocol):
    lock: threading.RLock
    cases: dict[tuple[str, str], Case]
    outbox: dict[tuple[str, str], OutboxMessage]
    invitations: dict[tuple[str, str], Any]
    customers: dict[tuple[str, str], Any]


class MemoryOperations:
    """Every record is looked at: the reference the indexed stores are compared with."""

    _tenant: str
    _data: _Data

    def health_figures(self, now: datetime) -> HealthFigures:
        """The health figures of this tenant at ``now``."""
        cutoff = instant(check_instant("now", now))
        with self._data.lock:
            cases = [c for (t, _), c in self._data.cases.items() if t == self._tenant]
            messages = [m for (t, _), m in self._data.outbox.items() if t == self._tenant]
        pending = [m for m in messages if m.status is Delivery.PENDING]
        overdue = [
            instant(m.next_attempt_at)
            for m in pending
            if m.next_attempt_at is not None and instant(m.next_attempt_at) <= cutoff
        ]
        retrying = [instant(m.notification.ready_at) for m in pending if m.attempts > 0]
        unanswered = sorted(
            (c for c in cases if c.acknowledged_at is None and c.is_active),
            key=lambda c: (instant(c.opened_at), c.id),
        )
        deadlines = (instant(c.due_at) for c in cases if c.due_at is not None)
        due = sorted(d for d in deadlines if d < cutoff)
        return HealthFigures(
            outbox_backlog=len(pending),
            outbox_overdue_since=min(overdue, default=None),
            dead_letters=sum(m.status is Delivery.DEAD and not withheld(m) for m in messages),
            oldest_unanswered=unanswered[0].id if unanswered else None,
            oldest_unanswered_at=instant(unanswered[0].opened_at) if unanswered else None,
            cases_due=len(due),
            due_since=due[0] if due else None,
            outbox_retrying=len(retrying),
            retrying_since=min(retrying, default=None),
        )

    def activity(self) -> tuple[datetime, datetime] | None:
        """The earliest opening and the latest event of this tenant's cases."""
        with self._data.lock:
            cases = [c for (t, _), c in self._data.cases.items() if t == self._tenant]
        if not cases:
            return None
        first = min(instant(c.opened_at) for c in cases)
        return first, max(instant(e.at) for c in cases for e in c.events)

    def tenants(self) -> Sequence[str]:
        """Every tenant holding a case, an invitation, a customer or an outbox message."""
        data = self._data
        with data.lock:
            found = {
                tenant
                for records in (data.cases, data.invitations, data.customers, data.outbox)
                for tenant, _ in records
            }
        return sorted(found)
