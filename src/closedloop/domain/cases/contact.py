"""Events of the conversation with the customer beyond the LATTE steps: what they wrote,
what staff wrote back or noted, contacts made elsewhere, and pauses of the clocks.

They are registered with the other events (:data:`~closedloop.domain.cases.events.EVENT_TYPES`)
so stores read them back like any other.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.events import (
    Acknowledged,
    ActionTaken,
    AwaitingCustomer,
    CasesMerged,
    CustomerReplied,
    Event,
    Explained,
    MergedInto,
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
    "PausedSpan",
    "Replied",
    "Resumed",
    "WaitingOn",
    "answers_customer",
    "ends_pause",
    "paused_before",
]


class WaitingOn(enum.Enum):
    """Whom a paused case waits for."""

    CUSTOMER = "customer"
    """Staff asked the customer something."""
    THIRD_PARTY = "third_party"
    """A supplier, a courier, another department."""
    DATE = "date"
    """Nothing can happen before a date (a delivery, a billing run)."""


@attrs.frozen
class Pause:
    """A case's clocks are stopped: why, since when, and by when it resumes (or, waiting
    on a silent customer, when they are told it will close). ``notice_at`` is when that
    notice went out, if it did."""

    waiting_on: WaitingOn
    """Whom the case waits for."""
    reason: str
    """Why it waits."""
    since: datetime
    """When the clocks stopped."""
    resume_by: datetime | None
    """When the clocks run again at the latest; None when only the customer's word resumes it."""
    notice_at: datetime | None = None
    """When the customer was told the case closes unless they write; None if not yet."""


@attrs.frozen
class PausedSpan:
    """One stretch a case's clocks were stopped: from ``began`` until ``ended`` (None while
    they still are)."""

    began: datetime
    """When the clocks stopped."""
    ended: datetime | None = None
    """When they ran again; None while the case is still paused."""


@_registered
@attrs.frozen(kw_only=True)
class MessageReceived(Scheduled):
    """The customer wrote again on the matter (from any channel): it ends a pause and owes
    them a reply. (:class:`MessageAdded`, without a due time, is the same in histories
    written before replies were tracked.)"""

    feedback: Feedback
    """What the customer wrote."""


#: The events that add a customer's message to a case.
CUSTOMER_MESSAGES = (MessageAdded, MessageReceived)


@_registered
@attrs.frozen(kw_only=True)
class Replied(Scheduled):
    """Staff wrote to the customer, in their own words, on ``channel``."""

    text: str
    """What staff wrote."""
    channel: Channel
    """The channel it went out on."""


@_registered
@attrs.frozen(kw_only=True)
class Noted(Event):
    """An internal note on the case: kept in its history, never sent to the customer."""

    text: str
    """The note."""


@_registered
@attrs.frozen(kw_only=True)
class ContactLogged(Scheduled):
    """Staff spoke to the customer outside closedloop (a phone call, a visit)."""

    channel: Channel
    """Where the contact happened (`Channel.PHONE`, say)."""
    summary: str
    """What was said."""


@_registered
@attrs.frozen(kw_only=True)
class Paused(Scheduled):
    """The clocks stop: the case waits on ``waiting_on`` until ``resume_by``. Waiting on
    the customer, ``question`` is what they were asked (and sent to them)."""

    waiting_on: WaitingOn
    """Whom the case waits for."""
    reason: str
    """Why it waits."""
    resume_by: datetime
    """When the clocks run again at the latest."""
    question: str = ""
    """Waiting on the customer, what they were asked (and sent); empty otherwise."""


@_registered
@attrs.frozen(kw_only=True)
class Resumed(Scheduled):
    """The clocks run again (the third party answered, the date came, staff resumed)."""

    reason: str
    """Why the clocks run again."""


@_registered
@attrs.frozen(kw_only=True)
class ClosingNoticeSent(Scheduled):
    """A customer who did not answer was told the case closes at ``closes_at`` unless they
    write."""

    closes_at: datetime
    """When the case closes unless the customer writes."""


@_registered
@attrs.frozen(kw_only=True)
class Lapsed(StepEvent):
    """The case closed because the customer never answered, after being told it would."""

    reason: str
    """Why it closed, as the history shows it."""


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
    duplicate merged in included), staff resuming, a reopen, the loop closing, or the case
    merged into another (its messages, and what it waited for, went there)."""
    if isinstance(event, _RESUMES):
        return True
    if isinstance(event, CasesMerged):
        return event.unanswered_since is not None
    return isinstance(event, StepEvent) and event.stage is Stage.CLOSED


_RESUMES = (
    CustomerReplied, MessageAdded, MessageReceived, Resumed, Lapsed, Reopened, MergedInto,
)  # fmt: skip


def paused_before(events: Sequence[Event], version: int) -> bool:
    """Whether a case whose history is ``events`` was paused just before its event at
    ``version`` (as replaying it says: a pause begins with ``Paused``, or ``AwaitingCustomer``
    in older histories, and lasts until an event that :func:`ends_pause`)."""
    for event in reversed(events[: max(version - 1, 0)]):
        if isinstance(event, Paused | AwaitingCustomer):
            return True
        if ends_pause(event):
            return False
    return False
