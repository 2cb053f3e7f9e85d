"""A period's case figures from the store's read model: the settled cases' totals,
aggregated by the store, plus the few unsettled cases replayed (see ``docs/insights.md``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import cast

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.events import Kano
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle
from closedloop.domain.cases.promises import PromiseFigures
from closedloop.domain.checks import instant, require_count
from closedloop.domain.customers.nolog import NoLog, NoLogCategory
from closedloop.domain.reports.facts import (
    ACK_BUCKETS,
    AGE_BUCKETS,
    CaseFacts,
    basis,
    case_facts,
    promise_facts,
)
from closedloop.domain.reports.measure import as_of
from closedloop.domain.reports.totals import COUNTS, Totals
from closedloop.domain.standards.standard import Standards, Target
from closedloop.insights.figures import (
    Count,
    Kpi,
    KpiThresholds,
    Queue,
    RootCause,
    Section,
    Waiting,
)
from closedloop.ports import CaseStore, ReadsManyCases, ReportStorage

__all__ = ["CaseFigures", "case_figures", "rebuild_facts"]

# The last instant a store takes: every case whose facts are missing or of other standards
# is unsettled there.
_END = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
#: How many unsettled cases a report reads at once.
_PAGE = 500


@attrs.frozen
class CaseFigures:
    """The parts of :class:`~closedloop.insights.Insights` counted from cases."""

    overall: Section
    by_channel: tuple[tuple[str, Section], ...]
    by_priority: tuple[tuple[str, Section], ...]
    by_kind: tuple[tuple[str, Section], ...]
    by_owner: tuple[tuple[str, Section], ...]
    """Per owner at the period's end (``""``: unassigned); ``by_team`` and ``by_tag`` alike."""
    by_team: tuple[tuple[str, Section], ...]
    by_tag: tuple[tuple[str, Section], ...]
    unanswered: Queue
    time_to_acknowledge: tuple[Count, ...]
    promises: PromiseFigures
    no_log: NoLog
    root_causes: tuple[RootCause, ...]
    dissatisfiers: tuple[RootCause, ...]


def case_figures(
    store: ReportStorage, since: datetime, until: datetime, *, standards: Standards,
    lifecycle: Lifecycle, thresholds: KpiThresholds, oldest: int, top: int, examples: int,
) -> CaseFigures:  # fmt: skip
    """The case figures of ``[since, until)``: the store's totals over settled cases, and
    each unsettled case as it stood at ``until`` (its promises too: those a later merge
    moved are counted with the case they are on now, as they stood at ``until``)."""
    key = basis(standards, lifecycle)
    totals = store.report_totals(since, until, key, oldest=oldest, examples=examples)
    for case in _unsettled(store, totals, until, key):
        then = as_of(case, until)
        if then is not None:
            facts = case_facts(then, standards, lifecycle)
            totals.add(attrs.evolve(facts, promises=promise_facts(case, until)))
    section = _sections(totals, thresholds)
    return CaseFigures(
        overall=section("", ""),
        by_channel=_grouped(totals, "channel", section),
        by_priority=_grouped(totals, "priority", section),
        by_kind=_grouped(totals, "kind", section),
        by_owner=_grouped(totals, "owner", section),
        by_team=_grouped(totals, "team", section),
        by_tag=_grouped(totals, "tag", section),
        unanswered=Queue(
            sum(totals.ages),
            tuple(
                Waiting(
                    w.case_id,
                    w.channel,
                    w.customer,
                    w.subject,
                    w.opened_at,
                    instant(until) - instant(w.opened_at),
                )
                for _, w in totals.waiters
            ),
            tuple(Count(name, n) for (name, _), n in zip(AGE_BUCKETS, totals.ages, strict=True)),
            tuple(
                Count(name, n)
                for name, n in sorted(totals.waiting_channels.items(), key=lambda i: (-i[1], i[0]))
            ),
        ),
        time_to_acknowledge=tuple(
            Count(name, n) for (name, _), n in zip(ACK_BUCKETS, totals.ack, strict=True)
        ),
        promises=PromiseFigures(*totals.promises),
        no_log=_no_log(totals),
        root_causes=_causes(totals, top),
        dissatisfiers=_causes(totals, top, Kano.DISSATISFIER),
    )


def _unsettled(store: ReportStorage, totals: Totals, until: datetime, key: str) -> Iterator[Case]:
    """The cases ``totals`` left out: those it names, read a page at a time (a case that
    changed since is still counted once, as it stood at ``until``), else the store's
    ``unsettled`` now."""
    ids = totals.unsettled
    if ids is None:
        yield from store.unsettled(until, key)
        return
    many = store if isinstance(store, ReadsManyCases) else None
    for start in range(0, len(ids), _PAGE):
        page = ids[start : start + _PAGE]
        if many is not None:
            found = many.get_many(page)
            yield from (found[case_id] for case_id in page if case_id in found)
        else:
            yield from (cast(CaseStore, store).get(case_id) for case_id in page)


def _sections(totals: Totals, thresholds: KpiThresholds) -> Callable[[str, str], Section]:
    order = list(Target)

    def section(group: str, name: str) -> Section:
        kpis = sorted(
            (
                (order.index(target), label, target, t)
                for (g, n, target, label), t in totals.kpis.items()
                if (g, n) == (group, name)
            ),
            key=lambda item: (item[0], item[1]),
        )
        counts = dict(zip(COUNTS, totals.sections[group, name], strict=True))
        return Section(
            **counts,
            kpis=tuple(
                Kpi(
                    target, label, t.measured, t.met, t.times.quantile(0.5),
                    t.times.quantile(0.9),
                    thresholds.rag(t.met / t.measured if t.measured else None),
                )
                for _, label, target, t in kpis
            ),
        )  # fmt: skip

    return section


def _grouped(
    totals: Totals, group: str, section: Callable[[str, str], Section]
) -> tuple[tuple[str, Section], ...]:
    return tuple((name, section(g, name)) for g, name in sorted(totals.sections) if g == group)


def _no_log(totals: Totals) -> NoLog:
    counts = totals.declines
    ordered = sorted(counts, key=lambda name: (-counts[name], name))
    return NoLog(
        totals.since,
        totals.until,
        tuple(
            NoLogCategory(
                name, counts[name], tuple(e for _, e in totals.decline_examples.get(name, ()))
            )
            for name in ordered
        ),
    )


def _causes(totals: Totals, top: int, only: Kano | None = None) -> tuple[RootCause, ...]:
    found = [
        RootCause(name, c.kano, c.count, tuple(case_id for _, case_id in c.examples))
        for name, c in totals.causes.items()
        if only is None or c.kano is only
    ]
    found.sort(key=lambda c: (-c.count, c.label))
    return tuple(found[:top])


def rebuild_facts(
    store: ReportStorage, *, standards: Standards | None = None, lifecycle: Lifecycle = LATTE,
    batch: int = 500, progress: Callable[[int], None] | None = None,
) -> int:  # fmt: skip
    """Compute and store the facts of every case whose facts are missing or were measured
    under other standards (a database migrated from before the read model, or a policy
    changed), ``batch`` at a time, calling ``progress`` with the count so far. Returns how
    many cases got facts; reports are right before and after, only faster after."""
    require_count("batch", batch)
    standards = standards if standards is not None else Standards()
    key = basis(standards, lifecycle)
    done = 0
    pending: list[CaseFacts] = []
    for case in store.unsettled(_END, key):
        pending.append(case_facts(case, standards, lifecycle))
        if len(pending) >= max(batch, 1):
            done += store.put_facts(pending)
            pending.clear()
            if progress is not None:
                progress(done)
    if pending:
        done += store.put_facts(pending)
    if progress is not None:
        progress(done)
    return done
