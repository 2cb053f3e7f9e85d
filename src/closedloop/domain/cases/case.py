"""The Case: one customer's matter, and how events change it (:func:`apply`, :func:`replay`).

The steps that make those events are in :mod:`closedloop.domain.cases.steps`; what each
event changes, field by field, is in :mod:`closedloop.domain.cases.transitions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from closedloop.domain.cases import recorded
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.contact import (
    ContactLogged,
    Pause,
    PausedSpan,
    Replied,
    WaitingOn,
)
from closedloop.domain.cases.declines import Decline
from closedloop.domain.cases.effort import Effort, effort_of
from closedloop.domain.cases.events import (
    Acknowledged,
    ActionTaken,
    CaseOpened,
    Declined,
    Escalated,
    Event,
    Explained,
    Origin,
    Reopened,
    Rescheduled,
    StepEvent,
    Thanked,
    Verified,
    Warned,
)
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.cases.history import last_at
from closedloop.domain.cases.labels import FieldValue
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle
from closedloop.domain.cases.priority import Priority
from closedloop.domain.cases.promises import Promise
from closedloop.domain.cases.queues import Queue
from closedloop.domain.cases.transitions import changes_of
from closedloop.domain.checks import instant
from closedloop.domain.errors import ValidationError
from closedloop.domain.latte import Stage, Step

__all__ = ["Case", "apply", "apply_stored", "memo", "promises_of", "replay"]

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
    """The case's id, unique within its tenant."""
    customer: str
    """The handle of the customer whose matter it is."""
    kind: FeedbackKind
    """What kind of feedback opened it, which decides the LATTE steps that apply."""
    priority: Priority
    """How urgent it is now (a customer escalation or a change can raise it)."""
    subject: str
    """What the matter is about, from the feedback that opened it."""
    reply_channel: Channel
    """Where replies go: the arrival channel unless the conversation was moved."""
    opened_at: datetime
    """When the case was opened."""
    stage: Stage
    """Where the case rests in the LATTE lifecycle."""
    version: int
    """The number of events in its history; a store commits against it."""
    messages: tuple[Feedback, ...]
    """The customer's messages on this matter, first first (a merge adds, a split removes)."""
    events: Sequence[Event]
    """The case's whole history, oldest first."""
    owner: str | None = None
    """Who on staff owns it (the first to acknowledge, unless assigned); None if nobody yet."""
    due_at: datetime | None = None
    """When its next step is due; None once closed."""
    action: str | None = None
    """What was done about it, once action was taken; None otherwise."""
    declined: str | None = None
    """Why action was declined, if it was; None otherwise."""
    explanation: Explained | None = None
    """The explanation given the customer, once explained; None otherwise."""
    reopen_count: int = 0
    """How many times the case was reopened."""
    escalation_level: int = 0
    """The escalation ladder level the case last reached (0: never escalated)."""
    origin: Origin | None = None
    """Why closedloop itself opened the case (see :class:`Origin`); None for plain feedback."""
    promises: tuple[Promise, ...] = ()
    """The promises made on this case, kept or not, in the order made."""
    merged_into: str | None = None
    """The id of the case this one was merged into, if it was."""
    pause: Pause | None = None
    """Why and since when the case's clocks are stopped; None while they run."""
    awaiting_reply_since: datetime | None = None
    """Since when the customer's unanswered word waits for a reply; None if none does."""
    contact_promise: Promise | None = None
    """The latest acknowledgement's promise to contact the customer again, if any."""
    team: str | None = None
    """The team the case belongs to (see ``docs/queues.md``); None if none."""
    tags: tuple[str, ...] = ()
    """Its tags: lower case, each once, sorted."""
    fields: tuple[FieldValue, ...] = ()
    """Its custom fields, sorted by name (:meth:`field` reads one)."""
    reopened_at: datetime | None = None
    """When the case was last reopened; None if never."""
    pause_history: tuple[PausedSpan, ...] = ()
    """Every stretch its clocks were stopped, oldest first (the last still open while
    paused): what its deadlines leave out, without reading its history."""
    acknowledged_at: datetime | None = None
    """When the customer was first told their feedback arrived; None if never."""
    opened_on: Channel | None = None
    """The channel it arrived on (:attr:`arrival_channel`; None in a case made by hand)."""

    def field(self, name: str) -> str | None:
        """The value of the custom field ``name``; None if the case has none."""
        return next((f.value for f in self.fields if f.name == name), None)

    @property
    def locale(self) -> str | None:
        """The customer's language: that of their latest message with one; None if none."""
        return next((m.locale for m in reversed(self.messages) if m.locale), None)

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
        return recorded.channels_in(self.events)

    @property
    def external_ids(self) -> tuple[str, ...]:
        """The external ids of the deliveries that made this case's own messages, and the
        key it claimed when it opened (:attr:`CaseOpened.claim`), if any: a store finds
        the case by each. Messages a merge or a split brought keep theirs with the case
        they arrived on, so a redelivery finds it."""
        return recorded.external_ids_in(self.events)

    @property
    def arrival_channel(self) -> Channel:
        """The channel the case arrived on, which picks its standards for good (a move
        changes where replies go, not the time promised)."""
        if self.opened_on is not None:
            return self.opened_on
        opened = self.events[0]
        return opened.feedback.channel if isinstance(opened, CaseOpened) else self.reply_channel

    def last(self, step: Step) -> StepEvent | CaseOpened | None:
        """The most recent event recording ``step`` (when it happened and by whom)."""
        for event in reversed(self.events):
            if _STEP_OF.get(type(event)) is step:
                return event  # type: ignore[return-value]
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
        """When the earliest open promise the sweep still awaits (not escalated, or moved to
        a new time) falls due, if any."""
        return min(
            (p.deadline for p in self.promises if p.watched),
            key=instant,
            default=None,
        )

    @property
    def declines(self) -> tuple[Decline, ...]:
        """Every request declined on this case and on the cases merged into it, oldest
        first (a split hands a merged one on with its customer's messages): ``declined`` is
        this case's current no, these are the record (the no log counts each once, on the
        case it was declined on)."""
        return recorded.declines_in(self.id, self.customer, self.events)

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
    state.pop(_MEMO, None)  # what was derived from the old fields
    state.update(changes)
    return new


_MEMO = "_memo"


def memo(case: Case) -> dict[str, Any]:
    """Values derived from ``case``'s fields, kept on it by the domain functions that
    compute them (a case never changes; a step makes a new case, without them). They must
    not depend on ``due_at``: ``steps.apply_scheduled`` hands them from the case its schedule
    was decided on to the case it returns, which differs only there."""
    found: dict[str, Any] | None = case.__dict__.get(_MEMO)
    if found is None:
        found = case.__dict__[_MEMO] = {}
    return found


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
        team=e.team,
        tags=fb.tags,
        fields=fb.fields,
        opened_on=fb.channel,
    )


def apply(case: Case, event: Event) -> Case:
    """The case after ``event``: the one place a case changes (steps use it; replay uses
    :func:`apply_stored`). An event earlier than the case's last is refused (a
    ``ValidationError``): a case's history never goes back in time."""
    at, last = event.at, last_at(case.events)
    # (Two UTC times compare as they are; others by instant, which a DST fold needs.)
    utc = at.tzinfo is UTC and last.tzinfo is UTC
    if (at < last) if utc else (instant(at) < instant(last)):
        raise ValidationError.of(
            "at",
            f"at={event.at.isoformat()} is before the case's last event "
            f"({last.isoformat()}) on case {case.id!r}: a case's history never goes back in "
            "time; give an at no earlier than its last event (the Desk stamps a step at the "
            "later of its clock and that instant)",
        )
    return apply_stored(case, event)


def apply_stored(case: Case, event: Event) -> Case:
    """:func:`apply` for an event already in a case's history, being replayed: never
    refused for its time (a history written before steps were held to the case's last
    instant may hold an event earlier than the one before it)."""
    moved = _evolve(case, changes_of(case, event))
    if isinstance(event, _BOOKKEEPING):
        # The sweep's own events change no step, stage, pause or priority: the case's due
        # times, computed to decide them, hold after them too.
        due_times = case.__dict__.get(_MEMO, {}).get("due_times")
        if due_times is not None:
            moved.__dict__[_MEMO] = {"due_times": due_times}
    return moved


#: Events that only record the sweep's work (a rung climbed, a warning, a new due time).
_BOOKKEEPING = (Escalated, Warned, Rescheduled)


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
        case = apply_stored(case, event)
    return case
