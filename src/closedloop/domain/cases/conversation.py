"""The conversation around a case: more messages, merges and splits, channel moves,
priority, promises to the customer, and verification after the loop closed.

Pure functions like the LATTE steps in :mod:`closedloop.domain.cases.steps`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from closedloop.domain.cases import recorded
from closedloop.domain.cases.case import Case, apply
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.contact import ContactLogged, MessageReceived, Noted, Replied
from closedloop.domain.cases.events import (
    CasesMerged,
    ChannelMoved,
    MergedInto,
    Origin,
    OriginKind,
    PriorityChanged,
    Promised,
    PromiseKept,
    Rescheduled,
    SplitOff,
    VerificationRequested,
    Verified,
)
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle
from closedloop.domain.cases.priority import Priority
from closedloop.domain.cases.steps import _S, Due, apply_scheduled, open_case, reopen, scheduled
from closedloop.domain.checks import (
    instant,
    items,
    require_actor,
    require_aware,
    require_filled,
    shown,
)
from closedloop.domain.errors import StepRefusedError, ValidationError
from closedloop.domain.latte import Stage, Step

__all__ = [
    "add_message",
    "keep_promise",
    "log_contact",
    "make_promise",
    "merge_cases",
    "move_channel",
    "note",
    "reply",
    "reprioritize",
    "request_verification",
    "split_case",
    "verify",
]


def add_message(
    case: Case, feedback: Feedback, *, at: datetime, by: str = "closedloop", due_at: Due
) -> Case:
    """More from the customer on this matter: it joins the case as a new message, ends a
    pause, and owes them a reply (``due_at`` is the case's next due time after it)."""
    if not isinstance(feedback, Feedback):
        raise ValidationError.of(
            "feedback", f"feedback must be a Feedback, got {type(feedback).__name__}"
        )
    event = MessageReceived(
        case_id=case.id,
        version=case.version + 1,
        at=require_aware("at", at),
        by=require_actor(by),
        feedback=feedback,
    )
    return apply_scheduled(case, event, due_at)


def reply(case: Case, text: str, *, at: datetime, by: str, due_at: Due) -> Case:
    """Staff write to the customer in their own words, on the case's reply channel: a reply
    owed is answered, and it is a personal contact."""
    _active(case, "reply on")
    event = Replied(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by=require_actor(by),
        text=_said("text", text), channel=case.reply_channel,
    )  # fmt: skip
    return apply_scheduled(case, event, due_at)


def note(case: Case, text: str, *, at: datetime, by: str) -> Case:
    """An internal note: kept in the case's history, never sent to the customer."""
    event = Noted(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by=require_actor(by),
        text=_said("text", text),
    )  # fmt: skip
    return apply(case, event)


def log_contact(
    case: Case, channel: Channel, summary: str, *, at: datetime, by: str, due_at: Due
) -> Case:
    """Staff spoke to the customer outside closedloop (a phone call): recorded with its
    channel and what was said; it answers a reply owed and is a personal contact."""
    _active(case, "log a contact on")
    if not isinstance(channel, Channel):
        raise ValidationError.of("channel", f"channel must be a Channel, got {channel!r}")
    event = ContactLogged(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by=require_actor(by),
        channel=channel, summary=_said("summary", summary),
    )  # fmt: skip
    return apply_scheduled(case, event, due_at)


def _active(case: Case, doing: str) -> None:
    if case.merged_into is not None:
        raise ValidationError(
            f"case {case.id!r} was merged into case {case.merged_into!r}: {doing} that one"
        )


def _said(name: str, text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError.of(name, f"{name} must say something, got {text!r}")
    return text


def merge_cases(
    into: Case, other: Case, *, at: datetime, by: str, reason: str, due_at: Due = None
) -> tuple[Case, Case]:
    """Both cases after ``other`` (a duplicate on the same matter) is merged into ``into``:
    its messages, the reply its customer was owed, its open promises and the record of its
    declines join ``into`` (``due_at`` says when ``into`` is due after that), and it stops,
    pointing at ``into``."""
    for case in (into, other):
        if case.merged_into is not None:
            raise ValidationError(f"case {case.id!r} was merged into {case.merged_into!r} already")
    if into.id == other.id:
        raise ValidationError.of("other", f"cannot merge case {into.id!r} into itself")
    if into.is_closed:
        raise ValidationError(f"case {into.id!r} is closed: reopen it, or merge into an open one")
    why = _reason(reason)
    require_aware("at", at)
    owed = other.awaiting_reply_since
    if owed is None and other.stage is Stage.LISTENED:
        owed = other.opened_at  # nobody answered the duplicate at all
    gained = apply(
        into,
        CasesMerged(case_id=into.id, version=into.version + 1, at=at, by=require_actor(by),
                    other=other.id, messages=other.messages, reason=why, unanswered_since=owed,
                    promises=other.open_promises, tags=other.tags, fields=other.fields,
                    declines=other.declines),
    )  # fmt: skip
    if due_at is not None:
        moved = scheduled(gained, Rescheduled(case_id=into.id, version=gained.version + 1,
                                              at=at, by="closedloop"), due_at)  # fmt: skip
        if moved.due_at != gained.due_at:  # the reply or a promise it brought is due sooner
            gained = apply(gained, moved)
    stopped = apply(
        other,
        MergedInto(case_id=other.id, version=other.version + 1, at=at, by=require_actor(by),
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
    (its ``origin`` names the case they came from). The records of declines a merge
    brought go with the messages of the customer they were said to, when none of that
    customer's messages stays (:func:`~closedloop.domain.cases.recorded.carried`)."""
    if case.merged_into is not None:
        raise ValidationError(f"case {case.id!r} was merged into {case.merged_into!r}")
    positions = items("messages")(moved)
    if any(isinstance(n, bool) or not isinstance(n, int) for n in positions):
        raise ValidationError.of(
            "messages", f"messages must be message positions (whole numbers), got {shown(moved)}"
        )
    picked = sorted(set(positions))
    if not picked or any(
        isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < len(case.messages)
        for n in picked
    ):
        raise ValidationError.of(
            "messages",
            f"give the positions of the messages to split off, from 0 to "
            f"{len(case.messages) - 1}; got {shown(list(positions))}",
        )
    if len(picked) == len(case.messages):
        raise ValidationError.of("messages", "a split must leave at least one message on the case")
    why = _reason(reason)
    require_aware("at", at)
    messages = [case.messages[n] for n in picked]
    declines = recorded.carried(case.id, case.declines, case.messages, set(picked))
    source = apply(
        case,
        SplitOff(case_id=case.id, version=case.version + 1, at=at, by=require_actor(by),
                 new_case_id=new_id, moved=tuple(picked), reason=why, declines=declines),
    )  # fmt: skip
    new = open_case(new_id, messages[0], at=at, by=by, priority=case.priority, owner=case.owner,
                    due_at=due_at, origin=Origin(OriginKind.SPLIT, case_id=case.id),
                    team=case.team, declines=declines, brought=len(messages))  # fmt: skip
    for feedback in messages[1:]:
        new = add_message(new, feedback, at=at, by=by, due_at=due_at)
    return source, new


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError.of(
            "reason", "say why (reason='...'): it stays in both cases' history"
        )
    return reason.strip()


def reprioritize(case: Case, priority: Priority, *, at: datetime, by: str, reason: str) -> Case:
    """Give the case another priority, saying why (a no-op if it already has it)."""
    if not isinstance(priority, Priority):
        raise ValidationError.of("priority", f"priority must be a Priority, got {priority!r}")
    if priority is case.priority:
        return case
    event = PriorityChanged(
        case_id=case.id,
        version=case.version + 1,
        at=require_aware("at", at),
        by=require_actor(by),
        priority=priority,
        reason=reason,
    )
    return apply(case, event)


def move_channel(case: Case, channel: Channel, *, at: datetime, by: str, reason: str = "") -> Case:
    """Move the conversation to ``channel``: one case, same history, deadlines and
    promises; replies go out on the new channel (a no-op if it is already there)."""
    if not isinstance(channel, Channel):
        raise ValidationError.of("channel", f"channel must be a Channel, got {channel!r}")
    if channel == case.reply_channel:
        return case
    event = ChannelMoved(
        case_id=case.id,
        version=case.version + 1,
        at=require_aware("at", at),
        by=require_actor(by),
        channel=channel,
        reason=reason,
        due_at=case.due_at,
    )
    return apply(case, event)


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
    """Record a promise made to the customer: ``what``, by ``due_by``, owned by ``owner``.
    A case merged into another takes none: its promises live on that one."""
    if case.merged_into is not None:
        raise ValidationError.of(
            "case_id",
            f"case {case.id!r} is merged into {case.merged_into!r}: make the promise on that one",
        )
    for name, value in (("promise_id", promise_id), ("what", what), ("owner", owner)):
        require_filled(name, value)
    if any(p.id == promise_id for p in case.promises):
        raise ValidationError.of(
            "promise_id", f"case {case.id!r} already has a promise {promise_id!r}"
        )
    due_by = require_aware("due_by", due_by)
    if instant(due_by) <= instant(require_aware("at", at)):
        raise ValidationError.of(
            "due_by",
            f"due_by ({due_by.isoformat()}) must be after now ({at.isoformat()}): a promise "
            "is of something still to come",
        )
    event = Promised(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by=require_actor(by),
        promise_id=promise_id, what=what, due_by=due_by, owner=owner,
    )  # fmt: skip
    return apply(case, _rescheduled(case, event, due_at))


def keep_promise(
    case: Case, promise_id: str, *, at: datetime, by: str, note: str = "", due_at: Due = None
) -> Case:
    """Record that a promise was kept."""
    _active(case, "keep the promise on")  # a merge moved its open promises there
    found = [p for p in case.promises if p.id == promise_id]
    if not found:
        known = ", ".join(p.id for p in case.promises) or "none"
        raise ValidationError.of(
            "promise_id", f"case {case.id!r} has no promise {promise_id!r}; its promises: {known}"
        )
    if not found[0].is_open:
        raise ValidationError(f"promise {promise_id!r} of case {case.id!r} was kept already")
    event = PromiseKept(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by=require_actor(by),
        promise_id=promise_id, note=note,
    )  # fmt: skip
    return apply(case, _rescheduled(case, event, due_at))


def _rescheduled(case: Case, event: _S, due_at: Due) -> _S:
    """``scheduled`` for events that do not move the stage: a closed case is watched only
    for its open promises."""
    event = scheduled(case, event, due_at)
    if case.is_closed and not callable(due_at):
        event = attrs.evolve(event, due_at=apply(case, event).next_promise_due)
    return event


def request_verification(case: Case, *, at: datetime, by: str) -> Case:
    """Ask the customer whether the fix resolved it; only a closed loop can be verified."""
    if not case.is_closed:
        refused = StepRefusedError(case.id, Step.EXPLAIN, "verification follows a closed loop")
        refused.args = (
            f"cannot ask whether case {case.id!r} was resolved: it is still open at stage "
            f"{case.stage.value}; verification follows a closed loop, so close the loop first",
        )
        raise refused
    event = VerificationRequested(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by=require_actor(by)
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
    window: timedelta | None = None,
) -> Case:
    """Record the customer's answer to "did this resolve it?": a yes is recorded, a no
    reopens the case (back to Take action, counted as a reopen) if it comes within
    ``window`` of the loop closing; a later no is refused and records nothing."""
    if not isinstance(resolved, bool):
        raise ValidationError.of("resolved", f"resolved must be True or False, got {resolved!r}")
    if not case.is_closed:
        raise StepRefusedError(
            case.id, Step.REOPEN, "only a closed loop can be verified; this case is still open"
        )
    event = Verified(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by=require_actor(by),
        resolved=resolved, comment=comment,
    )  # fmt: skip
    answered = apply(case, event)
    if resolved:
        return answered
    why = f"the customer says it is not resolved{': ' + comment if comment else ''}"
    return reopen(
        answered, at=at, by=by, due_at=due_at, reason=why, lifecycle=lifecycle, window=window
    )
