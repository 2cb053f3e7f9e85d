"""Escalation: the ladder a late case climbs, and the events that record it.

Time-based escalation (a breached standard, found by the sweep) and customer-driven
escalation (the customer went to the ombudsman or an executive) are recorded apart: a
customer who had to escalate although a standard was already breached is the avoidable
escalation reports count.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.events import (
    CustomerEscalated,
    Escalated,
    Rescheduled,
    Scheduled,
    Warned,
)
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle
from closedloop.domain.cases.promises import Promise
from closedloop.domain.cases.steps import Due, apply_scheduled
from closedloop.domain.checks import (
    instant,
    is_a,
    items,
    non_empty,
    positive_duration,
    require_actor,
    require_aware,
    require_key,
    require_text,
)
from closedloop.domain.errors import ValidationError
from closedloop.domain.standards.calendar import BusinessCalendar
from closedloop.domain.standards.lateness import Lateness, lateness_times
from closedloop.domain.standards.standard import (
    Deadline,
    Standards,
    deadlines,
    due_times,
    office_hours,
    warned,
)
from closedloop.domain.standards.standard import Due as DueTime

__all__ = [
    "TEAM_LEAD",
    "Ladder",
    "Rung",
    "customer_escalate",
    "escalate",
    "escalate_promise",
    "next_due",
    "next_rung_at",
    "reschedule",
    "warn",
]


TEAM_LEAD: Final = "<team lead>"
"""A rung recipient meaning "the lead of the case's team" (``Policy.teams``), found when
the alert is sent: ``Rung("team lead", (TEAM_LEAD,))``. A case in no team, or in a team
without a lead, alerts ``Ladder.without_lead`` instead."""


def _recipients(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ValidationError.of(
            "recipients", f"recipients must be a list of addresses, got the string {value!r}"
        )
    recipients = items("recipients")(value)
    for recipient in recipients:
        require_key("recipients", recipient)  # each is a notification's ``to``
    return recipients


def _name(instance: Any, attribute: attrs.Attribute[str], value: object) -> None:
    non_empty(instance, attribute, value)
    require_text(attribute.name, value, limit=200)


@attrs.frozen
class Rung:
    """One level of the ladder: who is alerted, and how long (in business time) a case
    may stay at the level below before it climbs to this one. The first rung is reached at
    the breach itself, so its ``after`` is not used."""

    name: str = attrs.field(validator=_name)
    """The rung's name in alerts and reports (`"team lead"`)."""
    recipients: tuple[str, ...] = attrs.field(converter=_recipients)
    """Who is alerted when a case reaches it."""
    after: timedelta = attrs.field(default=timedelta(hours=8), validator=positive_duration)
    """Business time a case may stay at the level below before it climbs here (not used by the first
    rung)."""


def _default_rungs() -> tuple[Rung, ...]:
    return (
        Rung("team lead", ("team-lead",)),
        Rung("head of service quality", ("head-of-service-quality",), timedelta(hours=16)),
        Rung("executive", ("executive",), timedelta(hours=24)),
    )


def _address(instance: Any, attribute: attrs.Attribute[str], value: object) -> None:
    require_key(attribute.name, value)
    if value == TEAM_LEAD:
        raise ValidationError.of(attribute.name, "without_lead must be an address, not TEAM_LEAD")


def _rungs(value: Any) -> tuple[Rung, ...]:
    return items("rungs")(value)


def _some(
    instance: Any, attribute: attrs.Attribute[tuple[Rung, ...]], value: tuple[Rung, ...]
) -> None:
    if not value or not all(isinstance(r, Rung) and r.recipients for r in value):
        raise ValidationError.of(
            "rungs", "a ladder needs at least one rung (rungs=...), each with recipients"
        )


@attrs.frozen
class Ladder:
    """Where late cases go: level 0 is the case's owner; level ``n`` is ``rungs[n - 1]``.

    A breach lifts a case to the first rung at once; each further rung follows after that
    rung's ``after`` of business time on ``calendar`` if the case is still late. With
    ``hold_until_open``, alerts wait in the outbox until the calendar is open.
    """

    rungs: tuple[Rung, ...] = attrs.field(factory=_default_rungs, converter=_rungs, validator=_some)
    """The levels above the owner, lowest first."""
    calendar: BusinessCalendar = attrs.field(factory=office_hours, validator=is_a(BusinessCalendar))
    """The business calendar `Rung.after` counts on."""
    channel: Channel = attrs.field(default=Channel.EMAIL, validator=is_a(Channel))
    """The channel escalation alerts go out on."""
    hold_until_open: bool = attrs.field(default=False, validator=is_a(bool))
    """Whether alerts wait in the outbox until the calendar is open."""
    without_lead: str = attrs.field(default="team-lead", validator=_address)
    """Where a `TEAM_LEAD` alert goes for a case without a team, or whose team has no lead
    (`"team-lead"`, the default ladder's first address)."""

    def recipients_of(self, rung: Rung, lead: str | None) -> tuple[str, ...]:
        """Who ``rung`` alerts about a case whose team's lead is ``lead``: `TEAM_LEAD`
        becomes ``lead`` (``without_lead`` when None), each address once."""
        found = ((lead or self.without_lead) if to == TEAM_LEAD else to for to in rung.recipients)
        return tuple(dict.fromkeys(found))

    @property
    def top(self) -> int:
        """The highest level."""
        return len(self.rungs)

    def rung(self, level: int) -> Rung:
        """The rung at ``level`` (1 to :attr:`top`)."""
        return self.rungs[level - 1]


def next_rung_at(case: Case, ladder: Ladder) -> datetime | None:
    """The earliest instant a late case may climb again: None at the top of the ladder,
    the distant past at level 0 (a breach climbs at once), else the last escalation plus
    the next rung's wait."""
    level = case.escalation_level
    if level >= ladder.top:
        return None
    last = (
        None
        if level == 0
        else next((e.at for e in reversed(case.events) if isinstance(e, Escalated)), None)
    )
    if last is None:
        return datetime.min.replace(tzinfo=UTC)
    return ladder.calendar.add(last, ladder.rung(level + 1).after)


def next_due(
    case: Case,
    standards: Standards,
    ladder: Ladder,
    *,
    warn_at_amber: bool = False,
    lifecycle: Lifecycle = LATTE,
    lateness: Lateness | None = None,
) -> datetime | None:
    """The next instant the sweep must look at ``case`` (its ``due_at``), or None.

    That is the earliest of: a pending deadline, if the case can still climb (at once from
    level 0; after the current rung's wait above it); and, with ``warn_at_amber``, an amber
    threshold not yet warned about; the due time of an open promise not yet escalated (the
    only one a closed case can have); and when a pause ends (a paused step has no deadline);
    and, with ``lateness``, when a promise's owner is warned or its miss announced.
    """
    promise = case.next_promise_due  # promises are watched even on a closed case
    climb = next_rung_at(case, ladder)
    if promise is not None and climb is not None:  # one rung per wait (see the sweep)
        promise = max(promise, climb, key=instant)
    times: list[datetime] = [] if promise is None else [promise]
    if lateness is not None:
        times.extend(lateness_times(case, lateness))
    if case.is_closed:
        return min(times, key=instant, default=None)
    # With the amber instants even when not warning: RAG then reads them from the case.
    pending = due_times(case, standards, amber=True, lifecycle=lifecycle)
    if case.pause is not None and case.pause.resume_by is not None:
        times.append(case.pause.resume_by)  # resume it, or tell a silent customer
    breach = min((d.due_at for d in pending if d.due_at is not None), key=instant, default=None)
    if breach is not None and climb is not None:
        times.append(max(breach, climb, key=instant))
    if warn_at_amber:
        # Not for a step red already as the case stands: escalation has it, not a warning.
        last = instant(case.events[-1].at)
        times.extend(
            d.amber_at
            for d in pending
            if d.amber_at is not None and d.due_at is not None and not warned(case, d)
            and instant(d.amber_at) < instant(d.due_at) and instant(d.due_at) > last
        )  # fmt: skip
    return min(times, key=instant, default=None)


def _check(case: Case, at: datetime, by: str) -> None:
    require_aware("at", at)
    require_actor(by)


def escalate(
    case: Case, *, at: datetime, ladder: Ladder, breached: Deadline | DueTime, due_at: Due
) -> Case:
    """Time-based escalation: one rung up, because ``breached`` (a deadline, or a step's
    due time) is late."""
    _check(case, at, "closedloop")
    if case.escalation_level >= ladder.top:
        raise ValidationError(f"case {case.id!r} is already at the top of the ladder")
    level = case.escalation_level + 1
    event = Escalated(
        case_id=case.id, version=case.version + 1, at=at, by="closedloop", level=level,
        rung=ladder.rung(level).name, target=breached.target.value,
        standard=breached.standard.name,
    )  # fmt: skip
    return _with_due(case, event, due_at)


def escalate_promise(
    case: Case, *, at: datetime, ladder: Ladder, promise: Promise, due_at: Due
) -> Case:
    """An overdue promise: one rung up (the top rung is alerted again), once per promise."""
    _check(case, at, "closedloop")
    if promise.escalated or not promise.overdue(at):
        raise ValidationError(f"promise {promise.id!r} is not overdue and unescalated at {at}")
    level = min(case.escalation_level + 1, ladder.top)
    event = Escalated(
        case_id=case.id, version=case.version + 1, at=at, by="closedloop", level=level,
        rung=ladder.rung(level).name, target="promise", standard=promise.what,
        promise_id=promise.id,
    )  # fmt: skip
    return _with_due(case, event, due_at)


def warn(case: Case, *, at: datetime, amber: Deadline, due_at: Due) -> Case:
    """Record that the owner was warned that a pending step turned amber."""
    _check(case, at, "closedloop")
    event = Warned(
        case_id=case.id, version=case.version + 1, at=at, by="closedloop",
        target=amber.target.value, standard=amber.standard.name,
    )  # fmt: skip
    return _with_due(case, event, due_at)


def customer_escalate(
    case: Case,
    *,
    at: datetime,
    by: str,
    to: str,
    channel: Channel,
    standards: Standards,
    due_at: Due,
    done_late: bool = False,
    lifecycle: Lifecycle = LATTE,
) -> Case:
    """The customer escalated: record where, whether a standard was already breached (a
    deadline passed, an escalation by the ladder, or ``done_late``: a step done after its
    deadline, as the caller measured), and raise the case's priority."""
    _check(case, at, by)
    if not isinstance(to, str) or not to.strip():
        raise ValidationError.of("to", f"to must say where the customer went, got {to!r}")
    if not isinstance(channel, Channel):
        raise ValidationError.of(
            "channel", f"channel must be a Channel (e.g. Channel.OMBUDSMAN), got {channel!r}"
        )
    breached = done_late or any(
        d.due_at is not None and instant(d.due_at) < instant(at)
        for d in deadlines(case, standards, at, lifecycle)
    )
    breached = breached or any(isinstance(e, Escalated) for e in case.events)
    event = CustomerEscalated(
        case_id=case.id, version=case.version + 1, at=at, by=by, to=to, channel=channel,
        breached=breached, priority=case.priority.raised(),
    )  # fmt: skip
    return _with_due(case, event, due_at)


def reschedule(case: Case, *, at: datetime, due_at: Due) -> Case:
    """Record a recomputed next due time (after the policy changed under the case)."""
    _check(case, at, "closedloop")
    event = Rescheduled(case_id=case.id, version=case.version + 1, at=at, by="closedloop")
    return _with_due(case, event, due_at)


def _with_due(case: Case, event: Scheduled, due_at: Due) -> Case:
    return apply_scheduled(case, event, due_at)
