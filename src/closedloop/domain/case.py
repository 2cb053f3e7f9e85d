"""The Case: one customer's matter, and the pure functions that move it through LATTE.

Every function here takes the case, the time and who acts, and returns the new case with
one more event; none reads a clock or does I/O. A refused step raises and returns nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs

from closedloop.domain.channel import Channel
from closedloop.domain.checks import instant, require_aware
from closedloop.domain.commitment import Promise
from closedloop.domain.errors import StepNotAllowedError, StepRefusedError, ValidationError
from closedloop.domain.events import (
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
    Kano,
    MergedInto,
    MessageAdded,
    Origin,
    OriginKind,
    PriorityChanged,
    Promised,
    PromiseKept,
    Reopened,
    Scheduled,
    SplitOff,
    StepEvent,
    Thanked,
    VerificationRequested,
    Verified,
)
from closedloop.domain.feedback import Feedback, FeedbackKind
from closedloop.domain.lifecycle import LATTE, Lifecycle, Stage, Step
from closedloop.domain.priority import Priority

__all__ = [
    "Case",
    "Effort",
    "acknowledge",
    "add_message",
    "apply",
    "assign",
    "decline",
    "explain",
    "keep_promise",
    "make_promise",
    "merge_cases",
    "move_channel",
    "open_case",
    "reopen",
    "replay",
    "reprioritize",
    "request_verification",
    "scheduled",
    "split_case",
    "take_action",
    "thank",
    "verify",
]

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
    other. ``events`` is the case's whole history; ``version`` is the number of events.
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
    events: tuple[Event, ...]
    owner: str | None = None
    due_at: datetime | None = None
    action: str | None = None
    declined: str | None = None
    explanation: Explained | None = None
    reopen_count: int = 0
    escalation_level: int = 0
    awaiting_customer: bool = False
    origin: Origin | None = None
    promises: tuple[Promise, ...] = ()
    merged_into: str | None = None

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
        """Every channel the customer used on this matter, first use first."""
        return tuple(dict.fromkeys(m.channel for m in self.messages))

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
        return _effort(self)

    def allowed_steps(self, lifecycle: Lifecycle = LATTE) -> tuple[Step, ...]:
        """The LATTE steps this case may take now."""
        return lifecycle.allowed(self)


@attrs.frozen
class Effort:
    """Effort signals of one case, counted from its history.

    - ``hand_offs``: times the case moved from one owner to another;
    - ``channel_switches``: times the conversation changed channel (the customer writing on
      another channel, or the case moved);
    - ``repeat_contacts``: times the customer wrote again before anyone answered;
    - ``repeats``: messages the host flagged as the customer repeating themselves.
    """

    hand_offs: int = 0
    channel_switches: int = 0
    repeat_contacts: int = 0
    repeats: int = 0


_STAFF_CONTACT = (Acknowledged, ActionTaken, Declined, Thanked, Explained, AwaitingCustomer)


def _effort(case: Case) -> Effort:
    hand_offs = switches = repeat_contacts = 0
    owner: str | None = None
    channel: Channel | None = None
    waiting = False  # the customer's last word has had no answer yet
    for event in case.events:
        if isinstance(event, CaseOpened):
            owner, channel, waiting = event.owner, event.feedback.channel, True
        elif isinstance(event, Assigned):
            hand_offs += owner is not None and event.owner != owner
            owner = event.owner
        elif isinstance(event, Acknowledged) and owner is None:
            owner = event.by
        elif isinstance(event, MessageAdded | ChannelMoved):
            moved_to = event.channel if isinstance(event, ChannelMoved) else event.feedback.channel
            switches += moved_to != channel
            channel = moved_to
            if isinstance(event, MessageAdded):
                repeat_contacts += waiting
                waiting = True
        elif isinstance(event, CustomerReplied):
            waiting = True
        if isinstance(event, _STAFF_CONTACT):
            waiting = False
    return Effort(
        hand_offs=hand_offs,
        channel_switches=switches,
        repeat_contacts=repeat_contacts,
        repeats=sum(1 for m in case.messages if m.repeated),
    )


# -- applying events: the only place a case changes -------------------------------------------


def _evolve(case: Case, changes: dict[str, Any]) -> Case:
    # attrs.evolve without re-running __init__ field by field: the hot path of every step.
    # Only the domain calls this, with field names it spells out itself.
    new = object.__new__(Case)
    state = new.__dict__
    state.update(case.__dict__)
    state.update(changes)
    return new


def _apply_opened(e: CaseOpened) -> Case:
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
    changes: dict[str, Any] = {"version": event.version, "events": (*case.events, event)}
    if isinstance(event, Scheduled):
        changes["due_at"] = event.due_at
    if isinstance(event, StepEvent):
        changes["stage"] = event.stage
        if isinstance(event, Acknowledged):
            if case.owner is None:
                changes["owner"] = event.by
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
    elif isinstance(event, MessageAdded):
        changes["messages"] = (*case.messages, event.feedback)
    elif isinstance(event, CasesMerged):
        changes["messages"] = (*case.messages, *event.messages)
    elif isinstance(event, MergedInto):
        changes["merged_into"] = event.into
    elif isinstance(event, SplitOff):
        changes["messages"] = tuple(
            m for n, m in enumerate(case.messages) if n not in set(event.moved)
        )
    elif isinstance(event, ChannelMoved):
        changes["reply_channel"] = event.channel
    elif isinstance(event, AwaitingCustomer | CustomerReplied):
        changes["awaiting_customer"] = isinstance(event, AwaitingCustomer)
    return _evolve(case, changes)


def _promise(case: Case, promise_id: str, **changes: Any) -> tuple[Promise, ...]:
    return tuple(attrs.evolve(p, **changes) if p.id == promise_id else p for p in case.promises)


def replay(events: Iterable[Event]) -> Case:
    """Rebuild a case from its history; ``replay(case.events) == case``."""
    it = iter(events)
    first = next(it, None)
    if not isinstance(first, CaseOpened):
        raise ValidationError("a case's history must start with a CaseOpened event")
    case = _apply_opened(first)
    for event in it:
        case = apply(case, event)
    return case


# -- the steps ------------------------------------------------------------------------------

_E = TypeVar("_E", bound=StepEvent)
_S = TypeVar("_S", bound=Scheduled)


def _actor(by: object) -> str:
    if not isinstance(by, str) or not by.strip():
        raise ValidationError(f"by must name who acts (a non-empty string), got {by!r}")
    return by


#: When the next step is due: an instant, None, or a function of the case after the step
#: (the service passes its standards this way, so the event records what they decide).
Due = datetime | None | Callable[[Case], datetime | None]


def _step(
    case: Case,
    step: Step,
    lifecycle: Lifecycle,
    make: type[_E],
    at: datetime,
    by: str,
    due_at: Due,
    **payload: Any,
) -> Case:
    if case.merged_into is not None:
        raise StepRefusedError(
            case.id, step, f"it was merged into case {case.merged_into!r}: work on that one"
        )
    row = lifecycle.select(case, step)
    if row is None:
        raise _not_allowed(case, step, lifecycle)
    event = make(
        case_id=case.id,
        version=case.version + 1,
        at=require_aware("at", at),
        by=_actor(by),
        stage=row.target,
        due_at=None if callable(due_at) else due_at,
        **payload,
    )
    for guard in row.guards:
        if not guard.check(case, event):
            raise StepRefusedError(case.id, step, guard.reason)
    return apply(case, scheduled(case, event, due_at))


def scheduled(case: Case, event: _S, due_at: Due) -> _S:
    """``event`` with its ``due_at`` decided: a closed case has none; a function of the case
    is asked about the case as the event leaves it. (For domain modules beside this one.)"""
    if callable(due_at):
        due_at = due_at(apply(case, event))
    if isinstance(event, StepEvent) and event.stage is Stage.CLOSED:
        due_at = apply(case, event).next_promise_due  # only open promises keep it watched
    if due_at is not None:
        require_aware("due_at", due_at)
    return event if due_at == event.due_at else attrs.evolve(event, due_at=due_at)


def _not_allowed(case: Case, step: Step, lifecycle: Lifecycle) -> StepNotAllowedError:
    error = StepNotAllowedError(case.id, case.kind.value, case.stage, step, lifecycle.allowed(case))
    reason = lifecycle.refusal(case.stage, step)
    if reason:
        error.args = (f"{error.args[0]} ({reason})",)
    return error


def open_case(
    case_id: str,
    feedback: Feedback,
    *,
    at: datetime,
    by: str = "closedloop",
    priority: Priority = Priority.NORMAL,
    owner: str | None = None,
    due_at: Due = None,
    origin: Origin | None = None,
) -> Case:
    """Listen: open a case for ``feedback``; ``at`` is when it was recorded, ``due_at``
    when the acknowledgement is due, ``origin`` what closedloop opened it for (if not
    plain feedback)."""
    if not isinstance(case_id, str) or not case_id.strip():
        raise ValidationError(f"case id must be a non-empty string, got {case_id!r}")
    if not isinstance(feedback, Feedback):
        raise ValidationError(f"feedback must be a Feedback, got {type(feedback).__name__}")
    if not isinstance(priority, Priority):
        raise ValidationError(f"priority must be a Priority, got {priority!r}")
    event = CaseOpened(
        case_id=case_id,
        version=1,
        at=require_aware("at", at),
        by=_actor(by),
        feedback=feedback,
        priority=priority,
        owner=owner,
        origin=origin,
    )
    if callable(due_at):
        due_at = due_at(_apply_opened(event))
    if due_at is not None:
        event = attrs.evolve(event, due_at=require_aware("due_at", due_at))
    return _apply_opened(event)


def acknowledge(
    case: Case,
    *,
    at: datetime,
    by: str,
    due_at: Due = None,
    next_contact_by: datetime | None = None,
    lifecycle: Lifecycle = LATTE,
) -> Case:
    """Acknowledge: the customer hears it arrived, who is on it and when they hear next."""
    if next_contact_by is not None:
        require_aware("next_contact_by", next_contact_by)
    return _step(
        case, Step.ACKNOWLEDGE, lifecycle, Acknowledged, at=at, by=by,
        due_at=next_contact_by if due_at is None else due_at,
        next_contact_by=next_contact_by,
    )  # fmt: skip


def take_action(
    case: Case,
    *,
    at: datetime,
    by: str,
    due_at: Due = None,
    summary: str,
    lifecycle: Lifecycle = LATTE,
) -> Case:
    """Take action: record what was done about it."""
    return _step(
        case, Step.TAKE_ACTION, lifecycle, ActionTaken, at=at, by=by, due_at=due_at, summary=summary
    )


def decline(
    case: Case,
    *,
    at: datetime,
    by: str,
    due_at: Due = None,
    reason: str,
    category: str = "other",
    asked: str | None = None,
    lifecycle: Lifecycle = LATTE,
) -> Case:
    """Take action by saying no, with the reason; Thank and Explain still follow.

    ``asked`` is what the customer asked for (the case's subject if not given) and
    ``category`` files the no in the no log."""
    if not isinstance(category, str) or not category.strip():
        raise ValidationError(f"category must name the kind of no, got {category!r}")
    if asked is not None and (not isinstance(asked, str) or not asked.strip()):
        raise ValidationError(f"asked must say what the customer asked for, got {asked!r}")
    return _step(
        case, Step.DECLINE, lifecycle, Declined, at=at, by=by, due_at=due_at, reason=reason,
        category=category, asked=asked if asked is not None else case.subject,
    )  # fmt: skip


def thank(
    case: Case,
    *,
    at: datetime,
    by: str,
    due_at: Due = None,
    lifecycle: Lifecycle = LATTE,
) -> Case:
    """Thank the customer for the feedback."""
    return _step(case, Step.THANK, lifecycle, Thanked, at=at, by=by, due_at=due_at)


def explain(
    case: Case,
    *,
    at: datetime,
    by: str,
    what_failed: str,
    what_changes: str,
    open_promises: str | None = None,
    root_cause: str | None = None,
    kano: Kano | None = None,
    lifecycle: Lifecycle = LATTE,
) -> Case:
    """Explain what part of the process failed and what will change; closes the loop.

    Promises still unkept must be kept first, or ``open_promises`` must say what happens
    to them (they stay tracked, and the sweep still escalates them when overdue).
    ``root_cause`` and its ``kano`` tag feed the reports' top causes and dissatisfiers."""
    if root_cause is not None and (not isinstance(root_cause, str) or not root_cause.strip()):
        raise ValidationError(
            f"root_cause must be a short non-empty label or None; got {root_cause!r}"
        )
    if kano is not None and not isinstance(kano, Kano):
        choices = ", ".join(f"Kano.{k.name}" for k in Kano)
        raise ValidationError(f"kano must be one of {choices} or None; got {kano!r}")
    if kano is not None and root_cause is None:
        raise ValidationError("kano tags a root cause: give root_cause='...' with it")
    unkept = case.open_promises
    if unkept and (not isinstance(open_promises, str) or not open_promises.strip()):
        listed = "; ".join(f'"{p.what}" by {p.due_by.isoformat()}' for p in unkept)
        raise StepRefusedError(
            case.id,
            Step.EXPLAIN,
            f"{len(unkept)} promise(s) not kept yet ({listed}): keep them first, or say what "
            "happens to them with open_promises='...'",
        )
    return _step(
        case, Step.EXPLAIN, lifecycle, Explained, at=at, by=by, due_at=None,
        what_failed=what_failed, what_changes=what_changes,
        open_promises=open_promises if unkept else None,
        root_cause=root_cause.strip() if root_cause else None, kano=kano,
    )  # fmt: skip


def reopen(
    case: Case,
    *,
    at: datetime,
    by: str,
    due_at: Due = None,
    reason: str,
    lifecycle: Lifecycle = LATTE,
) -> Case:
    """The customer says it is not resolved: back to Take action, counting the reopen."""
    return _step(case, Step.REOPEN, lifecycle, Reopened, at=at, by=by, due_at=due_at, reason=reason)


def assign(case: Case, *, at: datetime, by: str, owner: str) -> Case:
    """Give the case a new owner."""
    if not isinstance(owner, str) or not owner.strip():
        raise ValidationError(f"owner must be a non-empty string, got {owner!r}")
    event = Assigned(
        case_id=case.id,
        version=case.version + 1,
        at=require_aware("at", at),
        by=_actor(by),
        owner=owner,
    )
    return apply(case, event)


def add_message(case: Case, feedback: Feedback, *, at: datetime, by: str = "closedloop") -> Case:
    """More from the customer on this matter: it joins the case as a new message."""
    if not isinstance(feedback, Feedback):
        raise ValidationError(f"feedback must be a Feedback, got {type(feedback).__name__}")
    event = MessageAdded(
        case_id=case.id,
        version=case.version + 1,
        at=require_aware("at", at),
        by=_actor(by),
        feedback=feedback,
    )
    return apply(case, event)


def merge_cases(
    into: Case, other: Case, *, at: datetime, by: str, reason: str
) -> tuple[Case, Case]:
    """Both cases after ``other`` (a duplicate on the same matter) is merged into ``into``:
    its messages join ``into``, and it stops, pointing at ``into``."""
    for case in (into, other):
        if case.merged_into is not None:
            raise ValidationError(f"case {case.id!r} was merged into {case.merged_into!r} already")
    if into.id == other.id:
        raise ValidationError(f"cannot merge case {into.id!r} into itself")
    if into.is_closed:
        raise ValidationError(f"case {into.id!r} is closed: reopen it, or merge into an open one")
    why = _reason(reason)
    require_aware("at", at)
    gained = apply(
        into,
        CasesMerged(case_id=into.id, version=into.version + 1, at=at, by=_actor(by),
                    other=other.id, messages=other.messages, reason=why),
    )  # fmt: skip
    stopped = apply(
        other,
        MergedInto(case_id=other.id, version=other.version + 1, at=at, by=_actor(by),
                   due_at=None, into=into.id, reason=why),
    )  # fmt: skip
    return gained, stopped


def split_case(
    case: Case,
    moved: Sequence[int],
    *,
    new_id: str,
    at: datetime,
    by: str,
    reason: str,
    due_at: Due = None,
) -> tuple[Case, Case]:
    """The case without the messages at positions ``moved``, and the new case they open
    (its ``origin`` names the case they came from)."""
    if case.merged_into is not None:
        raise ValidationError(f"case {case.id!r} was merged into {case.merged_into!r}")
    picked = sorted(set(moved))
    if not picked or any(
        isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < len(case.messages)
        for n in picked
    ):
        raise ValidationError(
            f"give the positions of the messages to split off, from 0 to "
            f"{len(case.messages) - 1}; got {list(moved)!r}"
        )
    if len(picked) == len(case.messages):
        raise ValidationError("a split must leave at least one message on the case")
    why = _reason(reason)
    require_aware("at", at)
    messages = [case.messages[n] for n in picked]
    source = apply(
        case,
        SplitOff(case_id=case.id, version=case.version + 1, at=at, by=_actor(by),
                 new_case_id=new_id, moved=tuple(picked), reason=why),
    )  # fmt: skip
    new = open_case(new_id, messages[0], at=at, by=by, priority=case.priority, owner=case.owner,
                    due_at=due_at, origin=Origin(OriginKind.SPLIT, case_id=case.id))  # fmt: skip
    for feedback in messages[1:]:
        new = add_message(new, feedback, at=at, by=by)
    return source, new


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("say why (reason='...'): it stays in both cases' history")
    return reason.strip()


def reprioritize(case: Case, priority: Priority, *, at: datetime, by: str, reason: str) -> Case:
    """Give the case another priority, saying why (a no-op if it already has it)."""
    if not isinstance(priority, Priority):
        raise ValidationError(f"priority must be a Priority, got {priority!r}")
    if priority is case.priority:
        return case
    event = PriorityChanged(
        case_id=case.id,
        version=case.version + 1,
        at=require_aware("at", at),
        by=_actor(by),
        priority=priority,
        reason=reason,
    )
    return apply(case, event)


def move_channel(
    case: Case, channel: Channel, *, at: datetime, by: str, reason: str = "", due_at: Due = None
) -> Case:
    """Move the conversation to ``channel``: one case, same history and clocks; replies go
    out on the new channel (a no-op if it is already there)."""
    if not isinstance(channel, Channel):
        raise ValidationError(f"channel must be a Channel, got {channel!r}")
    if channel == case.reply_channel:
        return case
    event = ChannelMoved(
        case_id=case.id,
        version=case.version + 1,
        at=require_aware("at", at),
        by=_actor(by),
        channel=channel,
        reason=reason,
    )
    return apply(case, scheduled(case, event, due_at))


def make_promise(
    case: Case,
    *,
    promise_id: str,
    what: str,
    due_by: datetime,
    owner: str,
    at: datetime,
    by: str,
    due_at: Due = None,
) -> Case:
    """Record a promise made to the customer: ``what``, by ``due_by``, owned by ``owner``."""
    for name, value in (("promise_id", promise_id), ("what", what), ("owner", owner)):
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"{name} must be a non-empty string, got {value!r}")
    if any(p.id == promise_id for p in case.promises):
        raise ValidationError(f"case {case.id!r} already has a promise {promise_id!r}")
    require_aware("due_by", due_by)
    event = Promised(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by=_actor(by),
        promise_id=promise_id, what=what, due_by=due_by, owner=owner,
    )  # fmt: skip
    return apply(case, _rescheduled(case, event, due_at))


def keep_promise(
    case: Case, promise_id: str, *, at: datetime, by: str, note: str = "", due_at: Due = None
) -> Case:
    """Record that a promise was kept."""
    found = [p for p in case.promises if p.id == promise_id]
    if not found:
        known = ", ".join(p.id for p in case.promises) or "none"
        raise ValidationError(
            f"case {case.id!r} has no promise {promise_id!r}; its promises: {known}"
        )
    if not found[0].is_open:
        raise ValidationError(f"promise {promise_id!r} of case {case.id!r} was kept already")
    event = PromiseKept(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by=_actor(by),
        promise_id=promise_id, note=note,
    )  # fmt: skip
    return apply(case, _rescheduled(case, event, due_at))


def _rescheduled(case: Case, event: _S, due_at: Due) -> _S:
    """``scheduled`` for events that do not move the stage: a closed case is watched only
    for its open promises."""
    event = scheduled(case, event, due_at)
    if case.is_closed:
        event = attrs.evolve(event, due_at=apply(case, event).next_promise_due)
    return event


def request_verification(case: Case, *, at: datetime, by: str) -> Case:
    """Ask the customer whether the fix resolved it; only a closed loop can be verified."""
    if not case.is_closed:
        raise StepRefusedError(
            case.id, Step.EXPLAIN, "verification follows a closed loop; close the loop first"
        )
    event = VerificationRequested(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by=_actor(by)
    )
    return apply(case, event)


def verify(
    case: Case,
    *,
    resolved: bool,
    at: datetime,
    by: str,
    comment: str = "",
    due_at: Due = None,
    lifecycle: Lifecycle = LATTE,
) -> Case:
    """Record the customer's answer to "did this resolve it?": a yes is recorded, a no
    reopens the case (back to Take action, counted as a reopen)."""
    if not isinstance(resolved, bool):
        raise ValidationError(f"resolved must be True or False, got {resolved!r}")
    if not case.is_closed:
        raise StepRefusedError(
            case.id, Step.REOPEN, "only a closed loop can be verified; this case is still open"
        )
    event = Verified(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by=_actor(by),
        resolved=resolved, comment=comment,
    )  # fmt: skip
    answered = apply(case, event)
    if resolved:
        return answered
    why = f"the customer says it is not resolved{': ' + comment if comment else ''}"
    return reopen(answered, at=at, by=by, due_at=due_at, reason=why, lifecycle=lifecycle)
