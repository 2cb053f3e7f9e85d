"""Pauses: the clocks stop while a case waits on the customer, a third party or a date.

Every pause has a reason and a time by which it ends: a third party or a date is resumed by
then (by staff, or by the sweep), and a customer who stays silent is told the case will close,
then it closes — never silently. Any word from the customer ends a pause, however it arrives.
Pure functions of the case and the time, like the steps.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.contact import (
    ClosingNoticeSent,
    Lapsed,
    Paused,
    Resumed,
    WaitingOn,
)
from closedloop.domain.cases.events import CustomerReplied, Scheduled
from closedloop.domain.cases.steps import Due, apply_scheduled
from closedloop.domain.checks import (
    instant,
    is_a,
    positive_duration,
    require_actor,
    require_aware,
)
from closedloop.domain.errors import ValidationError
from closedloop.domain.latte import Stage
from closedloop.domain.standards.calendar import BusinessCalendar

__all__ = ["Silence", "closing_notice", "customer_replied", "lapse", "pause", "resume"]


def _office_hours() -> BusinessCalendar:
    return BusinessCalendar.weekdays(time(9), time(17), zone="UTC")


@attrs.frozen
class Silence:
    """How long a customer who was asked something may stay silent before their case
    closes: ``notice_after`` of business time on ``calendar`` (10 business days of 8 hours,
    Monday to Friday 09:00-17:00 UTC, by default), they are told it will close; it closes
    ``close_after`` later (5 business days) unless they write. Any word from them resumes
    the case instead."""

    notice_after: timedelta = attrs.field(default=timedelta(hours=80), validator=positive_duration)
    """Business time of silence before the customer is told the case will close."""
    close_after: timedelta = attrs.field(default=timedelta(hours=40), validator=positive_duration)
    """Business time after that notice before it closes."""
    calendar: BusinessCalendar = attrs.field(
        factory=_office_hours, validator=is_a(BusinessCalendar)
    )
    """The business calendar both count on."""

    def notice_due(self, asked_at: datetime) -> datetime:
        """When a customer asked at ``asked_at`` and silent since is told the case closes."""
        return self.calendar.add(asked_at, self.notice_after)

    def closes(self, told_at: datetime) -> datetime:
        """When a case whose customer was told at ``told_at`` closes, if they stay silent."""
        return self.calendar.add(told_at, self.close_after)


def _text(name: str, value: object, hint: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.of(name, f"{name} must say {hint}, got {value!r}")
    return value


def _open(case: Case) -> None:
    if not case.is_active:
        state = "closed" if case.is_closed else f"merged into {case.merged_into!r}"
        raise ValidationError(f"case {case.id!r} is {state}: nothing to pause or resume")


def pause(
    case: Case,
    waiting_on: WaitingOn,
    *,
    at: datetime,
    by: str,
    reason: str,
    resume_by: datetime,
    question: str = "",
    due_at: Due = None,
) -> Case:
    """Stop the clocks until ``resume_by``: the case waits on ``waiting_on`` for ``reason``.

    Waiting on the customer needs the ``question`` they are sent; waiting on a third party
    or a date is resumed by staff, or by the sweep at ``resume_by``.
    """
    _open(case)
    if not isinstance(waiting_on, WaitingOn):
        raise ValidationError.of(
            "waiting_on", f"waiting_on must be a WaitingOn, got {waiting_on!r}"
        )
    if case.pause is not None:
        raise ValidationError(
            f"case {case.id!r} is already waiting for the "
            f"{case.pause.waiting_on.value.replace('_', ' ')}: resume it first"
        )
    if waiting_on is WaitingOn.CUSTOMER:
        _text("question", question, "what the customer is asked")
    elif question:
        raise ValidationError.of(
            "question", "only a pause waiting on the customer sends them a question"
        )
    resume_by = require_aware("resume_by", resume_by)
    if instant(resume_by) <= instant(require_aware("at", at)):
        raise ValidationError.of(
            "resume_by", f"resume_by ({resume_by}) must be after the pause begins ({at})"
        )
    event = Paused(
        case_id=case.id, version=case.version + 1, at=at, by=require_actor(by),
        waiting_on=waiting_on, reason=_text("reason", reason, "why the case waits"),
        resume_by=resume_by, question=question,
    )  # fmt: skip
    return _with_due(case, event, due_at)


def resume(case: Case, *, at: datetime, by: str, reason: str, due_at: Due) -> Case:
    """The wait is over (the third party answered, the date came): the clocks run again,
    deadlines moved by the pause."""
    _open(case)
    if case.pause is None:
        raise ValidationError(f"case {case.id!r} is not paused")
    event = Resumed(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by=require_actor(by),
        reason=_text("reason", reason, "why the wait is over"),
    )  # fmt: skip
    return _with_due(case, event, due_at)


def customer_replied(case: Case, *, at: datetime, by: str, text: str, due_at: Due) -> Case:
    """The customer answered the question: the clocks run again from here, and they are
    owed a reply."""
    _open(case)
    if not case.awaiting_customer:
        raise ValidationError(
            f"case {case.id!r} is not waiting for the customer; record what they wrote as a "
            "message instead (desk.conversation.add_message): it is owed a reply either way"
        )
    event = CustomerReplied(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by=require_actor(by),
        text=_text("text", text, "what the customer replied"),
    )  # fmt: skip
    return _with_due(case, event, due_at)


def closing_notice(case: Case, *, at: datetime, closes_at: datetime, due_at: Due) -> Case:
    """Tell a customer who did not answer that the case closes at ``closes_at`` unless
    they write."""
    if not case.awaiting_customer or case.pause is None or case.pause.notice_at is not None:
        raise ValidationError(f"case {case.id!r} is not waiting on a silent customer")
    event = ClosingNoticeSent(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by="closedloop",
        closes_at=require_aware("closes_at", closes_at),
    )  # fmt: skip
    return _with_due(case, event, due_at)


def lapse(case: Case, *, at: datetime, due_at: Due) -> Case:
    """Close a case whose customer stayed silent after the closing notice."""
    pause_ = case.pause
    if not case.awaiting_customer or pause_ is None or pause_.notice_at is None:
        raise ValidationError(f"case {case.id!r} was not told it would close")
    event = Lapsed(
        case_id=case.id, version=case.version + 1, at=require_aware("at", at), by="closedloop",
        stage=Stage.CLOSED,
        reason=f"no answer from the customer since {pause_.since:%Y-%m-%d %H:%M %Z}".rstrip(),
    )  # fmt: skip
    return _with_due(case, event, due_at)


def _with_due(case: Case, event: Scheduled, due_at: Due) -> Case:
    return apply_scheduled(case, event, due_at)
