"""Business time for standards: when a step's clock starts, the spans it was paused, when
its allowed time is used up, and how much of it is used (pure)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from closedloop.domain.cases.case import Case
from closedloop.domain.checks import instant
from closedloop.domain.standards.calendar import BusinessCalendar
from closedloop.domain.standards.targets import Target

__all__ = ["finish", "paused_spans", "step_start", "used"]


def step_start(case: Case, target: Target) -> datetime:
    """When the clock of ``case``'s step ``target`` started: at opening, when the customer
    wrote again (a reply owed), or at the last reopening."""
    if target in (Target.ACKNOWLEDGE, Target.CONTACT):
        return case.opened_at
    if target is Target.REPLY and case.awaiting_reply_since is not None:
        return case.awaiting_reply_since
    return case.opened_at if case.reopened_at is None else case.reopened_at


def paused_spans(
    case: Case, start: datetime, target: Target | None = None
) -> list[tuple[datetime, datetime | None]]:
    """The spans the case was paused since ``start`` (the last may be open). A reply owed
    to the customer is never paused: a hold on a third party does not excuse silence."""
    spans: list[tuple[datetime, datetime | None]] = []
    if target is Target.REPLY:
        return spans
    for span in case.pause_history:
        ended = span.ended
        if ended is None or instant(ended) > instant(start):
            spans.append((max(span.began, start, key=instant), ended))
    return spans


def finish(
    calendar: BusinessCalendar,
    start: datetime,
    within: timedelta,
    pauses: list[tuple[datetime, datetime | None]],
) -> datetime | None:
    """When ``within`` of business time, counted from ``start`` outside pauses, is used up;
    None if it is not used up before a pause that has not ended."""
    if not pauses:
        return _add(calendar, start, within)
    cursor, left = start, within
    for paused, resumed in pauses:
        done = calendar.add(cursor, left)
        if instant(done) <= instant(paused):
            return done
        left -= calendar.between(cursor, paused)
        if resumed is None:
            return None
        cursor = max(cursor, resumed, key=instant)
    return calendar.add(cursor, left)


@functools.lru_cache(maxsize=4096)
def _add(calendar: BusinessCalendar, start: datetime, within: timedelta) -> datetime:
    # Cases opened together (a batch, a busy minute) share their deadlines: compute once.
    return calendar.add(start, within)


def used(
    calendar: BusinessCalendar,
    start: datetime,
    now: datetime,
    pauses: list[tuple[datetime, datetime | None]],
) -> timedelta:
    """Business time from ``start`` to ``now``, pauses excluded."""
    used = calendar.between(start, now)
    for paused, resumed in pauses:
        used -= calendar.between(paused, now if resumed is None else min(resumed, now, key=instant))
    return max(used, timedelta(0))
