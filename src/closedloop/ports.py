"""The ports: what closedloop needs from the host, as small protocols.

Host applications implement these (or use the ones closedloop ships) and hand them to
the :class:`~closedloop.Desk`. Each is documented with what it must guarantee.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from closedloop.domain.case import Case
from closedloop.domain.change import Change
from closedloop.domain.notification import Notification

__all__ = ["CaseStore", "Clock", "Notifier"]


@runtime_checkable
class Clock(Protocol):
    """Tells the time. The only place the service layer learns what time it is."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


@runtime_checkable
class Notifier(Protocol):
    """Delivers one notification (an email, a chat message, a webhook...).

    Delivery is at-least-once: the same notification may arrive twice after a crash, so
    use ``notification.key`` to drop repeats. Raise any exception to say delivery failed;
    the message stays in the outbox and is tried again.
    """

    def send(self, notification: Notification) -> None:
        """Deliver ``notification`` or raise."""
        ...


@runtime_checkable
class CaseStore(Protocol):
    """Where cases, their events and the outbox live.

    Requirements (the storage guide numbers them in full):

    1. ``commit`` is atomic: the case's new state, its new events and its notifications are
       all stored, or none are.
    2. ``commit`` is conditional: if the stored case is not at ``change.expected_version``
       (0 meaning "does not exist yet"), it raises :class:`~closedloop.ConcurrencyError`
       and changes nothing.
    3. What is read back equals what was committed, field for field.
    """

    def get(self, case_id: str) -> Case:
        """The case with this id; raises :class:`~closedloop.CaseNotFoundError`."""
        ...

    def find_by_external_id(self, external_id: str) -> Case | None:
        """The case holding feedback with this external id, if any."""
        ...

    def cases_of(self, customer: str) -> Sequence[Case]:
        """Every case of one customer, oldest first."""
        ...

    def commit(self, change: Change) -> None:
        """Store a change atomically, if the case is still at ``change.expected_version``."""
        ...

    def outbox_ready(self, now: datetime, limit: int = 100) -> Sequence[Notification]:
        """Notifications not yet delivered, oldest first, at most ``limit``."""
        ...

    def mark_sent(self, key: str, at: datetime) -> None:
        """Record that the notification with ``key`` was delivered."""
        ...
