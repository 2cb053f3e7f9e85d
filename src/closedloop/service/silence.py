"""A silent customer's case: it closes only once they were told it would, and what a pause
sent them is not sent once the pause is over."""

from __future__ import annotations

from datetime import datetime, timedelta

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.contact import ClosingNoticeSent, Paused, ends_pause
from closedloop.domain.cases.events import AwaitingCustomer
from closedloop.domain.change import Change
from closedloop.domain.checks import instant
from closedloop.domain.errors import CaseNotFoundError, NotFoundError, UnreadableRecordError
from closedloop.domain.outbox.messages import Delivery
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.standards import escalation, pauses
from closedloop.service.context import Context
from closedloop.service.lifecycle import message_key, schedule, to_customer

__all__ = ["NOT_TOLD", "PAUSE_MESSAGES", "close_for_silence", "obsolete", "tell_of_closing"]

#: The customer messages a pause on the customer sends: obsolete once the pause is over.
PAUSE_MESSAGES = frozenset({"question", "closing_notice"})

#: Why a case handed back to staff was not closed for the customer's silence.
NOT_TOLD = (
    "the customer could not be told the case would close ({}): it was not closed for their "
    "silence; reach them another way, or close it"
)

#: How long a case whose closing notice is still being retried waits before the sweep looks
#: again: as long as the notice is overdue so far, from an hour up to a day (or until its
#: next attempt, if later), so a notice that never goes adds few events to the case.
RECHECK = (timedelta(hours=1), timedelta(days=1))


def tell_of_closing(ctx: Context, case: Case, now: datetime) -> Change:
    """A customer asked something stayed silent until the pause's time: tell them the case
    closes ``Policy.silence.close_after`` later unless they write; one with nowhere to read
    it, or whose question was given up on (a dead letter: they were never asked), is handed
    back to staff instead."""
    if _question_lost(ctx, case):
        return _hand_back(ctx, case, now, "the question was not delivered")
    told = pauses.closing_notice(
        case, at=now, closes_at=ctx.policy.silence.closes(now), due_at=schedule(ctx)
    )
    notice = to_customer(ctx, told, "closing_notice", now)
    if notice is None:
        return _hand_back(ctx, case, now, "they have no written contact")
    return Change(told, case.version, (notice,))


def close_for_silence(ctx: Context, case: Case, now: datetime) -> Change:
    """The time the closing notice gave is up: the case closes for the customer's silence
    if the notice was delivered (handed to the notifier). Still being retried, the case
    waits for it; a dead letter (or none), it is handed back to staff, never closed
    without the customer told."""
    notice = next(e for e in reversed(case.events) if isinstance(e, ClosingNoticeSent))
    try:
        message = ctx.store.outbox_message(message_key(case.id, notice.version, "closing_notice"))
    except NotFoundError:
        return _hand_back(ctx, case, now, "no closing notice was sent")
    if message.status is Delivery.SENT:
        # Delivered late (dispatch was down): they get the whole time from when told.
        told = message.sent_at
        closes = None if told is None else ctx.policy.silence.closes(told)
        if closes is not None and instant(closes) > instant(now):
            return Change(escalation.reschedule(case, at=now, due_at=closes), case.version)
        return Change(pauses.lapse(case, at=now, due_at=schedule(ctx)), case.version)
    if message.status is Delivery.DEAD:
        return _hand_back(ctx, case, now, "the closing notice was not delivered")
    closes_at = case.pause.resume_by if case.pause is not None else None
    overdue = timedelta(0) if closes_at is None else instant(now) - instant(closes_at)
    later = now + min(max(overdue, RECHECK[0]), RECHECK[1])
    retry = message.next_attempt_at
    if retry is not None and instant(retry) > instant(later):
        later = retry
    return Change(escalation.reschedule(case, at=now, due_at=later), case.version)


def _question_lost(ctx: Context, case: Case) -> bool:
    """Whether the question of the pause ``case`` is in was given up on (a dead letter)."""
    asked = next((e for e in reversed(case.events) if isinstance(e, _ASKS)), None)
    if asked is None:
        return False
    try:
        message = ctx.store.outbox_message(message_key(case.id, asked.version, "question"))
    except NotFoundError:
        return False  # sent nowhere (no written contact): the notice finds that out
    return message.status is Delivery.DEAD


#: The events that ask the customer something and pause the case.
_ASKS = (Paused, AwaitingCustomer)


def _hand_back(ctx: Context, case: Case, now: datetime, why: str) -> Change:
    resumed = pauses.resume(
        case, at=now, by="closedloop", reason=NOT_TOLD.format(why), due_at=schedule(ctx)
    )
    return Change(resumed, case.version)


def obsolete(ctx: Context, notification: Notification) -> str | None:
    """Why a pause's question or closing notice must not go out (an outbox hook): the
    pause it was for is over (the customer wrote, staff resumed, the case closed), or
    None."""
    if notification.purpose not in PAUSE_MESSAGES or not notification.case_id:
        return None
    version = notification.key.removeprefix(f"{notification.case_id}/").split("/", 1)[0]
    if not version.isdigit():
        return None
    try:
        case = ctx.store.get(notification.case_id)
    except (CaseNotFoundError, UnreadableRecordError):
        return None
    if not case.is_active or any(ends_pause(e) for e in case.events[int(version) :]):
        return f"the pause its {notification.purpose.replace('_', ' ')} was for ended first"
    return None
