"""A Change: what one step commits, atomically."""

from __future__ import annotations

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.events import Event
from closedloop.domain.checks import shown
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import ValidationError
from closedloop.domain.limits import check_record
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.queues.rag import RagTimes
from closedloop.domain.reports.facts import CaseFacts
from closedloop.domain.reports.kept import KeptFacts
from closedloop.domain.surveys.invitation import Invitation

__all__ = ["Change", "CustomerChange", "InvitationChange", "Write", "with_kept", "with_rag"]


def _checked(record: object, kind: type, expected_version: object, notifications: object) -> None:
    """(Notifications are checked after the records, whose field names say more.)"""
    """The shape every change shares: a record of ``kind``, a whole version, notifications."""
    if not isinstance(record, kind):
        name = kind.__name__.lower()
        raise ValidationError.of(name, f"{name} must be a {kind.__name__}, got {shown(record)}")
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise ValidationError.of(
            "expected_version",
            f"expected_version must be a whole number, got {shown(expected_version)}",
        )
    if not isinstance(notifications, tuple | list) or not all(
        isinstance(n, Notification) for n in notifications
    ):
        raise ValidationError.of(
            "notifications",
            f"notifications must be a tuple of Notification, got {shown(notifications)}",
        )


def _forward(record: str, record_id: str, expected_version: int, version: int) -> None:
    """Refuse a change that does not move the record forward from ``expected_version``."""
    if not 0 <= expected_version < version:
        raise ValidationError.of(
            "expected_version",
            f"a change must move {record} {record_id!r} forward from expected_version "
            f"{expected_version}, but it is at version {version}",
        )


def _notifications(notifications: tuple[Notification, ...]) -> None:
    for notification in notifications:
        check_record(notification)


@attrs.frozen
class Change:
    """A case's new state, its new events and the notifications they caused.

    ``expected_version`` is the version the change was computed from (0 for a new case).
    A store commits all of it or none of it, and refuses it if the stored case is no longer
    at ``expected_version``. ``facts``, the case's report facts (the Desk adds them), are
    written with it (R12); without them the store marks the case's facts missing.
    """

    case: Case
    """The case as it is after the change."""
    expected_version: int
    """The version the change was computed from (0 for a new case)."""
    notifications: tuple[Notification, ...] = ()
    """The notifications the change caused, delivered by the outbox once committed."""
    facts: CaseFacts | None = None
    """The report facts of the case after the change (computed by the service, written by
    a store with the ``ReportStorage`` role; None: the store marks them missing)."""
    rag: RagTimes | None = None
    """When the case turns amber and red under the desk's standards (computed by the
    service, indexed by a store with the ``SearchesCases`` role; None: never, GREEN)."""
    kept: KeptFacts | None = attrs.field(default=None, eq=False, repr=False)
    """How far the facts were worked out (added by the service with ``facts``): a store
    that keeps snapshots may keep it beside the case's, so that the next commit's facts go
    on from the case as read (``closedloop.adapters.rows.snapshot_json`` does)."""

    def __attrs_post_init__(self) -> None:
        _checked(self.case, Case, self.expected_version, self.notifications)
        _forward("case", self.case.id, self.expected_version, self.case.version)
        facts = self.facts
        if facts is not None and (
            not isinstance(facts, CaseFacts)
            or (facts.case_id, facts.version) != (self.case.id, self.case.version)
        ):
            raise ValidationError.of(
                "facts", f"facts must be the CaseFacts of this case's version, got {shown(facts)}"
            )
        if self.rag is not None and not isinstance(self.rag, RagTimes):
            raise ValidationError.of("rag", f"rag must be RagTimes or None, got {shown(self.rag)}")
        _check_kept(self.case.version, self.kept)
        for event in self.events:
            check_record(event)
        _notifications(self.notifications)

    @property
    def events(self) -> tuple[Event, ...]:
        """The events this change adds to the case's history."""
        return tuple(self.case.events[self.expected_version :])


def with_facts(change: Change, facts: CaseFacts) -> Change:
    """``change`` carrying its case's ``facts``. Only the facts are checked: the rest was
    checked when the change was made (building it again would check every event twice)."""
    if not isinstance(facts, CaseFacts) or (facts.case_id, facts.version) != (
        change.case.id,
        change.case.version,
    ):
        raise ValidationError.of(
            "facts", f"facts must be the CaseFacts of this case's version, got {shown(facts)}"
        )
    return _copied(change, facts=facts)


def with_rag(change: Change, rag: RagTimes) -> Change:
    """``change`` carrying when its case turns amber and red; only ``rag`` is checked."""
    if not isinstance(rag, RagTimes):
        raise ValidationError.of("rag", f"rag must be RagTimes, got {shown(rag)}")
    return _copied(change, rag=rag)


def with_kept(change: Change, kept: KeptFacts | None) -> Change:
    """``change`` carrying how far its case's facts were worked out (None: not known)."""
    _check_kept(change.case.version, kept)
    return _copied(change, kept=kept)


def _check_kept(version: int, kept: object) -> None:
    if kept is not None and (not isinstance(kept, KeptFacts) or kept.version != version):
        raise ValidationError.of(
            "kept", f"kept must be the KeptFacts of this case's version, got {shown(kept)}"
        )


def with_notifications(change: Change, more: tuple[Notification, ...]) -> Change:
    """``change`` with ``more`` notifications after its own; only those are checked."""
    _notifications(more)
    return _copied(change, notifications=(*change.notifications, *more))


def _copied(change: Change, **fields: object) -> Change:
    # Field by field, not copy.copy: its pickling protocol cost more than the rest of a
    # step's bookkeeping.
    made: Change = object.__new__(Change)
    for name in _CHANGE_FIELDS:
        object.__setattr__(made, name, fields[name] if name in fields else getattr(change, name))
    return made


_CHANGE_FIELDS = ("case", "expected_version", "notifications", "facts", "rag", "kept")


@attrs.frozen
class InvitationChange:
    """A survey invitation's new state and the notifications it caused (the invitation
    itself, a reminder). Committed like a :class:`Change`: all or nothing, and only if the
    stored invitation is still at ``expected_version`` (0 for a new one)."""

    invitation: Invitation
    """The invitation as it is after the change."""
    expected_version: int
    """The version the change was computed from (0 for a new one)."""
    notifications: tuple[Notification, ...] = ()
    """The notifications it caused (the invitation, a reminder)."""

    def __attrs_post_init__(self) -> None:
        _checked(self.invitation, Invitation, self.expected_version, self.notifications)
        check_record(self.invitation)
        _notifications(self.notifications)
        _forward("invitation", self.invitation.id, self.expected_version, self.invitation.version)


@attrs.frozen
class CustomerChange:
    """A customer's new handles and history, committed with
    :meth:`~closedloop.CaseStore.commit_customers` only if the stored customer is still at
    ``expected_version`` (0 for a new one)."""

    customer: Customer
    """The customer as it is after the change."""
    expected_version: int
    """The version the change was computed from (0 for a new one)."""

    def __attrs_post_init__(self) -> None:
        _checked(self.customer, Customer, self.expected_version, ())
        check_record(self.customer)
        _forward("customer", self.customer.id, self.expected_version, self.customer.version)


#: What a store commits: a case's change or an invitation's.
Write = Change | InvitationChange
