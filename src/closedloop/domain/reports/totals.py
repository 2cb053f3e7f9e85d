"""A period's totals, folded from case facts or filled from a store's aggregates (pure).

Both ways meet in :class:`Totals`: the in-memory store folds each case's facts with
:meth:`Totals.add`; an SQL store adds the rows of its ``GROUP BY`` queries with the other
methods. Either gives the same totals, in bounded memory.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import attrs

from closedloop.domain.cases.events import Kano
from closedloop.domain.checks import instant
from closedloop.domain.customers.nolog import NoLogEntry
from closedloop.domain.reports.facts import (
    ACK_BUCKETS,
    AGE_BUCKETS,
    Attribution,
    CaseFacts,
    duration_bucket,
)
from closedloop.domain.reports.histogram import Histogram
from closedloop.domain.standards.standard import Target

__all__ = ["COUNTS", "CauseTally", "KpiTally", "Totals", "Waiter", "attributed", "micros"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
#: The section counters, in :class:`~closedloop.insights.Section`'s order.
COUNTS = (
    "opened", "closed", "ever_closed", "reopened", "escalated", "escalated_by_time",
    "escalated_by_customer", "avoidable", "hand_offs", "channel_switches", "repeat_contacts",
    "repeats",
)  # fmt: skip
#: How many example cases each root cause keeps.
CAUSE_EXAMPLES = 3
#: A report's order of cases: opened_at (microseconds), then id; then an event's position.
Key = tuple[int, str, int]


def attributed(attribution: Attribution) -> tuple[tuple[str, str], ...]:
    """The sections a case counts in for its owner, team and each tag: ``("owner", name)``,
    ``("team", name)`` (``""`` for none: unassigned, no team) and ``("tag", tag)``."""
    return (
        ("owner", attribution.owner or ""),
        ("team", attribution.team or ""),
        *(("tag", tag) for tag in attribution.tags),
    )


def micros(at: datetime) -> int:
    """``at`` as whole microseconds since 1970 (UTC), the stores' instant columns."""
    return (instant(at) - _EPOCH) // _US


@attrs.frozen
class Waiter:
    """A case nobody had answered at the end of the period."""

    case_id: str
    channel: str
    customer: str
    subject: str
    opened_at: datetime


class KpiTally:
    """One standard in one section: steps measured, met, and the times the done ones took."""

    __slots__ = ("measured", "met", "times")

    def __init__(self) -> None:
        self.measured = self.met = 0
        self.times = Histogram()


class CauseTally:
    """One root cause: how often named, its latest Kano tag and its first examples."""

    __slots__ = ("count", "examples", "kano", "kano_key")

    def __init__(self) -> None:
        self.count = 0
        self.kano: Kano | None = None
        self.kano_key: Key | None = None
        self.examples: list[tuple[Key, str]] = []


#: The most unsettled cases a store names with its totals (``Totals.unsettled``): past it
#: (a database whose facts are all stale, before a back-fill) a report pages through them
#: with ``ReportStorage.unsettled`` instead of holding every id.
NAMED_UNSETTLED = 20_000


class Totals:
    """What a report of ``[since, until)`` counts, added up case by case or group by group."""

    def __init__(self, since: datetime, until: datetime, oldest: int, examples: int) -> None:
        self.since, self.until = since, until
        self.low, self.high = micros(since), micros(until)
        self.oldest, self.examples = oldest, examples
        self.sections: dict[tuple[str, str], list[int]] = {("", ""): [0] * len(COUNTS)}
        self.kpis: dict[tuple[str, str, Target, str], KpiTally] = {}
        self.ack = [0] * len(ACK_BUCKETS)
        self.ages = [0] * len(AGE_BUCKETS)
        self.waiting_channels: dict[str, int] = {}
        self.waiters: list[tuple[tuple[int, str], Waiter]] = []
        self.causes: dict[str, CauseTally] = {}
        self.promises = [0, 0, 0, 0, 0]  # due, kept on time, kept late, open, missed announced
        self.declines: dict[str, int] = {}
        self.decline_examples: dict[str, list[tuple[Key, NoLogEntry]]] = {}
        self.unsettled: list[str] | None = None
        """The ids of the cases these totals leave out (facts missing, of another basis, or
        changed at or after ``until``), by opening then id, read in the same snapshot as
        the totals; None when the store reads them apart (``ReportStorage.unsettled``), as
        it does past :data:`NAMED_UNSETTLED` of them."""

    # -- the fold of one case's facts ------------------------------------------------------

    def add(self, facts: CaseFacts) -> None:
        """Count one case, opened before ``until`` and unchanged since: its promises and
        declines always, the rest if it had an event in the period."""
        for p in facts.promises:
            if self.low <= micros(p.due_by) < self.high:
                missed = not p.kept_on_time
                self.add_promises(1, int(not missed), int(p.kept and missed), int(not p.kept),
                                  int(p.announced and missed))  # fmt: skip
        opened = micros(facts.opened_at)
        for seq, d in enumerate(facts.declines):
            if self.low <= micros(d.at) < self.high:
                self.add_declines(d.category, 1)
                entry = NoLogEntry(facts.case_id, d.asked, d.reason, d.at, d.by)
                self.add_decline_example(d.category, (micros(d.at), facts.case_id, seq), entry)
        if facts.merged or micros(facts.last_at) < self.low:
            return
        groups = (facts.channel, facts.priority, facts.kind)
        people = attributed(facts.attribution)
        counts = [0] * len(COUNTS)
        if opened >= self.low:
            escalated = facts.by_time or facts.by_customer
            counts = [int(n) for n in (
                1, facts.closed, facts.ever_closed, facts.reopened, escalated, facts.by_time,
                facts.by_customer, facts.avoidable, facts.hand_offs, facts.channel_switches,
                facts.repeat_contacts, facts.repeats,
            )]  # fmt: skip
            if facts.ack_bucket is not None:
                self.add_ack(facts.ack_bucket, 1)
        self.add_sections(*groups, counts)
        for person in people:
            self.add_section_to(person, counts)
        for m in facts.measurements:
            if self.low <= micros(m.at) < self.high:
                self.add_kpi(*groups, m.target, m.label, m.took, 1, int(m.met))
                for person in people:
                    self.add_kpi_to(person, m.target, m.label, m.took, 1, int(m.met))
        if facts.waiting:
            age = duration_bucket(AGE_BUCKETS, instant(self.until) - instant(facts.opened_at))
            self.add_waiting(age, facts.channel, 1)
            self.add_waiter(
                opened,
                Waiter(facts.case_id, facts.channel, facts.customer, facts.subject,
                       facts.opened_at),
            )  # fmt: skip
        for seq, c in enumerate(facts.causes):
            if self.low <= micros(c.at) < self.high:
                key = (opened, facts.case_id, seq)
                self.add_cause(c.cause, 1)
                self.add_cause_example(c.cause, key, facts.case_id)
                if c.kano is not None:
                    self.add_cause_kano(c.cause, key, c.kano)

    # -- adding groups (what an SQL store's aggregates feed in) ----------------------------

    def add_sections(self, channel: str, priority: str, kind: str, counts: Sequence[int]) -> None:
        """Add section counters (:data:`COUNTS`' order) of cases of one channel, priority
        and kind to the overall section and to the three they belong to."""
        for key in (("", ""), ("channel", channel), ("priority", priority), ("kind", kind)):
            self.add_section_to(key, counts)

    def add_section_to(self, section: tuple[str, str], counts: Sequence[int]) -> None:
        """Add section counters to one section: ``("owner", name)``, ``("team", name)`` or
        ``("tag", tag)`` (see :func:`attributed`), or one :meth:`add_sections` fills."""
        found = self.sections.setdefault(section, [0] * len(COUNTS))
        for i, n in enumerate(counts):
            found[i] += n

    def add_kpi(
        self, channel: str, priority: str, kind: str, target: Target, label: str,
        took: int | None, measured: int, met: int,
    ) -> None:  # fmt: skip
        """Add ``measured`` steps (``met`` of them met) of one standard, that took a time in
        histogram bucket ``took`` (None: pending), to the four sections."""
        for group in (("", ""), ("channel", channel), ("priority", priority), ("kind", kind)):
            self.add_kpi_to(group, target, label, took, measured, met)

    def add_kpi_to(
        self, section: tuple[str, str], target: Target, label: str, took: int | None,
        measured: int, met: int,
    ) -> None:  # fmt: skip
        """:meth:`add_kpi` to one section: ``("", "")`` overall, ``("channel", name)``,
        ``("priority", name)``, ``("kind", name)``, or one of :func:`attributed`."""
        tally = self.tally(section, target, label)
        tally.measured += measured
        tally.met += met
        if took is not None:
            tally.times.add_bucket(took, measured)

    def tally(self, section: tuple[str, str], target: Target, label: str) -> KpiTally:
        """The tally of one standard in one section (new and empty the first time), for a
        store adding many rows at once (:meth:`add_kpi_to` adds one)."""
        tally = self.kpis.get((*section, target, label))
        if tally is None:
            tally = self.kpis[(*section, target, label)] = KpiTally()
        return tally

    def add_ack(self, index: int, n: int) -> None:
        """Add ``n`` cases acknowledged within :data:`ACK_BUCKETS` bucket ``index``."""
        self.ack[index] += n

    def add_waiting(self, age: int, channel: str, n: int) -> None:
        """Add ``n`` unanswered cases of :data:`AGE_BUCKETS` bucket ``age`` on ``channel``."""
        self.ages[age] += n
        self.waiting_channels[channel] = self.waiting_channels.get(channel, 0) + n

    def add_waiter(self, opened: int, waiter: Waiter) -> None:
        """Offer an unanswered case (opened at ``opened`` microseconds) to the oldest list."""
        bisect.insort(self.waiters, ((opened, waiter.case_id), waiter), key=lambda w: w[0])
        del self.waiters[self.oldest :]

    def add_cause(self, cause: str, n: int) -> None:
        """Add ``n`` namings of a root cause."""
        self._cause(cause).count += n

    def add_cause_kano(self, cause: str, key: Key, kano: Kano) -> None:
        """A Kano tag given to ``cause``; the latest (by ``key``) wins."""
        tally = self._cause(cause)
        if tally.kano_key is None or key > tally.kano_key:
            tally.kano, tally.kano_key = kano, key

    def add_cause_example(self, cause: str, key: Key, case_id: str) -> None:
        """Offer an example case of ``cause``; the first (by ``key``) are kept."""
        examples = self._cause(cause).examples
        bisect.insort(examples, (key, case_id))
        del examples[CAUSE_EXAMPLES:]

    def add_promises(
        self, due: int, on_time: int, late: int, still_open: int, announced: int = 0
    ) -> None:
        """Add promises due in the period (``announced``: missed, the customer told)."""
        for i, n in enumerate((due, on_time, late, still_open, announced)):
            self.promises[i] += n

    def add_declines(self, category: str, n: int) -> None:
        """Add ``n`` declined requests of ``category``."""
        self.declines[category] = self.declines.get(category, 0) + n

    def add_decline_example(self, category: str, key: Key, entry: NoLogEntry) -> None:
        """Offer an example of ``category``; the earliest (by ``key``: at, case, position)."""
        kept = self.decline_examples.setdefault(category, [])
        bisect.insort(kept, (key, entry), key=lambda k: k[0])
        del kept[self.examples :]

    def _cause(self, cause: str) -> CauseTally:
        tally = self.causes.get(cause)
        if tally is None:
            tally = self.causes[cause] = CauseTally()
        return tally

    def extend(self, facts: Iterable[CaseFacts]) -> Totals:
        """:meth:`add` each of ``facts``; returns self."""
        for f in facts:
            self.add(f)
        return self
