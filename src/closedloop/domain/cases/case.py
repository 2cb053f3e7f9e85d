"""The Case: one customer's matter, and how events change it (:func:`apply`, :func:`replay`).

The steps that make those events are in :mod:`closedloop.domain.cases.steps`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.contact import (
    ClosingNoticeSent,
    ContactLogged,
    MessageReceived,
    Pause,
    Paused,
    Replied,
    WaitingOn,
    answers_customer,
    ends_pause,
)
from closedloop.domain.cases.effort import Effort, effort_of
from closedloop.domain.cases.events import (
    Acknowledged,
    ActionTaken,
    Assigned,
    AwaitingCustomer,
    CaseOpened,
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
    Origin,
    PriorityChanged,
    Promised,
    PromiseKept,
    Reopened,
    Scheduled,
    SplitOff,
    StepEvent,
    Thanked,
    Verified,
)
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.cases.history import appended
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle
from closedloop.domain.cases.priority import Priority
from closedloop.domain.cases.promises import Promise
from closedloop.domain.cases.queues import Queue
from closedloop.domain.checks import instant
from closedloop.domain.errors import ValidationError
from closedloop.domain.latte import Stage, Step

__all__ = ["Case", "apply", "promises_of", "replay"]

_STEP_OF: dict[type[Event], Step] = {
    CaseOpened: Step.LISTEN,
    Acknowledged: Step.ACKNOWLEDGE,
    ActionTaken: Step.TAKE_ACTION,
    Declined: Step.DECLINE,
    Thanked: Step.THANK,
    Explained: Step.EXPLAIN,
    Reopened: Step.REOPEN,
}


# Not slotted: a dict-backed instance can be copied and patched in one step (see _evolve),
# which keeps a lifecycle step cheap however many fields the case grows.
@attrs.frozen(slots=False)
class Case:
    """One customer's matter: the feedback that opened it and everything done since.

    Build cases with :func:`open_case` and move them with the step functions (or the
    :class:`~closedloop.Desk`); the constructor does not check the fields against each
    other. ``events`` is the case's whole history (a case read from a store loads it on
    first use: see :class:`~closedloop.domain.cases.history.History`); ``version`` is the
    number of events.
    ``due_at`` is when the next step is due (None once closed): stores index it for sweeps.
    """

    id: str
    customer: str
    kind: FeedbackKind
    priority: Priority
    subject: str
    reply_channel: Channel
    opened_at: datetime
    stage: Stage
    version: int
    messages: tuple[Feedback, ...]
    events: Sequence[Event]
    owner: str | None = None
    due_at: datetime | None = None
    action: str | None = None
    declined: str | None = None
    explanation: Explained | None = None
    reopen_count: int = 0
    escalation_level: int = 0
    origin: Origin | None = None
    promises: tuple[Promise, ...] = ()
    merged_into: str | None = None
    pause: Pause | None = None
    awaiting_reply_since: datetime | None = None
    contact_promise: Promise | None = None

    @property
    def awaiting_customer(self) -> bool:
        """True while the case waits for the customer to answer (its clocks stopped)."""
        return self.pause is not None and self.pause.waiting_on is WaitingOn.CUSTOMER

    @property
    def queue(self) -> Queue | None:
        """The work queue this case is in, which says whose move it is (None once it is
        closed or merged): see :class:`Queue`."""
        if not self.is_active:
            return None
        if self.stage is Stage.LISTENED:
            return Queue.UNANSWERED
        if self.awaiting_reply_since is not None:
            return Queue.AWAITING_REPLY
        if self.pause is not None:
            waiting = self.pause.waiting_on is WaitingOn.CUSTOMER
            return Queue.AWAITING_CUSTOMER if waiting else Queue.ON_HOLD
        return Queue.IN_PROGRESS

    @property
    def queued_since(self) -> datetime | None:
        """Since when the case is owed what its queue says: the customer's first unanswered
        word, the start of the pause, or when it opened."""
        queue = self.queue
        if queue is Queue.AWAITING_REPLY:
            return self.awaiting_reply_since
        if queue in (Queue.AWAITING_CUSTOMER, Queue.ON_HOLD) and self.pause is not None:
            return self.pause.since
        return None if queue is None else self.opened_at

    @property
    def contacted_at(self) -> datetime | None:
        """When staff first spoke to the customer in person — in their own words
        (:class:`Replied`) or in a contact they logged — if ever. A template does not count."""
        for event in self.events:
            if isinstance(event, Replied | ContactLogged):
                return event.at
        return None

    @property
    def is_closed(self) -> bool:
        """True once every LATTE step that applies is done."""
        return self.stage is Stage.CLOSED

    @property
    def is_active(self) -> bool:
        """Open and not merged into another case: it still has steps to take."""
        return not self.is_closed and self.merged_into is None

    @property
    def channels(self) -> tuple[Channel, ...]:
        """Every channel this matter used, first use first: the ones the customer wrote on
        and the ones the conversation was moved to."""
        used: dict[Channel, None] = {}
        for event in self.events:
            if isinstance(event, CaseOpened | MessageAdded | MessageReceived):
                used.setdefault(event.feedback.channel)
            elif isinstance(event, CasesMerged):
                for message in event.messages:
                    used.setdefault(message.channel)
            elif isinstance(event, ChannelMoved):
                used.setdefault(event.channel)
        return tuple(used)

    @property
    def external_ids(self) -> tuple[str, ...]:
        """The external ids of the deliveries that made this case's own messages. Messages a
        merge brought keep theirs with the case they came from, so a redelivery finds it."""
        found = (
            event.feedback.external_id
            for event in self.events
            if isinstance(event, CaseOpened | MessageAdded | MessageReceived)
        )
        return tuple(dict.fromkeys(x for x in found if x is not None))

    @property
    def arrival_channel(self) -> Channel:
        """The channel the case arrived on, which picks its standards for good (a move
        changes where replies go, not the time promised)."""
        opened = self.events[0]
        return opened.feedback.channel if isinstance(opened, CaseOpened) else self.reply_channel

    def last(self, step: Step) -> StepEvent | CaseOpened | None:
        """The most recent event recording ``step`` (when it happened and by whom)."""
        for event in reversed(self.events):
            if _STEP_OF.get(type(event)) is step:
                return event  # type: ignore[return-value]
        return None

    @property
    def acknowledged_at(self) -> datetime | None:
        """When the customer was first told their feedback arrived, if ever."""
        for event in self.events:
            if isinstance(event, Acknowledged):
                return event.at
        return None

    @property
    def closed_at(self) -> datetime | None:
        """When the loop was closed, if it is closed now."""
        if not self.is_closed:
            return None
        return next(e.at for e in reversed(self.events) if isinstance(e, StepEvent))

    @property
    def next_contact_by(self) -> datetime | None:
        """The time the latest acknowledgement promised the customer would hear next."""
        event = self.last(Step.ACKNOWLEDGE)
        return event.next_contact_by if isinstance(event, Acknowledged) else None

    @property
    def open_promises(self) -> tuple[Promise, ...]:
        """Promises made on this case and not kept yet."""
        return tuple(p for p in self.promises if p.is_open)

    @property
    def next_promise_due(self) -> datetime | None:
        """When the earliest open promise not yet escalated falls due, if any."""
        return min(
            (p.due_by for p in self.promises if p.is_open and not p.escalated),
            key=instant,
            default=None,
        )

    @property
    def verified(self) -> bool | None:
        """The customer's last answer to "did this resolve it?" (None if never answered)."""
        for event in reversed(self.events):
            if isinstance(event, Verified):
                return event.resolved
        return None

    @property
    def effort(self) -> Effort:
        """What this matter cost the customer: hand-offs, channel switches, repeat contacts
        and times they had to repeat themselves (see :class:`Effort`)."""
        return effort_of(self.events, self.messages)

    def allowed_steps(self, lifecycle: Lifecycle = LATTE) -> tuple[Step, ...]:
        """The LATTE steps this case may take now."""
        return lifecycle.allowed(self)


# -- applying events: the only place a case changes -------------------------------------------


def _evolve(case: Case, changes: dict[str, Any]) -> Case:
    # attrs.evolve without re-running __init__ field by field: the hot path of every step.
    # Only the domain calls this, with field names it spells out itself.
    new = object.__new__(Case)
    state = new.__dict__
    state.update(case.__dict__)
    state.update(changes)
    return new


def start(e: CaseOpened) -> Case:
    fb = e.feedback
    return Case(
        id=e.case_id,
        customer=fb.customer,
        kind=fb.kind,
        priority=e.priority,
        subject=fb.matter,
        reply_channel=fb.channel,
        opened_at=e.at,
        stage=Stage.LISTENED,
        version=e.version,
        messages=(fb,),
        events=(e,),
        owner=e.owner,
        due_at=e.due_at,
        origin=e.origin,
    )


def apply(case: Case, event: Event) -> Case:
    """The case after ``event``: the one place a case changes (steps and replay use it)."""
    changes: dict[str, Any] = {"version": event.version, "events": appended(case.events, event)}
    if isinstance(event, Scheduled):
        changes["due_at"] = event.due_at
    if case.pause is not None and ends_pause(event):
        changes["pause"] = None
    if isinstance(event, StepEvent):
        changes["stage"] = event.stage
        if isinstance(event, Acknowledged):
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
            changes["action"] = None
            changes["declined"] = None
            changes["explanation"] = None
            if event.by == case.customer:  # "it is not resolved" is owed an answer
                changes["awaiting_reply_since"] = case.awaiting_reply_since or event.at
    elif isinstance(event, Assigned):
        changes["owner"] = event.owner
    elif isinstance(event, Escalated):
        changes["escalation_level"] = event.level
        if event.promise_id is not None:
            changes["promises"] = _promise(case, event.promise_id, escalated=True)
    elif isinstance(event, Promised):
        made = Promise(event.promise_id, event.what, event.due_by, event.owner, event.at)
        changes["promises"] = (*case.promises, made)
    elif isinstance(event, PromiseKept):
        changes["promises"] = _promise(case, event.promise_id, kept_at=event.at)
    elif isinstance(event, CustomerEscalated | PriorityChanged):
        changes["priority"] = event.priority
    elif isinstance(event, MessageAdded | MessageReceived):
        changes["messages"] = (*case.messages, event.feedback)
        changes["awaiting_reply_since"] = case.awaiting_reply_since or event.at
    elif isinstance(event, CasesMerged):
        changes["messages"] = (*case.messages, *event.messages)
        changes["promises"] = (*case.promises, *event.promises)
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
    if answers_customer(case.kind, event):
        if case.awaiting_reply_since is not None:
            changes["awaiting_reply_since"] = None
        promised = case.contact_promise
        if promised is not None and promised.kept_at is None and "contact_promise" not in changes:
            changes["contact_promise"] = attrs.evolve(promised, kept_at=event.at)
    return _evolve(case, changes)


def _promise(case: Case, promise_id: str, **changes: Any) -> tuple[Promise, ...]:
    return tuple(attrs.evolve(p, **changes) if p.id == promise_id else p for p in case.promises)


def promises_of(cases: Iterable[Case]) -> Iterator[Promise]:
    """Every promise of ``cases`` once: a merged case's open promises went to the case it
    was merged into (its kept ones stay with it)."""
    for case in cases:
        for promise in case.promises:
            if case.merged_into is None or promise.kept_at is not None:
                yield promise


def replay(events: Iterable[Event]) -> Case:
    """Rebuild a case from its history; ``replay(case.events) == case``."""
    it = iter(events)
    first = next(it, None)
    if not isinstance(first, CaseOpened):
        raise ValidationError.of("events", "a case's history must start with a CaseOpened event")
    case = start(first)
    for event in it:
        case = apply(case, event)
    return case
