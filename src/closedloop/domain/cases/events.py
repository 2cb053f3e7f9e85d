"""Domain events: every change to a case, as a fact (what, who, when).

A case's ``events`` hold its whole history; folding them from the first
(:class:`CaseOpened`) reproduces the case exactly (:func:`closedloop.domain.cases.case.replay`).
Step events carry the stage the case reached, so history replays the same even if a
later release changes the lifecycle table.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.declines import Decline
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.cases.labels import FieldValue
from closedloop.domain.cases.origins import Kano, Origin, OriginKind
from closedloop.domain.cases.priority import Priority
from closedloop.domain.cases.promises import Promise
from closedloop.domain.latte import Stage

__all__ = [
    "EVENT_TYPES", "Acknowledged", "ActionTaken", "Assigned", "AwaitingCustomer", "CaseOpened",
    "CasesMerged", "ChannelMoved", "CustomerEscalated", "CustomerReplied", "Declined", "Erased",
    "Escalated", "Event", "Explained", "Kano", "MergedInto", "MessageAdded", "Origin",
    "OriginKind", "PriorityChanged", "PromiseKept", "Promised", "Reopened", "Rescheduled",
    "Scheduled", "SplitOff", "StepEvent", "Thanked", "VerificationRequested", "Verified", "Warned",
]  # fmt: skip


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
    """The id of the case this event belongs to."""
    version: int
    """The case's version after this event (1 for `CaseOpened`, then one more per event)."""
    at: datetime
    """When it happened (timezone-aware)."""
    by: str
    """Who did it: a member of staff, the customer, or `"closedloop"` for the engine's own jobs."""


@_registered
@attrs.frozen(kw_only=True)
class Scheduled(Event):
    """An event after which the case's next due time (``due_at``) is set anew."""

    due_at: datetime | None = None
    """When the case's next step is due after this event; None when nothing is due."""


@_registered
@attrs.frozen(kw_only=True)
class CaseOpened(Scheduled):
    """Listen: feedback was recorded and a case opened for it."""

    feedback: Feedback
    """The feedback that opened the case."""
    priority: Priority
    """The priority the policy gave it."""
    owner: str | None = None
    """Who owns it from the start; None until someone is assigned."""
    origin: Origin | None = None
    """Where it came from when closedloop opened it; None for plain feedback."""
    team: str | None = None
    """The team it belongs to from the start (an assignment rule's choice); None if none."""
    claim: str | None = None
    """A key the case holds beside its messages' external ids, so that of two writers
    opening a case for one matter at once the second is refused and joins the first
    (see ``docs/customers.md``); None if none."""
    declines: tuple[Decline, ...] = ()
    """The records of requests declined on other cases that came with its messages when
    they were split off another case (see :class:`SplitOff`); empty otherwise."""
    brought: int = 0
    """How many of its first messages a split brought (their external ids stay behind)."""


@_registered
@attrs.frozen(kw_only=True)
class StepEvent(Scheduled):
    """A LATTE step was taken; ``stage`` is where it left the case, ``due_at`` when the
    next step is due (None once the loop is closed)."""

    stage: Stage
    """The stage the step left the case at."""


@_registered
@attrs.frozen(kw_only=True)
class Acknowledged(StepEvent):
    """The customer was told their feedback arrived, who is on it and when they hear next."""

    next_contact_by: datetime | None = None
    """The date the customer was promised they hear from us by (the acknowledgement's "you hear from
    us by ..."), if any."""


@_registered
@attrs.frozen(kw_only=True)
class ActionTaken(StepEvent):
    """Something was done about it."""

    summary: str
    """What was done, in staff's words."""


@_registered
@attrs.frozen(kw_only=True)
class Declined(StepEvent):
    """Taking action by saying no: what was asked, the reason given, and a category for
    the no log (``"out_of_stock"``, ``"policy"``, ``"training"``, ``"product_gap"``,
    ``"other"``, or the organisation's own)."""

    reason: str
    """The reason the customer was given for the no."""
    category: str = "other"
    """The no log's category: `"out_of_stock"`, `"policy"`, `"training"`, `"product_gap"`, `"other"`
    or the organisation's own."""
    asked: str = ""
    """What the customer asked for, as the no log shows it; empty if not said."""


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
    """What part of the process failed."""
    what_changes: str
    """What will change going forward."""
    open_promises: str | None = None
    """What happens to the promises still unkept at closing; None when there were none."""
    root_cause: str | None = None
    """A short label for the cause that repeats across cases, for reports; None if not given."""
    kano: Kano | None = None
    """What the root cause does to customers; None if not tagged."""


@_registered
@attrs.frozen(kw_only=True)
class Reopened(StepEvent):
    """The customer said it is not resolved; the case goes back to Take action."""

    reason: str
    """Why the customer says it is not resolved."""


@_registered
@attrs.frozen(kw_only=True)
class Assigned(Event):
    """The case got a new owner or team: a hand-off, or an assignment rule's choice."""

    owner: str | None
    """The new owner; None when the case goes back to its team's queue."""
    team: str | None = None
    """The team the case belongs to after this (None: no team)."""
    reason: str | None = None
    """Why: ``"manual"``, an assignment rule (``"round_robin"``), ``"owner_away"``..."""
    summary: str | None = None
    """The hand-off summary for the next owner, so the customer need not repeat themselves."""


@_registered
@attrs.frozen(kw_only=True)
class Escalated(Scheduled):
    """A standard was breached: the case went up the ladder to ``level`` (``rung``)."""

    level: int
    """The ladder level the case reached (1 is the first rung)."""
    rung: str
    """The name of that rung."""
    target: str
    """The step whose standard was breached (a `Target` value)."""
    standard: str
    """The name of the breached standard."""
    promise_id: str | None = None
    """The broken promise, when a promise rather than a standard was missed."""


@_registered
@attrs.frozen(kw_only=True)
class Warned(Scheduled):
    """A pending step passed its amber threshold; its owner was warned."""

    target: str
    """The pending step (a `Target` value)."""
    standard: str
    """The name of the standard it will breach."""


@_registered
@attrs.frozen(kw_only=True)
class CustomerEscalated(Scheduled):
    """The customer took the matter higher (an ombudsman, an executive).

    ``breached`` says whether one of the organisation's own standards had already been
    missed when they did: an avoidable escalation.
    """

    to: str
    """Whom the customer took it to ("ombudsman", "CEO", ...)."""
    channel: Channel
    """The channel they did it on."""
    breached: bool
    """Whether one of our standards had already been missed: an avoidable escalation."""
    priority: Priority
    """The case's priority from now on."""


@_registered
@attrs.frozen(kw_only=True)
class AwaitingCustomer(Scheduled):
    """Staff asked the customer something; the standards' clocks stop until they reply."""

    question: str
    """What the customer was asked."""


@_registered
@attrs.frozen(kw_only=True)
class CustomerReplied(Scheduled):
    """The customer answered; the clocks run again."""

    text: str
    """What the customer answered."""


@_registered
@attrs.frozen(kw_only=True)
class Rescheduled(Scheduled):
    """The case's next due time was recomputed (the standards or the ladder changed)."""


@_registered
@attrs.frozen(kw_only=True)
class MessageAdded(Event):
    """More from the customer on the same matter joined the case (any channel)."""

    feedback: Feedback
    """The new message."""


@_registered
@attrs.frozen(kw_only=True)
class PriorityChanged(Event):
    """The case's priority changed, and why."""

    priority: Priority
    """The new priority."""
    reason: str
    """Why it changed."""


@_registered
@attrs.frozen(kw_only=True)
class ChannelMoved(Scheduled):
    """The conversation moved to another channel (public social media to private email,
    say); replies go out on ``channel`` from now on. One case, its history and its clocks."""

    channel: Channel
    """The channel replies go out on from now on."""
    reason: str = ""
    """Why the conversation moved; empty if not said."""


@_registered
@attrs.frozen(kw_only=True)
class Promised(Scheduled):
    """A promise made to the customer: what, by when, and who owns it."""

    promise_id: str
    """The promise's id, unique within the case."""
    what: str
    """What was promised, in the customer's terms."""
    due_by: datetime
    """When it must be kept by."""
    owner: str
    """Who must keep it."""


@_registered
@attrs.frozen(kw_only=True)
class PromiseKept(Scheduled):
    """A promise was kept."""

    promise_id: str
    """The promise kept."""
    note: str = ""
    """How it was kept; empty if not said."""


@_registered
@attrs.frozen(kw_only=True)
class VerificationRequested(Event):
    """After the loop closed, the customer was asked whether the fix resolved it."""


@_registered
@attrs.frozen(kw_only=True)
class Verified(Event):
    """The customer said whether the fix resolved it (a "no" reopens the case)."""

    resolved: bool
    """The customer's answer: True if the fix resolved it."""
    comment: str = ""
    """What else they said; empty if nothing."""


@_registered
@attrs.frozen(kw_only=True)
class Erased(Event):
    """The customer's details were erased from this case (it holds the pseudonym only)."""

    pseudonym: str
    """The pseudonym that stands for the customer from now on."""


@_registered
@attrs.frozen(kw_only=True)
class CasesMerged(Event):
    """Another case on the same matter (``other``) was merged into this one: its messages
    joined this case's, with the reply it was owed since ``unanswered_since`` (if any), the
    promises still open on it and the record of the requests declined on it."""

    other: str
    """The id of the case merged into this one."""
    messages: tuple[Feedback, ...]
    """Its messages, now this case's too."""
    reason: str
    """Why the cases were merged."""
    unanswered_since: datetime | None = None
    """Since when the other case was owed a reply; None if it was not."""
    promises: tuple[Promise, ...] = ()
    """The promises still open on the other case, now tracked here."""
    tags: tuple[str, ...] = ()
    """The other case's tags, now this case's too."""
    fields: tuple[FieldValue, ...] = ()
    """The other case's custom fields, set here where this case has none of that name."""
    declines: tuple[Decline, ...] = ()
    """The requests declined on the other case (and on those merged into it), on record
    here; the no log counts each on the case it was declined on."""


@_registered
@attrs.frozen(kw_only=True)
class MergedInto(Scheduled):
    """This case was merged into ``into``, where its matter continues; it takes no more
    steps and has no deadlines, and its history stays."""

    into: str
    """The case this one was merged into."""
    reason: str
    """Why it was merged."""


@_registered
@attrs.frozen(kw_only=True)
class SplitOff(Event):
    """Messages of this case (by position, 0 the first) became case ``new_case_id``."""

    new_case_id: str
    """The case the messages became."""
    moved: tuple[int, ...]
    """The positions of the moved messages in this case's `messages` (0 the first)."""
    reason: str
    """Why they were split off."""
    declines: tuple[Decline, ...] = ()
    """The records of requests declined on other cases (brought by a merge) that went
    with the messages: those said to a customer none of whose messages stayed."""
