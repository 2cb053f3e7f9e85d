"""Performance standards: how fast each step must happen, and where each case stands.

A :class:`Standard` is a target for one step ("acknowledge within 4 business hours") on a
:class:`~closedloop.BusinessCalendar`, chosen by channel, priority, kind, origin and tag.
:class:`Standards` is the ordered policy: the first standard that matches a case wins, else
the default for that target. Everything here is a pure function of the case and the time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

import attrs

from closedloop.domain.cases.case import Case, memo
from closedloop.domain.cases.events import (
    OriginKind,
    Warned,
)
from closedloop.domain.cases.feedback import FeedbackKind
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle
from closedloop.domain.cases.priority import Priority
from closedloop.domain.checks import (
    each_a,
    instant,
    is_a,
    items,
    positive_duration,
)
from closedloop.domain.errors import ValidationError
from closedloop.domain.latte import Stage, Step
from closedloop.domain.standards.business_time import finish, paused_spans, step_start, used
from closedloop.domain.standards.calendar import BusinessCalendar
from closedloop.domain.standards.selectors import a_set, label_text, named, tag_set
from closedloop.domain.standards.targets import Rag, Target

__all__ = [
    "Deadline",
    "Due",
    "Rag",
    "Standard",
    "Standards",
    "Target",
    "deadlines",
    "due_times",
    "status",
]


#: How a generated name says each step, as the default standards' names do.
_STEPS: dict[Target, str] = {
    Target.ACKNOWLEDGE: "acknowledge",
    Target.TAKE_ACTION: "take action",
    Target.CLOSE_LOOP: "close the loop",
    Target.REPLY: "reply",
    Target.CONTACT: "contact",
}


@attrs.frozen
class Standard:
    """``target`` must be met ``within`` this much business time on ``calendar``.

    It applies to cases whose channel (the one they arrived on: moving a conversation does
    not change its standards), priority, kind and origin are in the given sets, and that
    carry one of its ``tags`` (an empty set matches everything;
    ``origins={OriginKind.RECOVERY}`` picks the cases a low survey score opened). ``name``
    labels it in reports.
    """

    target: Target = attrs.field(validator=is_a(Target))
    """The step it measures."""
    within: timedelta = attrs.field(validator=positive_duration)
    """How much business time the step may take."""
    calendar: BusinessCalendar = attrs.field(validator=is_a(BusinessCalendar))
    """The business calendar `within` counts on."""
    channels: frozenset[str] = attrs.field(
        default=frozenset(), converter=named, validator=[a_set, each_a(str)]
    )
    """Names of the channels it covers (the channel a case arrived on); empty for all."""
    priorities: frozenset[Priority] = attrs.field(
        default=frozenset(), converter=named, validator=[a_set, each_a(Priority)]
    )
    """The priorities it covers; empty for all."""
    kinds: frozenset[FeedbackKind] = attrs.field(
        default=frozenset(), converter=named, validator=[a_set, each_a(FeedbackKind)]
    )
    """The feedback kinds it covers; empty for all."""
    origins: frozenset[OriginKind] = attrs.field(
        default=frozenset(), converter=named, validator=[a_set, each_a(OriginKind)]
    )
    """The origins it covers (`OriginKind.RECOVERY`: cases a low score opened); empty for all."""
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=tag_set)
    """The tags it covers: a case with any of them (`{"vip"}`); empty for all."""
    name: str = attrs.field(default="", validator=label_text)
    """Its label in reports; by default "<step> within <n> business hours" ("take action within
    24 business hours", "close the loop within 1 business hour")."""

    def __attrs_post_init__(self) -> None:
        if not self.name:
            hours = self.within / timedelta(hours=1)
            unit = "business hour" if hours == 1 else "business hours"
            step = _STEPS[self.target]
            object.__setattr__(self, "name", f"{step} within {hours:g} {unit}")

    def applies_to(self, case: Case) -> bool:
        """Whether this standard covers ``case``."""
        return (
            (not self.channels or case.arrival_channel.name in self.channels)
            and (not self.priorities or case.priority in self.priorities)
            and (not self.kinds or case.kind in self.kinds)
            and (not self.origins or (case.origin is not None and case.origin.kind in self.origins))
            and (not self.tags or not self.tags.isdisjoint(case.tags))
        )


def office_hours() -> BusinessCalendar:
    """Monday to Friday, 09:00-17:00 UTC: the calendar of the default standards."""
    return BusinessCalendar.weekdays(time(9), time(17), zone="UTC")


def _defaults() -> tuple[Standard, ...]:
    hours = office_hours()
    day = timedelta(hours=8)
    return (
        Standard(
            Target.CONTACT,
            2 * day,
            hours,
            origins={OriginKind.RECOVERY},
            name="contact a detractor within 2 business days",
        ),
        Standard(
            Target.ACKNOWLEDGE,
            2 * day,
            hours,
            origins={OriginKind.RECOVERY},
            name="acknowledge a detractor within 2 business days",
        ),
        Standard(Target.ACKNOWLEDGE, timedelta(hours=4), hours),
        Standard(Target.TAKE_ACTION, 3 * day, hours, name="take action within 3 business days"),
        Standard(Target.CLOSE_LOOP, 5 * day, hours, name="close the loop within 5 business days"),
        Standard(Target.REPLY, day, hours, name="reply to the customer within 1 business day"),
    )


def _rules(value: Any) -> tuple[Standard, ...]:
    return items("rules")(value)


def _defaults_list(value: Any) -> tuple[Standard, ...]:
    return items("defaults")(value)


def _fraction(instance: Any, attribute: attrs.Attribute[float], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ValidationError.of(
            attribute.name, f"{attribute.name} must be between 0 and 1, got {value!r}"
        )


@attrs.frozen
class Standards:
    """The organisation's standards, in order: the first that matches a case wins.

    ``defaults`` holds the standards for cases no rule matches. By default, on business
    hours Monday to Friday 09:00-17:00 UTC: speak in person to the customer behind a low
    survey score, and acknowledge their case, within 2 business days; acknowledge other
    cases within 4 business hours; take action within 3 business days of 8 hours; close the
    loop within 5; reply to a customer who wrote again within 1 business day. A step is
    AMBER once ``amber_at`` of its time is used (75% by default).
    """

    rules: tuple[Standard, ...] = attrs.field(
        default=(), converter=_rules, validator=each_a(Standard)
    )
    """The organisation's standards, in order: the first that matches wins."""
    defaults: tuple[Standard, ...] = attrs.field(
        factory=_defaults, converter=_defaults_list, validator=each_a(Standard)
    )
    """The standards for cases no rule matches."""
    amber_at: float = attrs.field(default=0.75, validator=_fraction)
    """The share of the allowed time after which a step is AMBER (0.75)."""

    def for_case(self, case: Case, target: Target) -> Standard | None:
        """The standard that measures ``target`` for ``case``, if any."""
        for standard in (*self.rules, *self.defaults):
            if standard.target is target and standard.applies_to(case):
                return standard
        return None


@attrs.frozen
class Deadline:
    """Where one pending step of a case stands.

    ``due_at`` is None while the case waits for the customer (the clock is stopped).
    ``used`` is the share of the allowed time spent so far, pauses excluded.
    """

    target: Target
    """The pending step."""
    standard: Standard
    """The standard that measures it."""
    started_at: datetime
    """When its clock started."""
    due_at: datetime | None
    """When it is due; None while the clock is stopped."""
    amber_at: datetime | None
    """When it turns AMBER; None while the clock is stopped."""
    used: float
    """The share of the allowed time spent so far, pauses excluded."""
    rag: Rag
    """Green, amber or red."""


def pending_targets(case: Case, lifecycle: Lifecycle = LATTE) -> tuple[Target, ...]:
    """The targets still to be met by ``case``, given its stage and kind."""
    if not case.is_active:
        return ()
    targets = []
    if case.stage is Stage.LISTENED:
        targets.append(Target.ACKNOWLEDGE)
    elif case.awaiting_reply_since is not None:
        targets.append(Target.REPLY)
    if (
        case.origin is not None
        and case.origin.kind is OriginKind.RECOVERY
        and case.contacted_at is None
    ):
        targets.append(Target.CONTACT)
    if case.stage in (Stage.LISTENED, Stage.ACKNOWLEDGED) and Step.TAKE_ACTION in (
        lifecycle.steps_for(case.kind)
    ):
        targets.append(Target.TAKE_ACTION)
    targets.append(Target.CLOSE_LOOP)
    return tuple(targets)


@attrs.frozen
class Due:
    """When one pending step of a case is due (None while the clock is stopped), and when
    it turns amber (None unless asked for)."""

    target: Target
    standard: Standard
    started_at: datetime
    due_at: datetime | None
    amber_at: datetime | None


def due_times(
    case: Case, standards: Standards, *, amber: bool = False, lifecycle: Lifecycle = LATTE
) -> tuple[Due, ...]:
    """When each pending step of ``case`` is due, from its events alone; the cheap part of
    :func:`deadlines`, for scheduling. ``amber`` adds when each turns amber.

    Kept on the case (for these standards and lifecycle): a step's scheduling, its RAG
    instants and its report facts all ask it of the same new case."""
    kept = memo(case).get("due_times")
    if (
        not isinstance(kept, _Kept)
        or kept.standards is not standards
        or (kept.lifecycle is not lifecycle)
    ):
        kept = memo(case)["due_times"] = _Kept(standards, lifecycle)
    if amber:
        if kept.amber is None:
            kept.amber = _due_times(case, standards, True, lifecycle)
        return kept.amber
    if kept.plain is None:
        kept.plain = (
            _due_times(case, standards, False, lifecycle)
            if kept.amber is None
            else tuple(Due(d.target, d.standard, d.started_at, d.due_at, None) for d in kept.amber)
        )
    return kept.plain


@attrs.define
class _Kept:
    """A case's due times under one policy, with and without the amber instants."""

    standards: Standards
    lifecycle: Lifecycle
    amber: tuple[Due, ...] | None = None
    plain: tuple[Due, ...] | None = None


def _due_times(
    case: Case, standards: Standards, amber: bool, lifecycle: Lifecycle
) -> tuple[Due, ...]:
    found = []
    for target in pending_targets(case, lifecycle):
        standard = standards.for_case(case, target)
        if standard is None:
            continue
        start = step_start(case, target)
        pauses = paused_spans(case, start, target)
        due = finish(standard.calendar, start, standard.within, pauses)
        amber_at = (
            finish(standard.calendar, start, standard.within * standards.amber_at, pauses)
            if amber
            else None
        )
        found.append(Due(target, standard, start, due, amber_at))
    return tuple(found)


def deadlines(
    case: Case, standards: Standards, now: datetime, lifecycle: Lifecycle = LATTE
) -> tuple[Deadline, ...]:
    """Every pending step of ``case`` with its deadline and RAG status at ``now``.

    Computed from the case's events alone, so a replayed case gives the same answer.
    """
    found = []
    for due in due_times(case, standards, amber=True, lifecycle=lifecycle):
        standard = due.standard
        pauses = paused_spans(case, due.started_at, due.target)
        share = used(standard.calendar, due.started_at, now, pauses) / standard.within
        if due.due_at is not None and instant(now) > instant(due.due_at):
            rag = Rag.RED
        elif share >= standards.amber_at:
            rag = Rag.AMBER
        else:
            rag = Rag.GREEN
        found.append(
            Deadline(due.target, standard, due.started_at, due.due_at, due.amber_at, share, rag)
        )
    return tuple(found)


def status(pending: Iterable[Deadline]) -> Rag:
    """The worst RAG status of a case's pending steps (GREEN when none are pending)."""
    order = (Rag.GREEN, Rag.AMBER, Rag.RED)
    return max((d.rag for d in pending), key=order.index, default=Rag.GREEN)


def warned(case: Case, deadline: Deadline | Due) -> bool:
    """Whether the owner was already warned about this pending step."""
    return any(
        isinstance(e, Warned)
        and e.target == deadline.target.value
        and instant(e.at) >= instant(deadline.started_at)
        for e in case.events
    )
