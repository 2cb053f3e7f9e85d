"""What each event changes in a case: the fields :func:`~closedloop.domain.cases.case.apply`
sets, worked out here so that the Case's module holds the record and its queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs

from closedloop.domain.cases.contact import (
    ClosingNoticeSent,
    MessageReceived,
    Pause,
    Paused,
    PausedSpan,
    WaitingOn,
    answers_customer,
    ends_pause,
)
from closedloop.domain.cases.events import (
    Acknowledged,
    ActionTaken,
    Assigned,
    AwaitingCustomer,
    CasesMerged,
    ChannelMoved,
    CustomerEscalated,
    CustomerReplied,
    Declined,
    Escalated,
    Event,
    Explained,
    MergedInto,
    MessageAdded,
    PriorityChanged,
    Promised,
    PromiseKept,
    Reopened,
    Scheduled,
    SplitOff,
    StepEvent,
)
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.cases.history import appended
from closedloop.domain.cases.label_events import FieldsSet, Tagged
from closedloop.domain.cases.labels import FieldValue, merged_fields
from closedloop.domain.cases.lateness import PromiseLate, PromiseWarned
from closedloop.domain.cases.promises import Promise
from closedloop.domain.checks import instant

__all__ = ["CaseState", "changes_of"]


class CaseState(Protocol):
    """The fields of a :class:`~closedloop.domain.cases.case.Case` an event's changes
    depend on (a protocol, so that this module need not import the Case)."""

    @property
    def id(self) -> str: ...
    @property
    def customer(self) -> str: ...
    @property
    def kind(self) -> FeedbackKind: ...
    @property
    def messages(self) -> tuple[Feedback, ...]: ...
    @property
    def events(self) -> Sequence[Event]: ...
    @property
    def owner(self) -> str | None: ...
    @property
    def reopen_count(self) -> int: ...
    @property
    def promises(self) -> tuple[Promise, ...]: ...
    @property
    def pause(self) -> Pause | None: ...
    @property
    def pause_history(self) -> tuple[PausedSpan, ...]: ...
    @property
    def acknowledged_at(self) -> datetime | None: ...
    @property
    def awaiting_reply_since(self) -> datetime | None: ...
    @property
    def contact_promise(self) -> Promise | None: ...
    @property
    def tags(self) -> tuple[str, ...]: ...
    @property
    def fields(self) -> tuple[FieldValue, ...]: ...


def changes_of(case: CaseState, event: Event) -> dict[str, Any]:
    """The fields of ``case`` that ``event`` changes, by name, with their new values."""
    changes: dict[str, Any] = {
        "version": event.version,
        "events": appended(case.events, event, case),
    }
    if isinstance(event, Scheduled):
        changes["due_at"] = event.due_at
    if case.pause is not None and ends_pause(event):
        changes["pause"] = None
    if isinstance(event, StepEvent):
        changes["stage"] = event.stage
        if isinstance(event, Acknowledged):
            if case.acknowledged_at is None:
                changes["acknowledged_at"] = event.at
            if case.owner is None:
                changes["owner"] = event.by
            if event.next_contact_by is not None:  # a promise of its own, kept by the next contact
                changes["contact_promise"] = Promise(
                    f"{case.id}/{event.version}/next-contact", "contact the customer again",
                    event.next_contact_by, changes.get("owner", case.owner) or event.by,
                    event.at,
                )  # fmt: skip
        elif isinstance(event, ActionTaken):
            changes["action"] = event.summary
            changes["declined"] = None
        elif isinstance(event, Declined):
            changes["action"] = None
            changes["declined"] = event.reason
        elif isinstance(event, Explained):
            changes["explanation"] = event
        elif isinstance(event, Reopened):
            changes["reopen_count"] = case.reopen_count + 1
            changes["reopened_at"] = event.at
            # A new episode climbs the ladder from the bottom: at the top, its new
            # deadlines would alert nobody (the Escalated events stay for the reports).
            changes["escalation_level"] = 0
            changes["action"] = None
            changes["declined"] = None
            changes["explanation"] = None
            if event.by == case.customer:  # "it is not resolved" is owed an answer
                changes["awaiting_reply_since"] = case.awaiting_reply_since or event.at
    elif isinstance(event, Assigned):
        changes["owner"] = event.owner
        changes["team"] = event.team
    elif isinstance(event, Tagged):
        changes["tags"] = tuple(sorted(set(case.tags).union(event.added) - set(event.removed)))
    elif isinstance(event, FieldsSet):
        changes["fields"] = merged_fields(case.fields, event.values, event.cleared)
    elif isinstance(event, Escalated):
        changes["escalation_level"] = event.level
        if event.promise_id is not None:
            changes["promises"] = _promise(case, event.promise_id, escalated=True)
    elif isinstance(event, Promised):
        made = Promise(event.promise_id, event.what, event.due_by, event.owner, event.at)
        changes["promises"] = (*case.promises, made)
    elif isinstance(event, PromiseKept):
        changes["promises"] = _promise(case, event.promise_id, kept_at=event.at)
    elif isinstance(event, PromiseWarned | PromiseLate):
        changes.update(_lateness(case, event))
    elif isinstance(event, CustomerEscalated | PriorityChanged):
        changes["priority"] = event.priority
    elif isinstance(event, MessageAdded | MessageReceived):
        changes["messages"] = (*case.messages, event.feedback)
        changes.update(_labels(case, event.feedback))
        changes["awaiting_reply_since"] = case.awaiting_reply_since or event.at
    elif isinstance(event, CasesMerged):
        changes["messages"] = (*case.messages, *event.messages)
        changes["promises"] = (*case.promises, *event.promises)
        if event.tags:
            changes["tags"] = tuple(sorted(set(case.tags).union(event.tags)))
        if event.fields:  # this case's own values win
            changes["fields"] = merged_fields(event.fields, case.fields)
        if event.unanswered_since is not None:  # the duplicate's customer is owed a reply
            owed = case.awaiting_reply_since
            changes["awaiting_reply_since"] = min(
                (t for t in (owed, event.unanswered_since) if t is not None), key=instant
            )
    elif isinstance(event, MergedInto):
        changes["merged_into"] = event.into
    elif isinstance(event, SplitOff):
        changes["messages"] = tuple(
            m for n, m in enumerate(case.messages) if n not in set(event.moved)
        )
    elif isinstance(event, ChannelMoved):
        changes["reply_channel"] = event.channel
    elif isinstance(event, CustomerReplied):
        changes["awaiting_reply_since"] = case.awaiting_reply_since or event.at
    elif isinstance(event, Paused):
        changes["pause"] = Pause(event.waiting_on, event.reason, event.at, event.resume_by)
    elif isinstance(event, AwaitingCustomer):  # a pause in histories before Paused
        changes["pause"] = Pause(WaitingOn.CUSTOMER, event.question, event.at, None)
    elif isinstance(event, ClosingNoticeSent) and case.pause is not None:
        changes["pause"] = attrs.evolve(case.pause, notice_at=event.at, resume_by=event.closes_at)
    if case.pause_history or isinstance(event, _PAUSES):  # (most cases never pause)
        spans = _pause_history(case, event)
        if spans is not None:
            changes["pause_history"] = spans
    if answers_customer(case.kind, event):
        if case.awaiting_reply_since is not None:
            changes["awaiting_reply_since"] = None
        promised = case.contact_promise
        if promised is not None and promised.kept_at is None and "contact_promise" not in changes:
            changes["contact_promise"] = attrs.evolve(promised, kept_at=event.at)
    return changes


#: The events that begin a pause (``AwaitingCustomer`` in histories before ``Paused``).
_PAUSES = (AwaitingCustomer, Paused)


def _pause_history(case: CaseState, event: Event) -> tuple[PausedSpan, ...] | None:
    """The case's pause history after ``event``, if it changes: a stretch begins with the
    first ``Paused`` (or ``AwaitingCustomer``) and ends with an event that ends a pause."""
    history = case.pause_history
    paused = bool(history) and history[-1].ended is None
    if isinstance(event, _PAUSES):
        return None if paused else (*history, PausedSpan(event.at))
    if paused and ends_pause(event):
        return (*history[:-1], PausedSpan(history[-1].began, event.at))
    return None


def _labels(case: CaseState, feedback: Feedback) -> dict[str, Any]:
    """The tags and custom fields a message joining the case brings."""
    changes: dict[str, Any] = {}
    if feedback.tags and not set(feedback.tags) <= set(case.tags):
        changes["tags"] = tuple(sorted(set(case.tags).union(feedback.tags)))
    if feedback.fields:
        changes["fields"] = merged_fields(case.fields, feedback.fields)
    return changes


def _lateness(case: CaseState, event: PromiseWarned | PromiseLate) -> dict[str, Any]:
    """A promise warned about or moved to a new time: an explicit one or the contact promise."""
    if isinstance(event, PromiseWarned):
        moved: dict[str, Any] = {"warned": True}
    else:
        told = event.at if event.told else None
        moved = {"rescheduled_to": event.new_due, "warned": False}
    contact = case.contact_promise
    if contact is not None and contact.id == event.promise_id:
        if isinstance(event, PromiseLate):
            moved["announced_at"] = contact.announced_at or told
        return {"contact_promise": attrs.evolve(contact, **moved)}
    if isinstance(event, PromiseLate):
        first = next((p.announced_at for p in case.promises if p.id == event.promise_id), None)
        moved["announced_at"] = first or told
    return {"promises": _promise(case, event.promise_id, **moved)}


def _promise(case: CaseState, promise_id: str, **changes: Any) -> tuple[Promise, ...]:
    return tuple(attrs.evolve(p, **changes) if p.id == promise_id else p for p in case.promises)
