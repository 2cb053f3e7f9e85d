"""Honest lateness in the sweep: a promise's owner warned before its deadline, and a missed
promise announced to the customer with a new time (``Policy.lateness``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from closedloop.domain.cases.case import Case
from closedloop.domain.change import Change
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.standards import escalation, lateness
from closedloop.service import identity
from closedloop.service.context import Context
from closedloop.service.lifecycle import schedule, to_customer, written_contact

__all__ = ["late_change", "warning_change"]

#: Renders a staff alert: (ctx, case, purpose, to, what, due, now).
Alert = Callable[[Context, Case, str, str, str, datetime | None, datetime], Notification]


def late_change(ctx: Context, case: Case, now: datetime, alert: Alert) -> Change | None:
    """A promise missed under a lateness policy that tells the customer, if any: escalated
    first when the policy says so (once per promise), then moved to a new time, and the
    customer told — unless they have nowhere to read it (or were erased), which is recorded
    too."""
    policy = ctx.policy
    promise = lateness.late_promise(case, policy.lateness, now)
    if promise is None:
        return None
    notes: list[Notification] = []
    moved = case
    if policy.lateness.escalates and promise in case.promises and not promise.escalated:
        moved = escalation.escalate_promise(
            case, at=now, ladder=policy.ladder, promise=promise, due_at=schedule(ctx)
        )
        what = f'promise "{promise.what}"'
        notes.extend(
            alert(ctx, moved, "escalation", to, what, promise.deadline, now)
            for to in policy.ladder.recipients_of(
                policy.ladder.rung(moved.escalation_level), policy.lead_of(moved.team)
            )
        )
    # Nobody reads what is written to an erased customer's pseudonym: not told.
    told = written_contact(ctx, case.customer, case.reply_channel) is not None and not (
        identity.is_erased(ctx, case.customer)
    )
    moved = lateness.announce_late(
        moved, at=now, promise=promise, new_due=policy.lateness.new_time(now), told=told,
        due_at=schedule(ctx),
    )  # fmt: skip
    notice = to_customer(ctx, moved, "late_notice", now) if told else None
    if notice is not None:
        notes.append(notice)
    return Change(moved, case.version, tuple(notes))


def warning_change(ctx: Context, case: Case, now: datetime, alert: Alert) -> Change | None:
    """The warning to a promise's owner that its deadline is near, if one is due."""
    promise = lateness.promise_to_warn(case, ctx.policy.lateness, now)
    if promise is None:
        return None
    moved = lateness.warn_promise(case, at=now, promise=promise, due_at=schedule(ctx))
    what = f'promise "{promise.what}"'
    note = alert(ctx, moved, "warning", promise.owner, what, promise.deadline, now)
    return Change(moved, case.version, (note,))
