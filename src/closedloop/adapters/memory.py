"""InMemoryStore: the reference CaseStore, kept in dicts, for tests and prototypes."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from closedloop.adapters.common import (
    check_batch,
    check_customer_batch,
    check_instant,
    check_key,
    check_limit,
    check_queue,
    check_tenant,
    erased_customers,
    instant,
    split_batch,
)
from closedloop.adapters.memory_agents import MemoryAgents
from closedloop.adapters.memory_operations import MemoryOperations
from closedloop.adapters.memory_outbox import MemoryOutbox
from closedloop.adapters.memory_reports import MemoryReports
from closedloop.adapters.memory_search import MemorySearch
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.due import DueCase
from closedloop.domain.cases.queues import Queue
from closedloop.domain.change import Change, CustomerChange, Write
from closedloop.domain.checks import require_aware
from closedloop.domain.customers.erasure import Erasure
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import (
    CaseNotFoundError,
    ConcurrencyError,
    CustomerNotFoundError,
    DuplicateExternalIdError,
    HandleTakenError,
    InvitationNotFoundError,
)
from closedloop.domain.outbox.messages import OutboxMessage
from closedloop.domain.queues.rag import RagTimes
from closedloop.domain.reports.facts import CaseFacts
from closedloop.domain.surveys.invitation import Invitation
from closedloop.ports import DEFAULT_TENANT

__all__ = ["InMemoryStore"]


class _Data:
    """Everything every tenant's view shares: one lock, and records keyed by tenant."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.cases: dict[tuple[str, str], Case] = {}
        self.customers: dict[tuple[str, str], Customer] = {}
        self.handles: dict[tuple[str, str], str] = {}
        self.external: dict[tuple[str, str], str] = {}
        self.outbox: dict[tuple[str, str], OutboxMessage] = {}
        self.invitations: dict[tuple[str, str], Invitation] = {}
        self.facts: dict[tuple[str, str], CaseFacts | None] = {}  # None: missing
        self.rag: dict[tuple[str, str], RagTimes | None] = {}  # kept through erasure
        self.agents: dict[tuple[str, str], datetime | None] = {}  # away, until
        self.rotations: dict[tuple[str, str], tuple[int, str]] = {}  # turns, last pick


class InMemoryStore(MemoryOutbox, MemoryReports, MemoryOperations, MemorySearch, MemoryAgents):
    """The reference :class:`~closedloop.ports.CaseStore`: dicts behind one lock.

    It meets every requirement in ``docs/storage.md`` (the conformance kit compares other
    adapters against it). Cases are immutable, so they are kept as they are. Nothing
    survives the process; views from :meth:`for_tenant` share the same data.
    """

    _data: _Data

    def __init__(self, tenant: str = DEFAULT_TENANT, *, _data: _Data | None = None) -> None:
        self._tenant = check_tenant(tenant)
        self._data = _data if _data is not None else _Data()

    @property
    def tenant(self) -> str:
        """The tenant this store reads and writes."""
        return self._tenant

    def for_tenant(self, tenant: str) -> InMemoryStore:
        """The same storage, bound to ``tenant``."""
        return InMemoryStore(tenant, _data=self._data)

    # -- cases --------------------------------------------------------------------------

    def get(self, case_id: str) -> Case:
        """The case with this id; raises :class:`~closedloop.CaseNotFoundError`."""
        check_key("case_id", case_id)
        try:
            return self._data.cases[self._tenant, case_id]
        except KeyError:
            raise CaseNotFoundError(case_id) from None

    def commit(self, change: Write) -> None:
        """Commit one change atomically, if its record is at ``change.expected_version``."""
        check_batch((change,), "change")
        self.commit_many((change,))

    def commit_many(self, changes: Sequence[Write]) -> None:
        """Commit several changes (to different cases and invitations) at once: all or none."""
        data, t = self._data, self._tenant
        check_batch(changes)
        case_changes, invitation_changes = split_batch(changes)
        with data.lock:
            # Check everything first, so that a refused batch changes nothing.
            for ic in invitation_changes:
                invitation = ic.invitation
                stored = data.invitations.get((t, invitation.id))
                actual = None if stored is None else stored.version
                if (actual or 0) != ic.expected_version:
                    raise ConcurrencyError(
                        invitation.id, ic.expected_version, actual, record="invitation"
                    )
            claimed: dict[str, str] = {}
            for change in case_changes:
                case = change.case
                current = data.cases.get((t, case.id))
                actual = None if current is None else current.version
                if (actual or 0) != change.expected_version:
                    raise ConcurrencyError(case.id, change.expected_version, actual)
                for external_id in _external_ids(change):
                    owner = data.external.get((t, external_id), claimed.get(external_id))
                    if owner is not None and owner != case.id:
                        raise DuplicateExternalIdError(case.id, external_id)
                    claimed[external_id] = case.id
            for change in case_changes:
                case = change.case
                data.cases[t, case.id], data.facts[t, case.id] = case, change.facts
                data.rag[t, case.id] = change.rag
                for external_id in _external_ids(change):
                    data.external[t, external_id] = case.id
            for ic in invitation_changes:
                data.invitations[t, ic.invitation.id] = ic.invitation
            for write in changes:
                for n in write.notifications:
                    data.outbox.setdefault((t, n.key), OutboxMessage(n, next_attempt_at=n.ready_at))

    def find_by_external_id(self, external_id: str) -> Case | None:
        """The case holding a message with this external id, if any."""
        check_key("external_id", external_id)
        case_id = self._data.external.get((self._tenant, external_id))
        return None if case_id is None else self._data.cases[self._tenant, case_id]

    def cases_of(self, customer: str) -> Sequence[Case]:
        """Every case of one customer, by ``opened_at`` then id."""
        check_key("customer", customer)
        return sorted(
            (c for c in self._cases() if c.customer == customer),
            key=lambda c: (instant(c.opened_at), c.id),
        )

    def due(self, before: datetime, limit: int = 100) -> Sequence[DueCase]:
        """Cases whose ``due_at`` is earlier than ``before``, earliest due first, as references."""
        check_limit(limit)
        cutoff = instant(check_instant("before", before))
        found = [
            DueCase(c.id, instant(c.due_at), c.version)
            for c in self._cases()
            if c.due_at is not None and instant(c.due_at) < cutoff
        ]
        found.sort(key=lambda d: (d.due_at, d.id))
        return found[:limit]

    def unanswered(self, limit: int = 100) -> Sequence[Case]:
        """Open cases nobody has acknowledged yet, across all channels, oldest first."""
        check_limit(limit)
        found = [c for c in self._cases() if c.acknowledged_at is None and c.is_active]
        found.sort(key=lambda c: (instant(c.opened_at), c.id))
        return found[:limit]

    def queue(self, queue: Queue, limit: int = 100) -> Sequence[Case]:
        """The cases in work queue ``queue``, by ``case.queued_since`` then id."""
        check_limit(limit)
        check_queue(queue)
        found = [c for c in self._cases() if c.queue is queue]
        found.sort(key=lambda c: (instant(c.queued_since or c.opened_at), c.id))
        return found[:limit]

    def cases_active(self, since: datetime, until: datetime) -> Iterator[Case]:
        """Every case with at least one event in ``[since, until)``, by ``opened_at`` then id."""
        low = instant(check_instant("since", since))
        high = instant(check_instant("until", until))
        found = [c for c in self._cases() if any(low <= instant(e.at) < high for e in c.events)]
        found.sort(key=lambda c: (instant(c.opened_at), c.id))
        return iter(found)

    # -- survey invitations -------------------------------------------------------------

    def invitation(self, invitation_id: str) -> Invitation:
        """The invitation with this id; raises :class:`~closedloop.InvitationNotFoundError`."""
        check_key("invitation_id", invitation_id)
        try:
            return self._data.invitations[self._tenant, invitation_id]
        except KeyError:
            raise InvitationNotFoundError(invitation_id) from None

    def invitations_of(self, customer: str) -> Sequence[Invitation]:
        """Every invitation of one customer, by ``created_at`` then id."""
        check_key("customer", customer)
        return sorted(
            (i for i in self._invitations() if i.customer == customer),
            key=lambda i: (instant(i.created_at), i.id),
        )

    def invitations_due(self, before: datetime, limit: int = 100) -> Sequence[Invitation]:
        """Invitations whose ``due_at`` is earlier than ``before``, earliest first, then by id."""
        check_limit(limit)
        cutoff = instant(check_instant("before", before))
        found = [
            i for i in self._invitations() if i.due_at is not None and instant(i.due_at) < cutoff
        ]
        found.sort(key=lambda i: (instant(i.due_at or before), i.id))
        return found[:limit]

    def responses(self, since: datetime, until: datetime) -> Iterator[Invitation]:
        """Answered invitations whose answer arrived in ``[since, until)``, by arrival then id."""
        low = instant(check_instant("since", since))
        high = instant(check_instant("until", until))
        found = [
            (instant(i.response.received_at), i.id, i)
            for i in self._invitations()
            if i.response is not None and low <= instant(i.response.received_at) < high
        ]
        found.sort(key=lambda row: row[:2])
        return (i for _, _, i in found)

    # -- customers ----------------------------------------------------------------------

    def customer(self, customer_id: str) -> Customer:
        """The customer with this id; raises :class:`~closedloop.CustomerNotFoundError`."""
        check_key("customer_id", customer_id)
        found = self._data.customers.get((self._tenant, customer_id))
        if found is None:
            raise CustomerNotFoundError(customer_id)
        return found

    def customer_of(self, handle: str) -> Customer | None:
        """The customer ``handle`` is linked to, or None."""
        check_key("handle", handle)
        owner = self._data.handles.get((self._tenant, handle))
        return None if owner is None else self._data.customers[self._tenant, owner]

    def commit_customers(self, changes: Sequence[CustomerChange]) -> None:
        """Store every customer change, all or none (versions checked, handles unique)."""
        data, t = self._data, self._tenant
        check_customer_batch(changes)
        with data.lock:
            for change in changes:
                stored = data.customers.get((t, change.customer.id))
                actual = None if stored is None else stored.version
                if (actual or 0) != change.expected_version:
                    raise ConcurrencyError(
                        change.customer.id, change.expected_version, actual, record="customer"
                    )
            changing = {c.customer.id for c in changes}
            for change in changes:
                for handle in change.customer.handles:
                    owner = data.handles.get((t, handle))
                    if owner is not None and owner not in changing:
                        raise HandleTakenError(handle, owner)
            for change in changes:
                stored = data.customers.get((t, change.customer.id))
                for handle in stored.handles if stored is not None else ():
                    data.handles.pop((t, handle), None)
            for change in changes:
                data.customers[t, change.customer.id] = change.customer
                for handle in change.customer.handles:
                    data.handles[t, handle] = change.customer.id

    # -- erasure -------------------------------------------------------------------------

    def erase(self, erasure: Erasure, at: datetime) -> int:
        """Remove a customer's details from every record this tenant holds that names them."""
        data, t = self._data, self._tenant
        require_aware("at", at)
        with data.lock:
            # Everything is worked out before anything changes: a refusal changes nothing.
            read = lambda key: data.customers.get((t, key))  # noqa: E731
            people = erased_customers(erasure, at, read, self.customer_of)
            cases = [c for c in self._cases() if erasure.holds(c)]
            theirs = {c.id for c in cases if c.customer in erasure.handles}
            for case in cases:
                for external_id, new in erasure.external_ids(case).items():
                    if data.external.get((t, external_id)) == case.id:
                        del data.external[t, external_id]
                        data.external[t, new] = case.id
                data.cases[t, case.id], data.facts[t, case.id] = erasure.case(case, at), None
            invitations = [i for i in self._invitations() if i.customer in erasure.handles]
            for invitation in invitations:
                data.invitations[t, invitation.id] = erasure.invitation(invitation, at)
            messages = [
                m
                for m in self._messages()
                if m.notification.case_id in theirs or m.notification.to in erasure.handles
            ]
            for m in messages:
                self._put(erasure.message(m))
            for key, _ in people:
                gone = data.customers.pop((t, key), None)
                for handle in gone.handles if gone is not None else ():
                    data.handles.pop((t, handle), None)
            for _, person in people:
                data.customers[t, person.id] = person
                data.handles.update(((t, h), person.id) for h in person.handles)
            return len(cases) + len(invitations) + len(messages) + len(people)

    # ----------------------------------------------------------------------------------

    def _cases(self) -> Iterable[Case]:
        with self._data.lock:
            return [c for (t, _), c in self._data.cases.items() if t == self._tenant]

    def _invitations(self) -> Iterable[Invitation]:
        with self._data.lock:
            return [i for (t, _), i in self._data.invitations.items() if t == self._tenant]


def _external_ids(change: Change) -> Iterable[str]:
    return change.case.external_ids
