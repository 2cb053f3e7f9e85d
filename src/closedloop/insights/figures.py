"""What a report holds: the figures of one period, as plain frozen values."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import attrs

from closedloop.domain.cases.events import Kano
from closedloop.domain.cases.promises import PromiseFigures
from closedloop.domain.customers.nolog import NoLog
from closedloop.domain.errors import ValidationError
from closedloop.domain.standards.standard import Rag, Target
from closedloop.domain.surveys.recovery import RecoveryFigures
from closedloop.domain.surveys.scoring import CesResult, CsatResult, NpsResult

__all__ = [
    "Count",
    "Insights",
    "Kpi",
    "KpiThresholds",
    "NpsWeek",
    "Queue",
    "RootCause",
    "Scorecard",
    "Section",
    "Waiting",
]


def _share(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValidationError.of(name, f"{name} must be a share from 0 to 1, got {value!r}")
    return float(value)


@attrs.frozen
class KpiThresholds:
    """When a standard's KPI is green (at least ``green_at`` of its steps met, 90% by
    default), amber (at least ``amber_at``, 75%) or red."""

    green_at: float = 0.9
    """The share of steps met from which a KPI is green (0.9)."""
    amber_at: float = 0.75
    """The share from which it is amber (0.75); below it, red."""

    def __attrs_post_init__(self) -> None:
        _share(self.green_at, "green_at")
        _share(self.amber_at, "amber_at")
        if self.amber_at > self.green_at:
            raise ValidationError.of(  # named like until after since: the upper one
                "green_at",
                f"amber_at ({self.amber_at}) must not be above green_at ({self.green_at})",
            )

    def rag(self, share: float | None) -> Rag | None:
        """The RAG status of a share met (None when nothing was measured)."""
        if share is None:
            return None
        if share >= self.green_at:
            return Rag.GREEN
        return Rag.AMBER if share >= self.amber_at else Rag.RED


@attrs.frozen
class Kpi:
    """One standard over a period: how many of its steps fell in the period (done in it,
    or overdue in it and still not done), how many were met, and the p50 and p90 time the
    done ones took (wall-clock, from when the clock started)."""

    target: Target
    """The step the standard measures."""
    standard: str
    """The standard's name (`Standard.name`)."""
    measured: int
    """Steps that fell in the period: done in it, or overdue in it and still not done."""
    met: int
    """Of those, the ones done by their deadline."""
    p50: timedelta | None
    """The median wall-clock time the done steps took; None when none was done."""
    p90: timedelta | None
    """The 90th percentile of that time; None when none was done."""
    rag: Rag | None
    """Green, amber or red by `KpiThresholds`; None when nothing was measured."""

    @property
    def share_met(self) -> float | None:
        """``met / measured``, or None when nothing was measured."""
        return self.met / self.measured if self.measured else None


@attrs.frozen
class Section:
    """The figures of the cases opened in the period (all of them, or one channel,
    priority or kind), as they stood at its end, and the standards measured in it."""

    opened: int
    """Cases opened in the period."""
    closed: int
    """Of those, closed at the end of the period."""
    ever_closed: int
    """Of those, the ones whose loop closed at least once."""
    reopened: int
    """Of those, reopened at least once."""
    escalated: int
    """Of those, escalated at all, by the sweep or the customer."""
    escalated_by_time: int
    """Escalated by the sweep: a standard or a promise missed."""
    escalated_by_customer: int
    """Escalated by the customer (an ombudsman, an executive)."""
    avoidable: int
    """Customer escalations made after one of our own standards was already breached."""
    hand_offs: int
    """Total times a case moved from one owner to another (`Case.effort`)."""
    channel_switches: int
    """Total times a conversation changed channel (the customer's doing, or a move)."""
    repeat_contacts: int
    """Total times a customer wrote again before anyone answered."""
    repeats: int
    """Total messages in which the customer had to repeat themselves (`Feedback.repeated`)."""
    kpis: tuple[Kpi, ...]
    """One KPI per standard measured in the period."""

    @property
    def closure_rate(self) -> float | None:
        """Share of the cases opened whose loop is closed."""
        return _rate(self.closed, self.opened)

    @property
    def reopen_rate(self) -> float | None:
        """Share of the cases whose loop closed at least once that were reopened."""
        return _rate(self.reopened, self.ever_closed)

    @property
    def escalation_rate(self) -> float | None:
        """Share of the cases opened that were escalated at all."""
        return _rate(self.escalated, self.opened)

    @property
    def time_escalation_rate(self) -> float | None:
        """Share of the cases opened escalated by the sweep (a standard or promise missed)."""
        return _rate(self.escalated_by_time, self.opened)

    @property
    def customer_escalation_rate(self) -> float | None:
        """Share of the cases opened that the customer escalated."""
        return _rate(self.escalated_by_customer, self.opened)

    @property
    def avoidable_share(self) -> float | None:
        """Share of customer-escalated cases escalated after a standard was already missed."""
        return _rate(self.avoidable, self.escalated_by_customer)

    def per_case(self, total: int) -> float | None:
        """An effort total spread over the cases opened."""
        return _rate(total, self.opened)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@attrs.frozen
class Waiting:
    """A case nobody had answered at the end of the period."""

    case_id: str
    """The case's id."""
    channel: str
    """The name of the channel it arrived on."""
    customer: str
    """The customer's handle."""
    subject: str
    """What the matter is."""
    opened_at: datetime
    """When it opened."""
    age: timedelta
    """How long it had waited at the end of the period."""


@attrs.frozen
class Count:
    """A labelled count: a bucket of a distribution, a channel in a queue."""

    label: str
    """What is counted: a bucket (`"< 4h"`) or a channel's name."""
    count: int
    """How many."""


@attrs.frozen
class Queue:
    """The unanswered queue across channels at the end of the period: how many, the
    oldest first, and how many by age and by channel."""

    total: int
    """Unanswered cases at the end of the period."""
    oldest: tuple[Waiting, ...]
    """The oldest of them, oldest first (20 by default)."""
    by_age: tuple[Count, ...]
    """How many by age: < 4h, 4-24h, 1-3 days, 3-7 days, 7+ days."""
    by_channel: tuple[Count, ...]
    """How many by the channel they arrived on."""


@attrs.frozen
class NpsWeek:
    """NPS of the answers received in the week starting ``week`` (a Monday)."""

    week: date
    """The Monday the week starts on (UTC)."""
    nps: NpsResult
    """NPS of the answers received that week."""


@attrs.frozen
class RootCause:
    """A root cause recorded at Explain, its Kano tag, and how many loops it closed."""

    label: str
    """The root cause, as recorded at Explain."""
    kano: Kano | None
    """Its Kano tag; None if untagged."""
    count: int
    """Loops it closed in the period."""
    examples: tuple[str, ...]
    """Ids of the first cases (up to 3) it closed."""


@attrs.frozen
class Scorecard:
    """One agent's, team's or tag's figures over the period (``docs/insights.md``): the
    section of the cases that were theirs at the period's end, and the CSAT and NPS of
    the answers received in the period about those cases."""

    name: str | None
    """The owner, team or tag; None for the cases of nobody (unassigned, no team)."""
    section: Section
    """Cases opened, closed, reopened, escalated, hand-offs, and each standard's KPI."""
    csat: CsatResult
    """CSAT of the answers received in the period about these cases."""
    nps: NpsResult
    """NPS of those answers."""

    @property
    def measured(self) -> int:
        """Steps measured against any standard."""
        return sum(k.measured for k in self.section.kpis)

    @property
    def met(self) -> int:
        """Of those, the ones met."""
        return sum(k.met for k in self.section.kpis)

    @property
    def share_met(self) -> float | None:
        """``met / measured`` over every standard; None when nothing was measured."""
        return _rate(self.met, self.measured)

    def main_kpi(self, target: Target) -> Kpi | None:
        """The KPI of the standard for ``target`` with the most steps measured (the first
        such, by name, on a tie); None if none was measured."""
        found = [k for k in self.section.kpis if k.target is target]
        return max(found, key=lambda k: k.measured, default=None)


@attrs.frozen
class Insights:
    """Every figure of the period ``[since, until)``; see ``docs/insights.md``."""

    since: datetime
    """The start of the period (included)."""
    until: datetime
    """Its end (not included)."""
    thresholds: KpiThresholds
    """The KPI thresholds used."""
    overall: Section
    """The figures of every case."""
    by_channel: tuple[tuple[str, Section], ...]
    """The same figures per channel name (the channel a case arrived on)."""
    by_priority: tuple[tuple[str, Section], ...]
    """Per priority (its value: `"high"`)."""
    by_kind: tuple[tuple[str, Section], ...]
    """Per feedback kind (its value: `"complaint"`)."""
    unanswered: Queue
    """The unanswered queue at the end of the period."""
    time_to_acknowledge: tuple[Count, ...]
    """Cases opened and acknowledged in the period, by wall-clock time to the first acknowledgement:
    < 1h, 1-4h, 4-8h, 8-24h, 1-2 days, 2-5 days, 5+ days."""
    nps: NpsResult
    """NPS of the answers received in the period, with its 95% interval."""
    nps_weekly: tuple[NpsWeek, ...]
    """NPS week by week."""
    csat: CsatResult
    """CSAT of the answers received in the period."""
    ces: CesResult
    """CES (1-5) of the answers received in the period."""
    ces2: CesResult
    """CES2 (1-7) of the answers received in the period."""
    recovery: RecoveryFigures
    """Low scores and "contact me" answers, and how their recovery went."""
    promises: PromiseFigures
    """Promises due in the period: kept on time, kept late, still open."""
    no_log: NoLog
    """Every decline in the period, by category."""
    root_causes: tuple[RootCause, ...]
    """The most frequent root causes of loops closed in the period."""
    dissatisfiers: tuple[RootCause, ...]
    """The same, for causes tagged `Kano.DISSATISFIER`."""
    by_owner: tuple[Scorecard, ...] = ()
    """The KPIs per agent (each case counts for its owner at the period's end), by name,
    the unassigned cases last."""
    by_team: tuple[Scorecard, ...] = ()
    """The KPIs per team (the case's team at the period's end), by name, no team last."""
    by_tag: tuple[Scorecard, ...] = ()
    """The KPIs per tag (a case counts for each of its tags at the period's end), by tag."""

    @property
    def promise_kept_rate(self) -> float | None:
        """Share of the promises due in the period that were kept on time."""
        return self.promises.kept_rate
