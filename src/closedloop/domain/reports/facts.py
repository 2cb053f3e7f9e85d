"""The read model: the flat facts a report needs from one case (pure).

A case's facts are what :func:`closedloop.insights.compute` counts for it in any period that
ends after the case's last event (``last_at``): then the case as it stood at the period's
end is the case itself. A store writes them with each commit; a report folds them instead
of replaying cases, and replays only the cases whose facts are missing, were computed under
other standards (``basis``), or that changed at or after the period's end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from closedloop.domain.cases.case import Case, promises_of
from closedloop.domain.cases.effort import EffortCount
from closedloop.domain.cases.events import (
    CustomerEscalated,
    Declined,
    Escalated,
    Event,
    Explained,
    Kano,
)
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle
from closedloop.domain.checks import instant
from closedloop.domain.reports.histogram import bucket
from closedloop.domain.reports.measure import Progress, label, measurements
from closedloop.domain.standards.standard import Standards, Target

__all__ = [
    "ACK_BUCKETS",
    "AGE_BUCKETS",
    "Attribution",
    "CaseFacts",
    "CauseFact",
    "DeclineFact",
    "MeasureFact",
    "PromiseFact",
    "Scan",
    "basis",
    "case_facts",
    "duration_bucket",
    "promise_facts",
]

_H, _D = timedelta(hours=1), timedelta(days=1)

#: Buckets of the time-to-acknowledge distribution and of the unanswered queue's ages.
ACK_BUCKETS = (
    ("< 1h", _H), ("1-4h", 4 * _H), ("4-8h", 8 * _H), ("8-24h", _D),
    ("1-2 days", 2 * _D), ("2-5 days", 5 * _D), ("5+ days", None),
)  # fmt: skip
AGE_BUCKETS = (
    ("< 4h", 4 * _H), ("4-24h", _D), ("1-3 days", 3 * _D), ("3-7 days", 7 * _D),
    ("7+ days", None),
)  # fmt: skip


def duration_bucket(buckets: tuple[tuple[str, timedelta | None], ...], value: timedelta) -> int:
    """The position in ``buckets`` (:data:`ACK_BUCKETS`, :data:`AGE_BUCKETS`) of ``value``."""
    for index, (_, below) in enumerate(buckets):
        if below is None or value < below:
            return index
    raise AssertionError("unreachable: the last bucket is open")  # pragma: no cover


@attrs.frozen
class MeasureFact:
    """One step against its standard: met or not, the histogram bucket of the time it took
    (None while pending), and when it counts (done, or due while pending)."""

    target: Target
    label: str
    met: bool
    took: int | None
    at: datetime


@attrs.frozen
class CauseFact:
    """A root cause named when the loop was closed, and its Kano tag."""

    at: datetime
    cause: str
    kano: Kano | None


@attrs.frozen
class PromiseFact:
    """A promise of the case (as it stands now): when due, and kept on time, late or not."""

    due_by: datetime
    kept_on_time: bool
    kept: bool
    announced: bool = False
    """Whether the customer was told it was late, with a new time (``Lateness``)."""


@attrs.frozen
class DeclineFact:
    """A request staff declined (an entry of the no log)."""

    at: datetime
    category: str
    asked: str
    reason: str
    by: str


@attrs.frozen
class Attribution:
    """Whom a case counts for in the KPIs per agent, team and tag: its owner, team and
    tags as it stood (at the period's end, for a report)."""

    owner: str | None = None
    """Its owner; None: unassigned."""
    team: str | None = None
    """Its team; None: no team."""
    tags: tuple[str, ...] = ()
    """Its tags (each once, sorted)."""

    @classmethod
    def of(cls, case: Case) -> Attribution:
        """The attribution of ``case`` as it stands."""
        return cls(case.owner, case.team, case.tags)


@attrs.frozen
class CaseFacts:
    """What every report counts for one case at ``version``, true of any period ending
    after ``last_at``; ``basis`` names the standards its measurements used."""

    case_id: str
    version: int
    basis: str
    opened_at: datetime
    last_at: datetime
    merged: bool
    channel: str
    priority: str
    kind: str
    closed: bool
    ever_closed: bool
    reopened: bool
    by_time: bool
    by_customer: bool
    avoidable: bool
    hand_offs: int
    channel_switches: int
    repeat_contacts: int
    repeats: int
    acknowledged_at: datetime | None
    waiting: bool
    customer: str
    subject: str
    measurements: tuple[MeasureFact, ...] = ()
    causes: tuple[CauseFact, ...] = ()
    promises: tuple[PromiseFact, ...] = ()
    declines: tuple[DeclineFact, ...] = ()
    attribution: Attribution = Attribution()
    """Its owner, team and tags (the KPIs per agent, team and tag)."""

    @property
    def ack_bucket(self) -> int | None:
        """The :data:`ACK_BUCKETS` position of the time to acknowledge (None if not yet)."""
        if self.acknowledged_at is None:
            return None
        took = instant(self.acknowledged_at) - instant(self.opened_at)
        return duration_bucket(ACK_BUCKETS, took)


# Fingerprints of the policies in use, by identity (they are immutable): a Desk asks for
# one on every commit, and computing it walks every standard.
_BASES: dict[tuple[int, int], tuple[Standards, Lifecycle, str]] = {}


#: How facts are measured, as part of every ``basis``: raised by a release that changes the
#: facts some case gets (a fix), so facts stored by an older release are unsettled — replayed
#: by reports, rewritten by a back-fill — rather than kept wrong.
MEASURE_VERSION = 3  # 3: a case closed for silence meets no step by it


def basis(standards: Standards, lifecycle: Lifecycle = LATTE) -> str:
    """A fingerprint of the standards and lifecycle that facts were measured under, and of
    how (``MEASURE_VERSION``), the same in every process (sets are sorted, so string hashing
    does not move it)."""
    key = (id(standards), id(lifecycle))
    known = _BASES.get(key)
    if known is not None and known[0] is standards and known[1] is lifecycle:
        return known[2]
    measured = _canonical((MEASURE_VERSION, standards, lifecycle))
    found = hashlib.sha256(measured.encode()).hexdigest()[:16]
    if len(_BASES) >= 64:
        _BASES.clear()
    _BASES[key] = (standards, lifecycle, found)
    return found


def _canonical(value: object) -> str:
    kind = type(value)
    if attrs.has(kind):
        fields = (
            f"{f.name}={_canonical(getattr(value, f.name))}"
            for f in attrs.fields(kind)
            if f.eq and not f.name.startswith("_")
        )
        return f"{type(value).__name__}({', '.join(fields)})"
    if isinstance(value, frozenset | set):
        return "{" + ", ".join(sorted(_canonical(v) for v in value)) + "}"
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_canonical(v) for v in value) + ")"
    if isinstance(value, dict):
        items = sorted(f"{_canonical(k)}: {_canonical(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{value.__module__}.{value.__qualname__}"
    if isinstance(value, Lifecycle):
        public = {k: v for k, v in vars(value).items() if not k.startswith("_")}
        return f"Lifecycle{_canonical(public)}"
    return repr(value)


@attrs.frozen
class Scan:
    """What :func:`case_facts` counts from a case's events, as a fold: so that a case's
    facts can go on from where its last commit's left off, without reading its history."""

    by_time: bool = False
    by_customer: bool = False
    avoidable: bool = False
    causes: tuple[CauseFact, ...] = ()
    declines: tuple[DeclineFact, ...] = ()
    effort: EffortCount = attrs.field(factory=EffortCount)

    def after(self, events: Sequence[Event]) -> Scan:
        """The scan once ``events`` followed the ones scanned so far."""
        by_time, by_customer, avoidable = self.by_time, self.by_customer, self.avoidable
        causes, declines = list(self.causes), list(self.declines)
        for e in events:
            if isinstance(e, Escalated):
                by_time = True
            elif isinstance(e, CustomerEscalated):
                by_customer, avoidable = True, avoidable or e.breached
            elif isinstance(e, Explained):
                if e.root_cause:
                    causes.append(CauseFact(e.at, e.root_cause, e.kano))
            elif isinstance(e, Declined):
                declines.append(DeclineFact(e.at, e.category, e.asked, e.reason, e.by))
        return Scan(
            by_time, by_customer, avoidable, tuple(causes), tuple(declines),
            self.effort.after(events),
        )  # fmt: skip


def case_facts(
    case: Case,
    standards: Standards,
    lifecycle: Lifecycle = LATTE,
    measured: Progress | None = None,
    scan: Scan | None = None,
) -> CaseFacts:
    """The facts of ``case`` as it stands, its steps measured against ``standards``
    (``measured``: :func:`~closedloop.domain.reports.measure.progress` of this case, and
    ``scan``: the :class:`Scan` of its whole history, if the caller has them)."""
    found: list[MeasureFact] = []
    for m in measurements(case, standards, lifecycle, measured):
        when = m.done_at if m.done_at is not None else m.due_at
        if when is None:
            continue
        took = None
        if m.done_at is not None:
            took = bucket(int((instant(m.done_at) - instant(m.started_at)).total_seconds()))
        found.append(MeasureFact(m.target, label(m.standard), bool(m.met), took, when))
    scan = Scan().after(case.events) if scan is None else scan
    effort = scan.effort.effort(case.messages)
    return CaseFacts(
        case_id=case.id,
        version=case.version,
        basis=basis(standards, lifecycle),
        opened_at=case.opened_at,
        last_at=case.events[-1].at,
        merged=case.merged_into is not None,
        channel=case.messages[0].channel.name,
        priority=case.priority.value,
        kind=case.kind.value,
        closed=case.is_closed,
        ever_closed=case.is_closed or case.reopen_count > 0,
        reopened=case.reopen_count > 0,
        by_time=scan.by_time,
        by_customer=scan.by_customer,
        avoidable=scan.avoidable,
        hand_offs=effort.hand_offs,
        channel_switches=effort.channel_switches,
        repeat_contacts=effort.repeat_contacts,
        repeats=effort.repeats,
        acknowledged_at=case.acknowledged_at,
        waiting=case.acknowledged_at is None and case.is_active,
        customer=case.customer,
        subject=case.subject,
        measurements=tuple(found),
        causes=scan.causes,
        promises=promise_facts(case),
        declines=scan.declines,
        attribution=Attribution.of(case),
    )


def promise_facts(case: Case, until: datetime | None = None) -> tuple[PromiseFact, ...]:
    """The promises a report counts on ``case`` (a merged case keeps only its kept ones);
    with ``until``, as they stood then (:meth:`Promise.as_of`)."""
    found = []
    for p in promises_of([case]):
        p = p if until is None else p.as_of(until)
        kept = p.kept_at is not None
        found.append(PromiseFact(p.due_by, p.kept_on_time, kept, p.announced_at is not None))
    return tuple(found)
