"""The ports: what closedloop needs from the host, as small protocols.

Host applications implement these (or use the ones closedloop ships) and hand them to
the :class:`~closedloop.Desk`. ``docs/storage.md`` numbers what a ``CaseStore`` must
guarantee; ``closedloop.testing.conformance`` checks it. A ``CaseStore`` is made of roles
(:class:`UnitOfWork`, :class:`CaseStorage`, :class:`InvitationStorage`,
:class:`CustomerStorage`, :class:`OutboxStorage`, :class:`ErasureStorage`), each a protocol
naming the methods that belong together and the requirements they meet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol, Self, runtime_checkable

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.due import DueCase
from closedloop.domain.cases.queues import Queue
from closedloop.domain.change import CustomerChange, Write
from closedloop.domain.customers.erasure import Erasure
from closedloop.domain.customers.identity import Customer
from closedloop.domain.outbox.messages import OutboxMessage
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.reports.facts import Attribution, CaseFacts
from closedloop.domain.reports.totals import Totals
from closedloop.domain.surveys.invitation import Invitation
from closedloop.ports_agents import AgentStorage
from closedloop.ports_operations import (
    HealthStorage,
    SearchesCases,
    StoreOverview,
    SummarisesCases,
)

__all__ = [
    "DEFAULT_TENANT",
    "AgentStorage",
    "CaseStorage",
    "CaseStore",
    "ClaimsDueCases",
    "Clock",
    "CustomerStorage",
    "ErasureStorage",
    "HealthStorage",
    "InvitationStorage",
    "Notifier",
    "OutboxStorage",
    "ReadsManyCases",
    "ReportStorage",
    "SearchesCases",
    "StoreOverview",
    "SummarisesCases",
    "UnitOfWork",
]

DEFAULT_TENANT = "default"
"""The tenant a store is bound to unless told otherwise."""


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
    the message stays in the outbox and is tried again later. Only raising says so: what
    ``send`` returns is ignored and the message marked sent (the outbox logs a WARNING when it
    is not None, as with ``return smtp.sendmail(...)``, whose refused recipients are returned).
    """

    def send(self, notification: Notification) -> None:
        """Deliver ``notification`` or raise; return nothing."""
        ...


@runtime_checkable
class UnitOfWork(Protocol):
    """Commits, bound to one tenant: the one way cases and invitations change.

    An implementor guarantees (``docs/storage.md``):

    - R1: ``commit`` stores the record's new state, its new events and its notifications
      together or not at all; ``commit_many`` does the same for a batch, in one
      transaction, and refuses a batch naming one record twice (``ValidationError``).
    - R2: a change is stored only if the stored record is at ``expected_version`` (0: it
      must not exist yet); otherwise ``ConcurrencyError`` and nothing is stored. Of several
      writers committing one version at once, exactly one wins.
    - R6: the store is bound to ``tenant``; ``for_tenant`` gives the same storage bound to
      another, and no view reads or writes another tenant's records.

    A commit takes an ``InvitationChange`` as well as a case's ``Change`` (R9), mixed in
    one batch, which is why every write that must be atomic across records lives here.
    """

    @property
    def tenant(self) -> str:
        """The tenant this store reads and writes."""
        ...

    def for_tenant(self, tenant: str) -> Self:
        """The same storage, bound to ``tenant``."""
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


@runtime_checkable
class CaseStorage(Protocol):
    """Reading cases back, by id and through the named queries.

    An implementor guarantees (``docs/storage.md``):

    - R3: ``get`` returns the case; an unknown id raises ``CaseNotFoundError``.
    - R4: what is read back equals what was committed, field for field: unicode text as
      written, every datetime with its zone.
    - R5: every query keeps its documented order, ties broken by id in code-point order;
      times compare as instants; a limit below 1 raises ``ValidationError``; an external
      id belongs to one case (a commit giving it to another raises
      ``DuplicateExternalIdError``).
    """

    def get(self, case_id: str) -> Case:
        """The case with this id; raises :class:`~closedloop.CaseNotFoundError`."""
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

    def queue(self, queue: Queue, limit: int = 100) -> Sequence[Case]:
        """The cases in work queue ``queue`` (``case.queue``), by ``case.queued_since``
        then id. Every active case is in exactly one queue; closed and merged ones in none."""
        ...

    def cases_active(self, since: datetime, until: datetime) -> Iterable[Case]:
        """Every case with at least one event in ``[since, until)``, by ``opened_at`` then
        id. Streamed: reports read a period's cases without holding them all at once."""
        ...


@runtime_checkable
class InvitationStorage(Protocol):
    """Reading survey invitations back (they are committed through :class:`UnitOfWork`).

    An implementor guarantees (``docs/storage.md``), R9: an invitation reads back exactly,
    its version checked like a case's; each query keeps its documented order (then id); an
    unknown id raises ``InvitationNotFoundError``; invitations belong to their tenant.
    """

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


@runtime_checkable
class CustomerStorage(Protocol):
    """Customers and the handles linked to them, with their own atomic commit.

    An implementor guarantees (``docs/storage.md``), R11: a customer reads back exactly, by
    id and by any of its handles; ``commit_customers`` stores a batch all or none, checks
    each version (``ConcurrencyError``) and keeps each handle with one customer per tenant
    (``HandleTakenError``); an unknown id raises ``CustomerNotFoundError``.
    """

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


@runtime_checkable
class OutboxStorage(Protocol):
    """The outbox: notifications committed with a change, waiting to be delivered.

    An implementor guarantees (``docs/storage.md``), R7: a claim returns ready pending
    messages oldest first and leases them; a sent message is done; a failure is retried at
    the time given or becomes a dead letter; dead letters are listed and can be requeued; a
    notification key is stored once; a settled message keeps its first outcome; an unknown
    key raises ``MessageNotFoundError``.
    """

    def outbox_claim(
        self, now: datetime, limit: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> Sequence[OutboxMessage]:
        """Pending messages whose next attempt is due by ``now``, oldest first; each is
        leased (not ready again) until ``now + lease`` so other dispatchers skip it. The
        messages are returned as they were when claimed, before the lease."""
        ...

    def outbox_ready(self, now: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """The messages :meth:`outbox_claim` would claim at ``now``, in the same order, as
        they are: nothing is leased or changed (a dry run, a look at the backlog)."""
        ...

    def mark_sent(self, key: str, at: datetime) -> None:
        """Record that the message with ``key`` was delivered (even if it was given up on),
        storing its notification as ``notification.spent()`` (the survey token it carried
        forgotten); a repeat changes nothing."""
        ...

    def mark_failed(self, key: str, at: datetime, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt of a pending message: retry at ``retry_at``, or (None) make
        it a dead letter. A message already sent or dead is left as it is."""
        ...

    def mark_bounced(self, key: str, at: datetime, error: str, retry_at: datetime | None) -> None:
        """Record that a message sent (or still pending) came back from the mail system: send
        it again at ``retry_at``, or (None) make it a dead letter. A dead letter is left as
        it is."""
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
class ErasureStorage(Protocol):
    """Erasing one customer from everything a tenant holds that names them.

    An implementor guarantees (``docs/storage.md``), R10: in one transaction, the records
    that name the customer — chosen by who they name, never by searching text — are
    rewritten without their details; counts, stages, versions, scores and times stay;
    nobody else's records change; other tenants are untouched; nothing erased stays
    readable in the store's files.
    """

    def erase(self, erasure: Erasure, at: datetime) -> int:
        """Remove a customer's details from every record this tenant holds that names
        them, in one transaction: each case whose customer is one of ``erasure.handles``,
        or holding a message one of them wrote (``erasure.holds(case)``), becomes
        ``erasure.case(case, at)`` (the external ids in ``erasure.external_ids(case)``
        renamed in the index); each of their invitations ``erasure.invitation(i, at)``;
        each outbox message about one of their cases or addressed to one of their handles,
        dead letters included, ``erasure.message(m)``; and the customer records
        ``closedloop.adapters.common.erased_customers`` gives. Return how many records
        changed. Nothing of the handles or what the customer wrote may remain readable, in
        the records or, as far as the store controls it, in its files."""
        ...


@runtime_checkable
class CaseStore(
    UnitOfWork,
    CaseStorage,
    InvitationStorage,
    CustomerStorage,
    OutboxStorage,
    ErasureStorage,
    Protocol,
):
    """Where cases, their events and the outbox live, for one tenant.

    The numbered requirements are in ``docs/storage.md``; in short: commits are atomic and
    conditional on the version read, reads return exactly what was committed, every query
    has a defined order, and a store bound to one tenant never sees another's records.

    It is every storage role at once, implemented by one object, and as a whole it behaves
    like the reference ``InMemoryStore`` (R8). Every method belongs to one of the roles.
    """


@runtime_checkable
class ReportStorage(Protocol):
    """Optional: reports' read model, so a report aggregates facts instead of replaying
    every case (``SQLiteStore``, ``PostgresStore`` and ``InMemoryStore`` have it).

    An implementor guarantees (``docs/storage.md``), R12: ``commit`` writes each case
    change's ``facts`` in the same transaction (or marks the case's facts missing when a
    change has none, and ``erase`` marks an erased case's facts missing), and
    :meth:`report_totals` and :meth:`unsettled` answer like the in-memory fold.
    """

    def report_totals(
        self, since: datetime, until: datetime, basis: str, *, oldest: int = 20,
        examples: int = 3,
    ) -> Totals:  # fmt: skip
        """The totals of ``[since, until)`` over the settled cases: those whose stored
        facts have this ``basis`` and a ``last_at`` before ``until``."""
        ...

    def unsettled(self, until: datetime, basis: str) -> Iterable[Case]:
        """The other cases opened before ``until`` (facts missing, of another basis, or
        changed since), by ``opened_at`` then id, streamed."""
        ...

    def put_facts(self, facts: Sequence[CaseFacts]) -> int:
        """Store facts computed outside a commit (a rebuild), each only if its case is
        still at ``facts.version``; returns how many were stored."""
        ...

    def attributions(self, case_ids: Sequence[str], until: datetime) -> Mapping[str, Attribution]:
        """The stored ``facts.attribution`` (owner, team, tags) of each of ``case_ids``
        whose facts hold at ``until`` (stored, not missing, ``last_at`` before ``until``),
        by id; the others are left out (a report replays them)."""
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
        ``now + lease`` (after which another sweep may take it over) or until the case is
        next committed."""
        ...


@runtime_checkable
class ReadsManyCases(Protocol):
    """Optional, for stores where each read costs a statement or a round trip
    (``SQLiteStore`` and ``PostgresStore`` have it).

    The sweep reads each page of due cases with ``get_many`` when a store has it, and
    :meth:`CaseStore.get` for any id it leaves out.
    """

    def get_many(self, case_ids: Sequence[str]) -> Mapping[str, Case]:
        """The cases with these ids, by id, exactly as :meth:`CaseStore.get` returns them;
        an id of no case, or of a case whose record cannot be read, is left out."""
        ...
