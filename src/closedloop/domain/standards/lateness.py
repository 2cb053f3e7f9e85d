"""Honest lateness: what happens when a time promised to the customer is about to pass, and
when it passed unkept.

Before the deadline (``Lateness.warn_before``) the promise's owner is warned, once per
deadline. At the deadline, by ``Lateness.mode``: ``OFF`` escalates an explicit promise and
says nothing to the customer (closedloop's behaviour before lateness existed);
``NOTIFY`` tells the customer it is late and gives a new time, which becomes the promise's
deadline; ``NOTIFY_AND_ESCALATE`` does both. Pure functions of the case and the time.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import datetime, timedelta

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.lateness import PromiseLate, PromiseWarned
from closedloop.domain.cases.promises import Promise
from closedloop.domain.cases.steps import Due, apply_scheduled
from closedloop.domain.checks import instant, is_a, positive_duration, require_aware
from closedloop.domain.errors import ValidationError
from closedloop.domain.standards.calendar import BusinessCalendar

__all__ = [
    "CONTACT_WHAT",
    "LateMode",
    "Lateness",
    "announce_late",
    "late_promise",
    "lateness_times",
    "promise_to_warn",
    "warn_promise",
]


class LateMode(enum.Enum):
    """What happens when a promise's time passes unkept."""

    OFF = "off"
    """Escalate an explicit promise, tell the customer nothing (the default)."""
    NOTIFY = "notify"
    """Tell the customer it is late, with a new time; do not escalate."""
    NOTIFY_AND_ESCALATE = "notify_and_escalate"
    """Tell the customer, and escalate an explicit promise (once) as ``OFF`` does."""


@attrs.frozen
class Lateness:
    """How closedloop handles promises to customers running late: ``warn_before`` their
    deadline the owner is warned (None: no warning); when it passes, ``mode`` says whether
    the customer is told, with a new time ``new_time_after`` later — business time on
    ``calendar`` if one is given, else wall-clock time."""

    mode: LateMode = attrs.field(default=LateMode.OFF, validator=is_a(LateMode))
    """What happens at a missed deadline (see :class:`LateMode`)."""
    warn_before: timedelta | None = attrs.field(
        default=None, validator=attrs.validators.optional(positive_duration)
    )
    """How long before a promise's deadline its owner is warned; None: never."""
    new_time_after: timedelta = attrs.field(default=timedelta(days=1), validator=positive_duration)
    """How long after a missed deadline the new time is, as the notice gives it."""
    calendar: BusinessCalendar | None = attrs.field(
        default=None, validator=attrs.validators.optional(is_a(BusinessCalendar))
    )
    """Counts ``new_time_after`` in business time; None: wall-clock time."""

    @property
    def notifies(self) -> bool:
        """Whether a missed deadline is announced to the customer."""
        return self.mode is not LateMode.OFF

    @property
    def escalates(self) -> bool:
        """Whether a missed explicit promise is escalated (once)."""
        return self.mode is not LateMode.NOTIFY

    def new_time(self, missed_at: datetime) -> datetime:
        """The new time given a customer told at ``missed_at`` that a promise is late."""
        if self.calendar is not None:
            return self.calendar.add(missed_at, self.new_time_after)
        return missed_at + self.new_time_after


#: What a late notice says was promised for the acknowledgement's promise of a next contact.
CONTACT_WHAT = "get back to you"


def _watched(case: Case, lateness: Lateness) -> Iterator[Promise]:
    """The open promises lateness looks after: the explicit ones the sweep awaits, and, when
    a miss is announced, the acknowledgement's promise of a next contact (otherwise its
    step's standard and amber warning look after it)."""
    if case.merged_into is not None:
        return
    if lateness.notifies and case.contact_promise is not None and case.contact_promise.is_open:
        yield case.contact_promise
    yield from (p for p in case.promises if p.watched)


def lateness_times(case: Case, lateness: Lateness) -> list[datetime]:
    """When the sweep must look at ``case`` for lateness: each watched promise's deadline
    when misses are announced, and with ``warn_before`` the time to warn its owner."""
    times = []
    for promise in _watched(case, lateness):
        if lateness.notifies:
            times.append(promise.deadline)
        if lateness.warn_before is not None and not promise.warned:
            times.append(promise.deadline - lateness.warn_before)
    return times


def late_promise(case: Case, lateness: Lateness, now: datetime) -> Promise | None:
    """The watched promise whose deadline passed unkept, to announce at ``now``, if any
    (only when ``lateness`` notifies)."""
    if not lateness.notifies:
        return None
    return next((p for p in _watched(case, lateness) if p.overdue(now)), None)


def promise_to_warn(case: Case, lateness: Lateness, now: datetime) -> Promise | None:
    """The watched promise within ``warn_before`` of its deadline whose owner was not yet
    warned, if any."""
    before = lateness.warn_before
    if before is None:
        return None
    return next(
        (
            p
            for p in _watched(case, lateness)
            if not p.warned and instant(p.deadline - before) <= instant(now)
            and not p.overdue(now)
        ),
        None,
    )  # fmt: skip


def warn_promise(case: Case, *, at: datetime, promise: Promise, due_at: Due) -> Case:
    """Record that ``promise``'s owner was warned its deadline is near."""
    require_aware("at", at)
    event = PromiseWarned(
        case_id=case.id, version=case.version + 1, at=at, by="closedloop",
        promise_id=promise.id, due_by=promise.deadline, owner=promise.owner,
    )  # fmt: skip
    return apply_scheduled(case, event, due_at)


def announce_late(
    case: Case, *, at: datetime, promise: Promise, new_due: datetime, told: bool, due_at: Due
) -> Case:
    """Record that ``promise`` missed its deadline and now falls due at ``new_due``, the
    customer told so (``told``) or not (they have no written contact)."""
    require_aware("at", at)
    require_aware("new_due", new_due)
    if not promise.overdue(at) or instant(new_due) <= instant(at):
        raise ValidationError(
            f"promise {promise.id!r} is not overdue at {at}, or {new_due} is not after it"
        )
    event = PromiseLate(
        case_id=case.id, version=case.version + 1, at=at, by="closedloop",
        promise_id=promise.id, was_due=promise.deadline, new_due=new_due,
        what=CONTACT_WHAT if promise == case.contact_promise else promise.what,
        told=told,
    )  # fmt: skip
    return apply_scheduled(case, event, due_at)
