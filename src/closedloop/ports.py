"""The ports: what closedloop needs from the host, as small protocols.

Host applications implement these (or use the ones closedloop ships) and hand them to
the :class:`~closedloop.Desk`. ``docs/storage.md`` numbers what a ``CaseStore`` must
guarantee; ``closedloop.testing.conformance`` checks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol, Self, runtime_checkable

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.due import DueCase
from closedloop.domain.change import CustomerChange, Write
from closedloop.domain.customers.erasure import Erasure
from closedloop.domain.customers.identity import Customer
from closedloop.domain.outbox.messages import OutboxMessage
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.surveys.invitation import Invitation

__all__ = ["DEFAULT_TENANT", "CaseStore", "ClaimsDueCases", "Clock", "Notifier"]

#: The tenant a store is bound to unless told otherwise.
DEFAULT_TENANT = "default"


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
    the message stays in the outbox and is tried again later.
    """

    def send(self, notification: Notification) -> None:
        """Deliver ``notification`` or raise."""
        ...


@runtime_checkable
class CaseStore(Protocol):
    """Where cases, their events and the outbox live, for one tenant.

    The numbered requirements are in ``docs/storage.md``; in short: commits are atomic and
    conditional on the version read, reads return exactly what was committed, every query
    has a defined order, and a store bound to one tenant never sees another's records.
    """

    @property
    def tenant(self) -> str:
        """The tenant this store reads and writes."""
        ...

    def for_tenant(self, tenant: str) -> Self:
        """The same storage, bound to ``tenant``."""
        ...

    # -- cases --------------------------------------------------------------------------

    def get(self, case_id: str) -> Case:
        """The case with this id; raises :class:`~closedloop.CaseNotFoundError`."""
        ...

    def commit(self, change: Write) -> None:
        """Store the case's (or invitation's) new state, its new events and its
        notifications atomically, if the stored record is at ``change.expected_version``
        (0: it must not exist yet); otherwise raise :class:`~closedloop.ConcurrencyError`
        and store nothing."""
        ...

    def commit_many(self, changes: Sequence[Write]) -> None:
        """Commit several changes (to different cases and invitations) in one transaction:
        all or none."""
        ...

    def find_by_external_id(self, external_id: str) -> Case | None:
        """The case holding a message with this external id, if any."""
        ...

    def cases_of(self, customer: str) -> Sequence[Case]:
        """Every case of one customer, by ``opened_at`` then id."""
        ...

    def due(self, before: datetime, limit: int = 100) -> Sequence[DueCase]:
        """Cases whose ``due_at`` is earlier than ``before``, earliest due first (then by
        id), as light references: a sweep reads thousands and loads the ones it acts on.
        (A closed case has a ``due_at`` only while a promise made on it is open.)"""
        ...

    def unanswered(self, limit: int = 100) -> Sequence[Case]:
        """Open cases nobody has acknowledged yet, across all channels, oldest first."""
        ...

    def cases_active(self, since: datetime, until: datetime) -> Iterable[Case]:
        """Every case with at least one event in ``[since, until)``, by ``opened_at`` then
        id. Streamed: reports read a period's cases without holding them all at once."""
        ...

    # -- survey invitations -------------------------------------------------------------

    def invitation(self, invitation_id: str) -> Invitation:
        """The invitation with this id; raises :class:`~closedloop.InvitationNotFoundError`."""
        ...

    def invitations_of(self, customer: str) -> Sequence[Invitation]:
        """Every invitation of one customer (suppressed and answered ones too), by
        ``created_at`` then id."""
        ...

    def invitations_due(self, before: datetime, limit: int = 100) -> Sequence[Invitation]:
        """Invitations whose ``due_at`` is earlier than ``before`` (a reminder or an expiry
        is due), earliest first, then by id."""
        ...

    def responses(self, since: datetime, until: datetime) -> Iterable[Invitation]:
        """Answered invitations whose answer arrived in ``[since, until)``, by the time it
        arrived, then id. Streamed: a store need not hold them all in memory at once."""
        ...

    # -- customers ----------------------------------------------------------------------

    def customer(self, customer_id: str) -> Customer:
        """The customer with this id; raises :class:`~closedloop.CustomerNotFoundError`."""
        ...

    def customer_of(self, handle: str) -> Customer | None:
        """The customer ``handle`` is linked to, or None."""
        ...

    def commit_customers(self, changes: Sequence[CustomerChange]) -> None:
        """Store every customer change, all or none: each only if the stored customer is at
        its ``expected_version`` (else :class:`~closedloop.ConcurrencyError`), and a handle
        belongs to one customer at most (else :class:`~closedloop.HandleTakenError`)."""
        ...

    # -- erasure -------------------------------------------------------------------------

    def erase(self, erasure: Erasure, at: datetime) -> int:
        """Remove a customer's details from every record this tenant holds, in one
        transaction: their cases (each rewritten by ``erasure.case(case, at)``, which adds
        an ``Erased`` event), their invitations (``erasure.invitation``), and every outbox
        message about those cases or mentioning a handle, dead letters included
        (``erasure.scrub``); external ids become digests. Return how many records changed.
        Nothing of the handles or what the customer wrote may remain readable, in the
        records or, as far as the store controls it, in its files."""
        ...

    # -- the outbox ---------------------------------------------------------------------

    def outbox_claim(
        self, now: datetime, limit: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> Sequence[OutboxMessage]:
        """Pending messages whose next attempt is due by ``now``, oldest first; each is
        leased (not ready again) until ``now + lease`` so other dispatchers skip it. The
        messages are returned as they were when claimed, before the lease."""
        ...

    def mark_sent(self, key: str, at: datetime) -> None:
        """Record that the message with ``key`` was delivered (even if it was given up on);
        a repeat changes nothing."""
        ...

    def mark_failed(self, key: str, at: datetime, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt of a pending message: retry at ``retry_at``, or (None) make
        it a dead letter. A message already sent or dead is left as it is."""
        ...

    def dead_letters(self, limit: int = 100) -> Sequence[OutboxMessage]:
        """Messages that were given up on, oldest first."""
        ...

    def requeue(self, key: str, at: datetime) -> None:
        """Make a dead letter pending again, ready at ``at``, its attempts reset (other
        messages are left as they are)."""
        ...

    def outbox_message(self, key: str) -> OutboxMessage:
        """One outbox message by key, whatever its state; raises ``NotFoundError``."""
        ...


@runtime_checkable
class ClaimsDueCases(Protocol):
    """Optional, for stores shared by several sweepers (``PostgresStore`` has it).

    The sweep uses ``claim_due`` instead of :meth:`CaseStore.due` when a store has it, so
    each worker gets cases no other worker is sweeping.
    """

    def claim_due(
        self, now: datetime, limit: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> Sequence[DueCase]:
        """Cases due before ``now`` not claimed by another worker, each claimed until
        ``now + lease`` (after which another sweep may take it over)."""
        ...
