"""Computing a period's insights from a store, streaming: memory stays flat however many
cases the period holds."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

from closedloop.domain.cases.case import Case, promises_of
from closedloop.domain.cases.events import CustomerEscalated, Escalated, Explained, Kano
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle
from closedloop.domain.cases.promises import promise_figures
from closedloop.domain.checks import instant, require_count, require_period
from closedloop.domain.customers.nolog import no_log
from closedloop.domain.reports.facts import ACK_BUCKETS, AGE_BUCKETS, Attribution, duration_bucket
from closedloop.domain.reports.histogram import Histogram
from closedloop.domain.reports.measure import as_of, label, measurements
from closedloop.domain.reports.totals import attributed
from closedloop.domain.standards.standard import Standards, Target
from closedloop.domain.surveys.invitation import Invitation
from closedloop.domain.surveys.scoring import ces, csat, nps
from closedloop.domain.surveys.survey import Answer, SurveyKind
from closedloop.insights.figures import (
    Count,
    Insights,
    Kpi,
    KpiThresholds,
    NpsWeek,
    Queue,
    RootCause,
    Section,
    Waiting,
)
from closedloop.insights.read_model import CaseFigures, case_figures
from closedloop.insights.recovery import stored_recovery
from closedloop.insights.scorecards import SurveysByCase, scorecards
from closedloop.ports import CaseStore, ReportStorage

__all__ = ["compute"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_H, _D = timedelta(hours=1), timedelta(days=1)


def _bucket(buckets: tuple[tuple[str, timedelta | None], ...], value: timedelta) -> str:
    return buckets[duration_bucket(buckets, value)][0]


class _Cause:
    __slots__ = ("count", "examples", "kano")

    def __init__(self) -> None:
        self.count = 0
        self.kano: Kano | None = None
        self.examples: list[str] = []


class _KpiTally:
    __slots__ = ("measured", "met", "times")

    def __init__(self) -> None:
        self.measured = self.met = 0
        self.times = Histogram()


class _SectionTally:
    """Counters for one section; a case is added once, as it stood at the period's end."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(
            ("opened", "closed", "ever_closed", "reopened", "escalated", "escalated_by_time",
             "escalated_by_customer", "avoidable", "hand_offs", "channel_switches",
             "repeat_contacts", "repeats"),
            0,
        )  # fmt: skip
        self.kpis: dict[tuple[Target, str], _KpiTally] = {}

    def add_opened(self, case: Case) -> None:
        c = self.counts
        c["opened"] += 1
        c["closed"] += case.is_closed
        c["ever_closed"] += case.is_closed or case.reopen_count > 0
        c["reopened"] += case.reopen_count > 0
        by_time = any(isinstance(e, Escalated) for e in case.events)
        by_customer = [e for e in case.events if isinstance(e, CustomerEscalated)]
        c["escalated"] += by_time or bool(by_customer)
        c["escalated_by_time"] += by_time
        c["escalated_by_customer"] += bool(by_customer)
        c["avoidable"] += any(e.breached for e in by_customer)
        effort = case.effort
        c["hand_offs"] += effort.hand_offs
        c["channel_switches"] += effort.channel_switches
        c["repeat_contacts"] += effort.repeat_contacts
        c["repeats"] += effort.repeats

    def add_measurement(self, target: Target, name: str, met: bool, took: timedelta | None) -> None:
        tally = self.kpis.get((target, name))
        if tally is None:
            tally = self.kpis[target, name] = _KpiTally()
        tally.measured += 1
        tally.met += met
        if took is not None:
            tally.times.add(took)

    def section(self, thresholds: KpiThresholds) -> Section:
        order = list(Target)
        kpis = tuple(
            Kpi(
                target, name, t.measured, t.met, t.times.quantile(0.5), t.times.quantile(0.9),
                thresholds.rag(t.met / t.measured if t.measured else None),
            )
            for (target, name), t in sorted(
                self.kpis.items(), key=lambda item: (order.index(item[0][0]), item[0][1])
            )
        )  # fmt: skip
        return Section(**self.counts, kpis=kpis)


class _Pass:
    """One streamed pass over the period's cases."""

    def __init__(
        self, since: datetime, until: datetime, standards: Standards, lifecycle: Lifecycle,
        oldest: int, top: int,
    ) -> None:  # fmt: skip
        self.low, self.high = instant(since), instant(until)
        self.until = until
        self.standards, self.lifecycle = standards, lifecycle
        self.overall = _SectionTally()
        self.groups: dict[tuple[str, str], _SectionTally] = {}
        # A heap of the `oldest` oldest waiting cases (bounded), and the cases it holds.
        self.waiting: list[tuple[float, tuple[int, ...]]] = []
        self.held: dict[tuple[float, tuple[int, ...]], Waiting] = {}
        self.oldest = oldest
        self.waiting_total = 0
        self.ages = dict.fromkeys((name for name, _ in AGE_BUCKETS), 0)
        self.waiting_channels: dict[str, int] = {}
        self.ack = dict.fromkeys((name for name, _ in ACK_BUCKETS), 0)
        self.causes: dict[str, _Cause] = {}
        self.top = top

    def sections_of(self, case: Case) -> list[_SectionTally]:
        keys = (
            ("channel", case.messages[0].channel.name),
            ("priority", case.priority.value),
            ("kind", case.kind.value),
            *attributed(Attribution.of(case)),
        )
        found = [self.overall]
        for key in keys:
            tally = self.groups.get(key)
            if tally is None:
                tally = self.groups[key] = _SectionTally()
            found.append(tally)
        return found

    def add(self, stored: Case) -> None:
        case = as_of(stored, self.until)
        if case is None or case.merged_into is not None:
            return  # not yet opened, or a duplicate whose messages live on in another case
        sections = self.sections_of(case)
        if self.low <= instant(case.opened_at):
            for section in sections:
                section.add_opened(case)
            acknowledged = case.acknowledged_at
            if acknowledged is not None:
                self.ack[_bucket(ACK_BUCKETS, instant(acknowledged) - instant(case.opened_at))] += 1
        for m in measurements(case, self.standards, self.lifecycle):
            when = m.done_at if m.done_at is not None else m.due_at
            if when is None or not self.low <= instant(when) < self.high:
                continue
            took = None if m.done_at is None else instant(m.done_at) - instant(m.started_at)
            for section in sections:
                section.add_measurement(m.target, label(m.standard), bool(m.met), took)
        if case.acknowledged_at is None and case.is_active:
            self.add_waiting(case)
        for event in case.events:
            if (
                isinstance(event, Explained)
                and event.root_cause
                and (self.low <= instant(event.at) < self.high)
            ):
                self.add_cause(event.root_cause, event.kano, case.id)

    def add_waiting(self, case: Case) -> None:
        age = instant(self.until) - instant(case.opened_at)
        channel = case.messages[0].channel.name
        self.waiting_total += 1
        self.ages[_bucket(AGE_BUCKETS, age)] += 1
        self.waiting_channels[channel] = self.waiting_channels.get(channel, 0) + 1
        item = Waiting(case.id, channel, case.customer, case.subject, case.opened_at, age)
        # Keep the `oldest` oldest: a min-heap on -opened_at pops the youngest.
        entry = (-instant(case.opened_at).timestamp(), _inverse(case.id))
        if len(self.waiting) < self.oldest:
            heapq.heappush(self.waiting, entry)
        elif self.oldest and entry > self.waiting[0]:
            del self.held[heapq.heapreplace(self.waiting, entry)]
        else:
            return
        self.held[entry] = item

    def add_cause(self, cause: str, kano: Kano | None, case_id: str) -> None:
        seen = self.causes.get(cause)
        if seen is None:
            seen = self.causes[cause] = _Cause()
        seen.count += 1
        seen.kano = kano if kano is not None else seen.kano  # the latest tag wins
        if len(seen.examples) < 3:
            seen.examples.append(case_id)

    def queue(self) -> Queue:
        oldest = sorted(self.waiting, reverse=True)
        return Queue(
            self.waiting_total,
            tuple(self.held[entry] for entry in oldest),
            tuple(Count(name, n) for name, n in self.ages.items()),
            tuple(
                Count(name, n)
                for name, n in sorted(self.waiting_channels.items(), key=lambda i: (-i[1], i[0]))
            ),
        )

    def root_causes(self, only: Kano | None = None) -> tuple[RootCause, ...]:
        found = [
            RootCause(name, c.kano, c.count, tuple(c.examples))
            for name, c in self.causes.items()
            if only is None or c.kano is only
        ]
        found.sort(key=lambda c: (-c.count, c.label))
        return tuple(found[: self.top])


def _inverse(text: str) -> tuple[int, ...]:
    # Ties on opened_at: the smaller id is the older, so it must sort as the larger entry.
    return (*(-ord(ch) for ch in text), 1)  # the 1 sorts a prefix after its extensions


def _week(day: datetime) -> date:
    start = instant(day).date()
    return start - timedelta(days=start.weekday())


def compute(
    store: CaseStore,
    since: datetime,
    until: datetime,
    *,
    standards: Standards | None = None,
    lifecycle: Lifecycle = LATTE,
    thresholds: KpiThresholds | None = None,
    oldest: int = 20,
    top: int = 10,
    examples: int = 3,
    replay: bool = False,
) -> Insights:
    """The insights of ``[since, until)``, read from ``store`` in streamed passes, as the
    cases stood at ``until``: a step due before ``until`` and not done counts as missed, so
    end the period no later than now (``desk.reports.insights`` does it for you).

    ``standards`` are the organisation's (``Policy.standards``; the defaults otherwise);
    ``thresholds`` colour each standard's KPI; the unanswered queue lists the ``oldest``
    oldest cases, and root causes and the no log keep the ``top`` first and ``examples``
    examples each. A store with the read model (:class:`~closedloop.ports.ReportStorage`)
    aggregates case facts instead of replaying cases, unless ``replay`` is True. The KPIs
    per agent, team and tag count each case for its owner, team and tags at ``until``.
    """
    require_period(since, until)
    for name, value in (("oldest", oldest), ("top", top), ("examples", examples)):
        require_count(name, value)
    standards = standards if standards is not None else Standards()
    thresholds = thresholds if thresholds is not None else KpiThresholds()

    read_model = not replay and isinstance(store, ReportStorage)
    if read_model and isinstance(store, ReportStorage):
        figures = case_figures(
            store, since, until, standards=standards, lifecycle=lifecycle,
            thresholds=thresholds, oldest=oldest, top=top, examples=examples,
        )  # fmt: skip
    else:
        figures = _replayed(store, since, until, standards, lifecycle, thresholds, oldest, top,
                            examples)  # fmt: skip
    surveys = SurveysByCase(store, until, read_model=read_model)
    scores = _scores(store.responses(since, until), surveys)

    recovery = stored_recovery(store, since, until, standards)
    return Insights(
        since=since,
        until=until,
        thresholds=thresholds,
        overall=figures.overall,
        by_channel=figures.by_channel,
        by_priority=figures.by_priority,
        by_kind=figures.by_kind,
        unanswered=figures.unanswered,
        time_to_acknowledge=figures.time_to_acknowledge,
        nps=nps(scores.answers(SurveyKind.NPS)),
        nps_weekly=tuple(
            NpsWeek(week, nps(scores.weekly_answers(week))) for week in sorted(scores.weeks)
        ),
        csat=csat(scores.answers(SurveyKind.CSAT)),
        ces=ces(scores.answers(SurveyKind.CES), SurveyKind.CES),
        ces2=ces(scores.answers(SurveyKind.CES2), SurveyKind.CES2),
        recovery=recovery,
        promises=figures.promises,
        no_log=figures.no_log,
        root_causes=figures.root_causes,
        dissatisfiers=figures.dissatisfiers,
        by_owner=scorecards("owner", dict(figures.by_owner), surveys),
        by_team=scorecards("team", dict(figures.by_team), surveys),
        by_tag=scorecards("tag", dict(figures.by_tag), surveys),
    )


def _replayed(
    store: CaseStore, since: datetime, until: datetime, standards: Standards,
    lifecycle: Lifecycle, thresholds: KpiThresholds, oldest: int, top: int, examples: int,
) -> CaseFigures:  # fmt: skip
    """The case figures by replaying every case of the period (the reference)."""
    tally = _Pass(since, until, standards, lifecycle, oldest, top)
    for case in store.cases_active(since, until):
        tally.add(case)

    def grouped(kind: str) -> tuple[tuple[str, Section], ...]:
        return tuple(
            (name, t.section(thresholds))
            for (group, name), t in sorted(tally.groups.items())
            if group == kind
        )

    return CaseFigures(
        overall=tally.overall.section(thresholds),
        by_channel=grouped("channel"),
        by_priority=grouped("priority"),
        by_kind=grouped("kind"),
        by_owner=grouped("owner"),
        by_team=grouped("team"),
        by_tag=grouped("tag"),
        unanswered=tally.queue(),
        time_to_acknowledge=tuple(Count(name, n) for name, n in tally.ack.items()),
        promises=promise_figures(promises_of(store.cases_active(_EPOCH, until)), since, until),
        no_log=no_log(store.cases_active(since, until), since, until, examples),
        root_causes=tally.root_causes(),
        dissatisfiers=tally.root_causes(Kano.DISSATISFIER),
    )


class _Scores:
    """Answers counted by survey kind and answer (and NPS by week): constant memory."""

    def __init__(self) -> None:
        self.counts: dict[tuple[SurveyKind, Answer], int] = {}
        self.weeks: dict[date, dict[Answer, int]] = {}

    def add(self, invitation: Invitation) -> None:
        response = invitation.response
        if response is None:
            return
        key = (invitation.survey.kind, response.answer)
        self.counts[key] = self.counts.get(key, 0) + 1
        if invitation.survey.kind is SurveyKind.NPS:
            week = self.weeks.setdefault(_week(response.received_at), {})
            week[response.answer] = week.get(response.answer, 0) + 1

    def answers(self, kind: SurveyKind) -> Iterator[Answer]:
        for (k, answer), n in self.counts.items():
            if k is kind:
                yield from itertools.repeat(answer, n)

    def weekly_answers(self, week: date) -> Iterator[Answer]:
        for answer, n in self.weeks[week].items():
            yield from itertools.repeat(answer, n)


def _scores(responses: Iterable[Invitation], surveys: SurveysByCase) -> _Scores:
    scores = _Scores()
    for invitation in responses:
        scores.add(invitation)
        surveys.add(invitation)
    surveys.flush()
    return scores
