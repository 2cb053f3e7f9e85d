"""Events of the conversation with the customer beyond the LATTE steps: what they wrote,
what staff wrote back or noted, contacts made elsewhere, and pauses of the clocks.

They are registered with the other events (:data:`~closedloop.domain.cases.events.EVENT_TYPES`)
so stores read them back like any other.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.events import (
    Acknowledged,
    ActionTaken,
    CasesMerged,
    CustomerReplied,
    Event,
    Explained,
    MessageAdded,
    Reopened,
    Scheduled,
    StepEvent,
    Thanked,
    _registered,
)
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.latte import Stage

__all__ = [
    "CUSTOMER_MESSAGES",
    "ClosingNoticeSent",
    "ContactLogged",
    "Lapsed",
    "MessageReceived",
    "Noted",
    "Pause",
    "Paused",
    "Replied",
    "Resumed",
    "WaitingOn",
    "answers_customer",
    "ends_pause",
]


class WaitingOn(enum.Enum):
    """Whom a paused case waits for."""

    CUSTOMER = "customer"  # staff asked the customer something
    THIRD_PARTY = "third_party"  # a supplier, a courier, another department
    DATE = "date"  # nothing can happen before a date (a delivery, a billing run)


@attrs.frozen
class Pause:
    """A case's clocks are stopped: why, since when, and by when it resumes (or, waiting
    on a silent customer, when they are told it will close). ``notice_at`` is when that
    notice went out, if it did."""

    waiting_on: WaitingOn
    reason: str
    since: datetime
    resume_by: datetime | None
    notice_at: datetime | None = None


@_registered
@attrs.frozen(kw_only=True)
class MessageReceived(Scheduled):
    """The customer wrote again on the matter (from any channel): it ends a pause and owes
    them a reply. (:class:`MessageAdded`, without a due time, is the same in histories
    written before replies were tracked.)"""

    feedback: Feedback


#: The events that add a customer's message to a case.
CUSTOMER_MESSAGES = (MessageAdded, MessageReceived)


@_registered
@attrs.frozen(kw_only=True)
class Replied(Scheduled):
    """Staff wrote to the customer, in their own words, on ``channel``."""

    text: str
    channel: Channel


@_registered
@attrs.frozen(kw_only=True)
class Noted(Event):
    """An internal note on the case: kept in its history, never sent to the customer."""

    text: str


@_registered
@attrs.frozen(kw_only=True)
class ContactLogged(Scheduled):
    """Staff spoke to the customer outside closedloop (a phone call, a visit)."""

    channel: Channel
    summary: str


@_registered
@attrs.frozen(kw_only=True)
class Paused(Scheduled):
    """The clocks stop: the case waits on ``waiting_on`` until ``resume_by``. Waiting on
    the customer, ``question`` is what they were asked (and sent to them)."""

    waiting_on: WaitingOn
    reason: str
    resume_by: datetime
    question: str = ""


@_registered
@attrs.frozen(kw_only=True)
class Resumed(Scheduled):
    """The clocks run again (the third party answered, the date came, staff resumed)."""

    reason: str


@_registered
@attrs.frozen(kw_only=True)
class ClosingNoticeSent(Scheduled):
    """A customer who did not answer was told the case closes at ``closes_at`` unless they
    write."""

    closes_at: datetime


@_registered
@attrs.frozen(kw_only=True)
class Lapsed(StepEvent):
    """The case closed because the customer never answered, after being told it would."""

    reason: str


# Events by which staff always write or speak to the customer (exact types: a step is hot).
_ANSWERS: frozenset[type[Event]] = frozenset({Replied, ContactLogged})


def answers_customer(kind: FeedbackKind, event: Event) -> bool:
    """Whether staff answered the customer with ``event`` (on a case of ``kind``): a
    template step, their own words, a call or a question. It discharges a reply owed and
    keeps the acknowledgement's promise of a next contact."""
    found = type(event)
    if found in _ANSWERS or found in _STEPS_THAT_WRITE:
        return True
    if found is Paused:
        return bool(event.question)  # type: ignore[attr-defined]  # the question went to them
    return found is ActionTaken and kind is FeedbackKind.QUESTION  # the answer


_STEPS_THAT_WRITE: frozenset[type[Event]] = frozenset({Acknowledged, Thanked, Explained})


def ends_pause(event: Event) -> bool:
    """Whether ``event`` ends a pause: any word from the customer (however it came, a
    duplicate merged in included), staff resuming, a reopen, or the loop closing."""
    if isinstance(event, _RESUMES):
        return True
    if isinstance(event, CasesMerged):
        return event.unanswered_since is not None
    return isinstance(event, StepEvent) and event.stage is Stage.CLOSED


_RESUMES = (CustomerReplied, MessageAdded, MessageReceived, Resumed, Lapsed, Reopened)
