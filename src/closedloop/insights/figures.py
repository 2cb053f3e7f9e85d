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
    amber_at: float = 0.75

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
    standard: str
    measured: int
    met: int
    p50: timedelta | None
    p90: timedelta | None
    rag: Rag | None

    @property
    def share_met(self) -> float | None:
        """``met / measured``, or None when nothing was measured."""
        return self.met / self.measured if self.measured else None


@attrs.frozen
class Section:
    """The figures of the cases opened in the period (all of them, or one channel,
    priority or kind), as they stood at its end, and the standards measured in it."""

    opened: int
    closed: int
    ever_closed: int
    reopened: int
    escalated: int
    escalated_by_time: int
    escalated_by_customer: int
    avoidable: int
    hand_offs: int
    channel_switches: int
    repeat_contacts: int
    repeats: int
    kpis: tuple[Kpi, ...]

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
    channel: str
    customer: str
    subject: str
    opened_at: datetime
    age: timedelta


@attrs.frozen
class Count:
    """A labelled count: a bucket of a distribution, a channel in a queue."""

    label: str
    count: int


@attrs.frozen
class Queue:
    """The unanswered queue across channels at the end of the period: how many, the
    oldest first, and how many by age and by channel."""

    total: int
    oldest: tuple[Waiting, ...]
    by_age: tuple[Count, ...]
    by_channel: tuple[Count, ...]


@attrs.frozen
class NpsWeek:
    """NPS of the answers received in the week starting ``week`` (a Monday)."""

    week: date
    nps: NpsResult


@attrs.frozen
class RootCause:
    """A root cause recorded at Explain, its Kano tag, and how many loops it closed."""

    label: str
    kano: Kano | None
    count: int
    examples: tuple[str, ...]


@attrs.frozen
class Insights:
    """Every figure of the period ``[since, until)``; see ``docs/insights.md``."""

    since: datetime
    until: datetime
    thresholds: KpiThresholds
    overall: Section
    by_channel: tuple[tuple[str, Section], ...]
    by_priority: tuple[tuple[str, Section], ...]
    by_kind: tuple[tuple[str, Section], ...]
    unanswered: Queue
    time_to_acknowledge: tuple[Count, ...]
    nps: NpsResult
    nps_weekly: tuple[NpsWeek, ...]
    csat: CsatResult
    ces: CesResult
    ces2: CesResult
    recovery: RecoveryFigures
    promises: PromiseFigures
    no_log: NoLog
    root_causes: tuple[RootCause, ...]
    dissatisfiers: tuple[RootCause, ...]

    @property
    def promise_kept_rate(self) -> float | None:
        """Share of the promises due in the period that were kept on time."""
        return self.promises.kept_rate
