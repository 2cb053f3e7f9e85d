"""Domain events: every change to a case, as a fact (what, who, when).

A case's ``events`` hold its whole history; folding them from the first
(:class:`CaseOpened`) reproduces the case exactly (:func:`closedloop.domain.cases.case.replay`).
Step events carry the stage the case reached, so history replays the same even if a
later release changes the lifecycle table.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TypeVar

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.cases.priority import Priority
from closedloop.domain.cases.promises import Promise
from closedloop.domain.latte import Stage

__all__ = [
    "EVENT_TYPES",
    "Acknowledged",
    "ActionTaken",
    "Assigned",
    "AwaitingCustomer",
    "CaseOpened",
    "CasesMerged",
    "ChannelMoved",
    "CustomerEscalated",
    "CustomerReplied",
    "Declined",
    "Erased",
    "Escalated",
    "Event",
    "Explained",
    "Kano",
    "MergedInto",
    "MessageAdded",
    "Origin",
    "OriginKind",
    "PriorityChanged",
    "PromiseKept",
    "Promised",
    "Reopened",
    "Rescheduled",
    "Scheduled",
    "SplitOff",
    "StepEvent",
    "Thanked",
    "VerificationRequested",
    "Verified",
    "Warned",
]


class Kano(enum.Enum):
    """What a root cause does to customers, after Kano: its absence angers them
    (``DISSATISFIER``, a must-be), more of it pleases them in proportion (``SATISFIER``),
    or it delights when present and is not missed when absent (``DELIGHTER``)."""

    DELIGHTER = "delighter"
    SATISFIER = "satisfier"
    DISSATISFIER = "dissatisfier"


#: Every event class by name, for stores that read events back (see closedloop.codec).
EVENT_TYPES: dict[str, type[Event]] = {}

_E = TypeVar("_E", bound="type[Event]")


def _registered(cls: _E) -> _E:
    # Registered after attrs has built the final class: attrs replaces a class to give it
    # slots, and the discarded one can linger in Event.__subclasses__().
    EVENT_TYPES[cls.__name__] = cls
    return cls


@_registered
@attrs.frozen(kw_only=True)
class Event:
    """What every event says: which case, its version after the change, when, by whom."""

    case_id: str
    version: int
    at: datetime
    by: str


@_registered
@attrs.frozen(kw_only=True)
class Scheduled(Event):
    """An event after which the case's next due time (``due_at``) is set anew."""

    due_at: datetime | None = None


class OriginKind(enum.Enum):
    """Why closedloop itself opened a case."""

    RECOVERY = "recovery"  # a low survey score or a ticked "contact me"
    FOLLOW_UP = "follow_up"  # the customer wrote again after the reopen window
    SPLIT = "split"  # messages split off another case (``case_id``) onto a matter of their own


@attrs.frozen
class Origin:
    """Where a case came from, when it was not plain feedback: the kind, the case it
    follows up (if any) and the survey invitation behind it (if any)."""

    kind: OriginKind
    case_id: str | None = None
    invitation_id: str | None = None


@_registered
@attrs.frozen(kw_only=True)
class CaseOpened(Scheduled):
    """Listen: feedback was recorded and a case opened for it."""

    feedback: Feedback
    priority: Priority
    owner: str | None = None
    origin: Origin | None = None


@_registered
@attrs.frozen(kw_only=True)
class StepEvent(Scheduled):
    """A LATTE step was taken; ``stage`` is where it left the case, ``due_at`` when the
    next step is due (None once the loop is closed)."""

    stage: Stage


@_registered
@attrs.frozen(kw_only=True)
class Acknowledged(StepEvent):
    """The customer was told their feedback arrived, who is on it and when they hear next."""

    next_contact_by: datetime | None = None


@_registered
@attrs.frozen(kw_only=True)
class ActionTaken(StepEvent):
    """Something was done about it."""

    summary: str


@_registered
@attrs.frozen(kw_only=True)
class Declined(StepEvent):
    """Taking action by saying no: what was asked, the reason given, and a category for
    the no log (``"out_of_stock"``, ``"policy"``, ``"training"``, ``"product_gap"``,
    ``"other"``, or the organisation's own)."""

    reason: str
    category: str = "other"
    asked: str = ""


@_registered
@attrs.frozen(kw_only=True)
class Thanked(StepEvent):
    """The customer was thanked for the feedback."""


@_registered
@attrs.frozen(kw_only=True)
class Explained(StepEvent):
    """The customer was told what part of the process failed and what will change.

    ``open_promises`` says what happens to promises still unkept when the loop closed
    (they stay tracked). ``root_cause`` names the cause for reports (a short label that
    repeats across cases, e.g. "returns policy not trained"), and ``kano`` tags it."""

    what_failed: str
    what_changes: str
    open_promises: str | None = None
    root_cause: str | None = None
    kano: Kano | None = None


@_registered
@attrs.frozen(kw_only=True)
class Reopened(StepEvent):
    """The customer said it is not resolved; the case goes back to Take action."""

    reason: str


@_registered
@attrs.frozen(kw_only=True)
class Assigned(Event):
    """The case got a new owner."""

    owner: str


@_registered
@attrs.frozen(kw_only=True)
class Escalated(Scheduled):
    """A standard was breached: the case went up the ladder to ``level`` (``rung``)."""

    level: int
    rung: str
    target: str
    standard: str
    promise_id: str | None = None


@_registered
@attrs.frozen(kw_only=True)
class Warned(Scheduled):
    """A pending step passed its amber threshold; its owner was warned."""

    target: str
    standard: str


@_registered
@attrs.frozen(kw_only=True)
class CustomerEscalated(Scheduled):
    """The customer took the matter higher (an ombudsman, an executive).

    ``breached`` says whether one of the organisation's own standards had already been
    missed when they did: an avoidable escalation.
    """

    to: str
    channel: Channel
    breached: bool
    priority: Priority


@_registered
@attrs.frozen(kw_only=True)
class AwaitingCustomer(Scheduled):
    """Staff asked the customer something; the standards' clocks stop until they reply."""

    question: str


@_registered
@attrs.frozen(kw_only=True)
class CustomerReplied(Scheduled):
    """The customer answered; the clocks run again."""

    text: str


@_registered
@attrs.frozen(kw_only=True)
class Rescheduled(Scheduled):
    """The case's next due time was recomputed (the standards or the ladder changed)."""


@_registered
@attrs.frozen(kw_only=True)
class MessageAdded(Event):
    """More from the customer on the same matter joined the case (any channel)."""

    feedback: Feedback


@_registered
@attrs.frozen(kw_only=True)
class PriorityChanged(Event):
    """The case's priority changed, and why."""

    priority: Priority
    reason: str


@_registered
@attrs.frozen(kw_only=True)
class ChannelMoved(Scheduled):
    """The conversation moved to another channel (public social media to private email,
    say); replies go out on ``channel`` from now on. One case, its history and its clocks."""

    channel: Channel
    reason: str = ""


@_registered
@attrs.frozen(kw_only=True)
class Promised(Scheduled):
    """A promise made to the customer: what, by when, and who owns it."""

    promise_id: str
    what: str
    due_by: datetime
    owner: str


@_registered
@attrs.frozen(kw_only=True)
class PromiseKept(Scheduled):
    """A promise was kept."""

    promise_id: str
    note: str = ""


@_registered
@attrs.frozen(kw_only=True)
class VerificationRequested(Event):
    """After the loop closed, the customer was asked whether the fix resolved it."""


@_registered
@attrs.frozen(kw_only=True)
class Verified(Event):
    """The customer said whether the fix resolved it (a "no" reopens the case)."""

    resolved: bool
    comment: str = ""


@_registered
@attrs.frozen(kw_only=True)
class Erased(Event):
    """The customer's details were erased from this case (it holds the pseudonym only)."""

    pseudonym: str


@_registered
@attrs.frozen(kw_only=True)
class CasesMerged(Event):
    """Another case on the same matter (``other``) was merged into this one: its messages
    joined this case's, with the reply it was owed since ``unanswered_since`` (if any) and the
    promises still open on it."""

    other: str
    messages: tuple[Feedback, ...]
    reason: str
    unanswered_since: datetime | None = None
    promises: tuple[Promise, ...] = ()


@_registered
@attrs.frozen(kw_only=True)
class MergedInto(Scheduled):
    """This case was merged into ``into``, where its matter continues; it takes no more
    steps and has no deadlines, and its history stays."""

    into: str
    reason: str


@_registered
@attrs.frozen(kw_only=True)
class SplitOff(Event):
    """Messages of this case (by position, 0 the first) became case ``new_case_id``."""

    new_case_id: str
    moved: tuple[int, ...]
    reason: str
