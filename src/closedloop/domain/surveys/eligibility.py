"""May we invite this customer to a survey, now, about this? One pure function decides.

Every "no" carries its reason, so a host can record why a survey did not go out — the
survey that should never have gone out (a customer nobody answered) is the first reason.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.contact import Lapsed
from closedloop.domain.cases.events import Acknowledged, CustomerEscalated, Reopened
from closedloop.domain.cases.queues import Queue
from closedloop.domain.checks import (
    LONGEST,
    instant,
    is_a,
    items,
    positive_duration,
    require_aware,
    require_count,
    require_duration,
    require_text,
    shown,
)
from closedloop.domain.errors import ValidationError
from closedloop.domain.surveys.survey import Survey

__all__ = ["Contact", "Decision", "Reason", "SurveyRules", "eligibility"]


class Reason(enum.Enum):
    """Why an invitation is suppressed; ``description`` says it in words."""

    NEVER_ANSWERED = "never_answered"
    """The case was never answered: nobody acknowledged or replied to it (for a relationship
    survey: one of the customer's open cases)."""
    LOOP_OPEN = "loop_open"
    """The loop is not closed yet."""
    NOT_A_REAL_CASE = "not_a_real_case"
    """The case was closed without a conversation (auto-closed — by the host, or by
    closedloop when the customer never answered — merged or spam)."""
    OPTED_OUT = "opted_out"
    """The customer opted out of surveys on this channel."""
    SNOOZED = "snoozed"
    """The customer snoozed surveys."""
    COOLDOWN = "cooldown"
    """The customer was surveyed too recently."""
    SURVEY_COOLDOWN = "survey_cooldown"
    """The customer was asked this survey too recently."""
    NOT_SAMPLED = "not_sampled"
    """Not in this survey's sample."""
    REPLY_WINDOW_CLOSED = "reply_window_closed"
    """The channel's reply window has closed."""
    STAFF = "staff"
    """The requester is a member of staff."""
    ERASED = "erased"
    """The customer was erased: nobody is behind the pseudonym."""
    NOT_WRITTEN = "not_written"
    """The channel carries no written message, and no written address is linked."""

    @property
    def description(self) -> str:
        """The reason as a sentence, for people."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    Reason.NEVER_ANSWERED: (
        "the case was never answered: nobody acknowledged or replied to it (or, for a survey "
        "about no case, one of the customer's open cases)"
    ),
    Reason.LOOP_OPEN: "the loop is not closed yet",
    Reason.NOT_A_REAL_CASE: (
        "the case was closed without a conversation (auto-closed, by the host or for the "
        "customer's silence, merged or spam)"
    ),
    Reason.OPTED_OUT: "the customer opted out of surveys on this channel",
    Reason.SNOOZED: "the customer snoozed surveys",
    Reason.COOLDOWN: "the customer was surveyed too recently",
    Reason.SURVEY_COOLDOWN: "the customer was asked this survey too recently",
    Reason.NOT_SAMPLED: "not in this survey's sample",
    Reason.REPLY_WINDOW_CLOSED: "the channel's reply window has closed",
    Reason.STAFF: "the requester is a member of staff",
    Reason.ERASED: "the customer was erased: nobody is behind the pseudonym",
    Reason.NOT_WRITTEN: (
        "the channel carries no written message and the customer has no written address linked"
    ),
}


@attrs.frozen
class Decision:
    """Allowed, or suppressed with the reason (the first rule that said no)."""

    allowed: bool
    """Whether the invitation may go out."""
    reason: Reason | None = None
    """Why not, when it may not (the first rule that said no); None when allowed."""

    def __str__(self) -> str:
        return (
            "allowed"
            if self.allowed
            else f"suppressed: {self.reason.description if self.reason else ''}"
        )


def _names(field: str) -> Callable[[Any], frozenset[str]]:
    """attrs converter: a set of names (channels, case statuses)."""

    def convert(value: Any) -> frozenset[str]:
        listed = items(field)(value)
        for name in listed:
            require_text(field, name)
        return frozenset(listed)

    return convert


def _opted_out(value: Any) -> frozenset[str]:
    return _names("opted_out")(value)


def _not_real(value: Any) -> frozenset[str]:
    return _names("not_real")(value)


def _times(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping):
        raise ValidationError.of(
            attribute.name,
            f"{attribute.name} must map survey names to datetimes, got {shown(value)}",
        )
    for name, at in value.items():
        require_text(attribute.name, name)
        require_aware(attribute.name, at)


def _optional_time(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        require_aware(attribute.name, value)


def _span(instance: object, attribute: attrs.Attribute[timedelta], value: object) -> None:
    if not isinstance(value, timedelta) or not timedelta(0) <= value <= LONGEST:
        raise ValidationError.of(
            attribute.name,
            f"{attribute.name} must be a timedelta from zero to {LONGEST.days} days, "
            f"got {shown(value)}",
        )


def _windows(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping):
        raise ValidationError.of(
            attribute.name,
            f"reply_windows must map channel names to timedeltas, got {shown(value)}",
        )
    for name, window in value.items():
        require_text("reply_windows", name)
        require_duration("reply_windows", window)


@attrs.frozen
class Contact:
    """What the host knows of a customer's survey history and wishes.

    ``invited`` and ``answered`` map survey names to the last time the customer was invited
    to, or answered, that survey; ``opted_out`` names channels; ``snoozed_until`` pauses all
    surveys; ``staff`` marks a requester who works for the organisation.
    """

    invited: Mapping[str, datetime] = attrs.field(factory=dict, validator=_times)
    """Survey name to the last time the customer was invited to it."""
    answered: Mapping[str, datetime] = attrs.field(factory=dict, validator=_times)
    """Survey name to the last time they answered it."""
    opted_out: frozenset[str] = attrs.field(factory=frozenset, converter=_opted_out)
    """Names of the channels on which they want no surveys."""
    snoozed_until: datetime | None = attrs.field(default=None, validator=_optional_time)
    """No surveys at all before this time; None when not snoozed."""
    staff: bool = attrs.field(default=False, validator=is_a(bool))
    """True for a requester who works for the organisation (never surveyed)."""


def _fraction(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValidationError.of(
            attribute.name, f"{attribute.name} must be more than 0 and at most 1, got {value!r}"
        )


def _count(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    require_count(attribute.name, value)


@attrs.frozen
class SurveyRules:
    """The organisation's survey etiquette.

    ``cooldown`` spaces any two surveys to one customer; ``survey_cooldown`` spaces the same
    survey; both count from the last invitation or the last answer, whichever is later.
    ``sample`` is the share of eligible customers invited (decided by a stable hash, so the
    same customer and survey always get the same answer). ``reply_windows`` gives, per
    channel name, how long after the customer's last message a reply may still be sent
    (a messaging platform's 24-hour window, say).

    An invitation that goes out expires ``expires_after`` it was made (7 days), and the
    customer is reminded up to ``reminders`` times, every ``remind_after``, while it is open.
    """

    cooldown: timedelta = attrs.field(default=timedelta(days=30), validator=_span)
    """The least time between any two surveys to one customer."""
    survey_cooldown: timedelta = attrs.field(default=timedelta(days=90), validator=_span)
    """The least time between two invitations to the same survey."""
    sample: float = attrs.field(default=1.0, validator=_fraction)
    """The share of eligible customers invited (1.0: all)."""
    reply_windows: Mapping[str, timedelta] = attrs.field(factory=dict, validator=_windows)
    """Channel name to how long after the customer's last message a reply may still be sent."""
    not_real: frozenset[str] = attrs.field(
        default=frozenset({"auto_closed", "merged", "spam"}), converter=_not_real
    )
    """Case statuses that had no real conversation and get no survey (`"auto_closed"`, `"merged"`,
    `"spam"`)."""
    expires_after: timedelta = attrs.field(default=timedelta(days=7), validator=positive_duration)
    """How long an invitation stays open after it was made."""
    reminders: int = attrs.field(default=1, validator=_count)
    """How many reminders an open invitation gets."""
    remind_after: timedelta = attrs.field(default=timedelta(days=3), validator=positive_duration)
    """The time before each reminder."""


def _last(times: Iterable[datetime | None]) -> datetime | None:
    return max((t for t in times if t is not None), key=instant, default=None)


def _sampled(customer: str, survey: Survey, share: float) -> bool:
    if share >= 1:
        return True
    digest = hashlib.sha256(f"{survey.name}\x00{customer}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _answered(case: Case) -> bool:
    return any(isinstance(e, Acknowledged) for e in case.events)


def _lapsed(case: Case) -> bool:
    """Closed by closedloop because the customer never answered (not reopened since)."""
    ends = [e for e in case.events if isinstance(e, Lapsed | Reopened)]
    return case.is_closed and bool(ends) and isinstance(ends[-1], Lapsed)


def eligibility(
    *,
    customer: str,
    survey: Survey,
    channel: Channel,
    now: datetime,
    contact: Contact,
    rules: SurveyRules,
    case: Case | None = None,
    case_status: str | None = None,
    their_cases: Sequence[Case] = (),
) -> Decision:
    """Whether ``customer`` may be invited to ``survey`` on ``channel`` at ``now``.

    Give ``case`` for a survey about a case (a transactional survey); leave it out for a
    relationship survey, and give ``their_cases`` instead: the customer's cases, so one
    nobody answered keeps the survey back. ``case_status`` is the host's word for how the
    case ended, if not by closing the loop (``"auto_closed"``, ``"merged"``, ``"spam"``).
    The same inputs always give the same decision.
    """
    require_aware("now", now)

    def no(reason: Reason) -> Decision:
        return Decision(False, reason)

    if contact.staff:
        return no(Reason.STAFF)
    # By the queue a case is in, kept on it: no history read for each of their cases.
    if case is None and any(c.queue is Queue.UNANSWERED for c in their_cases):
        return no(Reason.NEVER_ANSWERED)
    if case is not None:
        if not _answered(case):
            return no(Reason.NEVER_ANSWERED)
        if case_status in rules.not_real or case.merged_into is not None or _lapsed(case):
            return no(Reason.NOT_A_REAL_CASE)
        if not case.is_closed:
            return no(Reason.LOOP_OPEN)
        window = rules.reply_windows.get(channel.name)
        last_message = _last(
            [case.messages[-1].received_at]
            + [e.at for e in case.events if isinstance(e, Reopened | CustomerEscalated)]
        )
        closes = None if window is None or last_message is None else instant(last_message) + window
        if closes is not None and instant(now) > closes:
            return no(Reason.REPLY_WINDOW_CLOSED)
    if channel.name in contact.opted_out:
        return no(Reason.OPTED_OUT)
    if contact.snoozed_until is not None and instant(now) < instant(contact.snoozed_until):
        return no(Reason.SNOOZED)
    last_any = _last([*contact.invited.values(), *contact.answered.values()])
    if last_any is not None and instant(now) < instant(last_any) + rules.cooldown:
        return no(Reason.COOLDOWN)
    last_this = _last([contact.invited.get(survey.name), contact.answered.get(survey.name)])
    if last_this is not None and instant(now) < instant(last_this) + rules.survey_cooldown:
        return no(Reason.SURVEY_COOLDOWN)
    if not _sampled(customer, survey, rules.sample):
        return no(Reason.NOT_SAMPLED)
    return Decision(True)
