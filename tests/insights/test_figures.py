"""Report figures against a week worked out by hand (tests/insights/fixture.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import Kano, Rag, Target, ValidationError
from closedloop.insights import Histogram, Insights, KpiThresholds, compute
from closedloop.testing import InMemoryStore
from tests.insights.fixture import SINCE, UNTIL, build

H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.fixture(scope="module")
def week() -> Insights:
    store, _, _ = build()
    return compute(store, SINCE, UNTIL)


def kpi(insights: Insights, target: Target) -> tuple[object, ...]:
    (found,) = [k for k in insights.overall.kpis if k.target is target]
    return found.measured, found.met, found.p50, found.p90, found.rag


def test_each_standard_is_a_kpi_row(week: Insights) -> None:
    # Acknowledge: A 1h, B 6h (late), C never (overdue Mon 14:00), D 30m, E 20m.
    assert kpi(week, Target.ACKNOWLEDGE) == (5, 3, 30 * M, 6 * H, Rag.RED)
    # Take action: A 3h, B 25h (9 business hours), C overdue Thu, E 3h and 4h after reopen.
    assert kpi(week, Target.TAKE_ACTION) == (5, 4, 3 * H, 25 * H, Rag.AMBER)
    # Close the loop: A 3h, B 25h, D 1h, E 3h and 4h; C is due after the period.
    assert kpi(week, Target.CLOSE_LOOP) == (5, 5, 3 * H, 25 * H, Rag.GREEN)


def test_loops_escalations_and_effort(week: Insights) -> None:
    o = week.overall
    assert (o.opened, o.closed, o.ever_closed, o.reopened) == (5, 4, 4, 1)
    assert (o.closure_rate, o.reopen_rate) == (0.8, 0.25)
    assert (o.escalated, o.escalated_by_time, o.escalated_by_customer, o.avoidable) == (1, 0, 1, 1)
    assert o.avoidable_share == 1.0
    assert (o.hand_offs, o.channel_switches, o.repeat_contacts, o.repeats) == (1, 0, 0, 0)
    assert o.per_case(o.hand_offs) == 0.2


def test_sections_by_channel_priority_and_kind(week: Insights) -> None:
    channels = dict(week.by_channel)
    assert sorted(channels) == ["chat", "email", "phone", "web_form"]
    assert (channels["email"].opened, channels["email"].closed) == (2, 2)
    assert kpi_share(channels["web_form"], Target.ACKNOWLEDGE) == 0.0
    kinds = dict(week.by_kind)
    assert {k: s.opened for k, s in kinds.items()} == {
        "complaint": 3, "compliment": 1, "question": 1,
    }  # fmt: skip
    assert (
        dict(week.by_priority)["normal"].opened
        + sum(s.opened for name, s in week.by_priority if name != "normal")
        == 5
    )


def kpi_share(section: object, target: Target) -> float | None:
    (found,) = [k for k in section.kpis if k.target is target]  # type: ignore[attr-defined]
    return found.share_met  # type: ignore[no-any-return]


def test_the_unanswered_queue_and_time_to_acknowledge(week: Insights) -> None:
    q = week.unanswered
    assert q.total == 1
    (waiting,) = q.oldest
    assert (waiting.channel, waiting.subject, waiting.age) == (
        "phone",
        "Case C",
        6 * 24 * H + 14 * H,
    )
    assert {c.label: c.count for c in q.by_age}["3-7 days"] == 1
    assert [(c.label, c.count) for c in q.by_channel] == [("phone", 1)]
    counts = {c.label: c.count for c in week.time_to_acknowledge}
    assert (counts["< 1h"], counts["1-4h"], counts["4-8h"]) == (2, 1, 1)
    assert sum(counts.values()) == 4


def test_promises_no_log_and_root_causes(week: Insights) -> None:
    assert (week.promises.due, week.promises.kept_on_time, week.promise_kept_rate) == (1, 1, 1.0)
    (policy,) = week.no_log.categories
    assert (policy.category, policy.count, policy.examples[0].asked) == (
        "policy", 1, "A refund after 30 days",
    )  # fmt: skip
    assert [(c.label, c.kano, c.count) for c in week.root_causes] == [
        ("courier", Kano.DISSATISFIER, 2),
        ("training", Kano.SATISFIER, 1),
    ]
    assert [c.label for c in week.dissatisfiers] == ["courier"]


def test_survey_scores_in_the_period_only(week: Insights) -> None:
    # 10 and 9 in the period; the 7 came on the Monday after.
    assert (week.nps.score, week.nps.answered, week.nps.promoters) == (100.0, 2, 2)
    (only,) = week.nps_weekly
    assert (only.week, only.nps.score) == (date(2026, 11, 2), 100.0)
    assert week.csat.answered == week.ces.answered == 0
    assert week.recovery.needing_recovery == 0


def test_a_later_period_sees_the_later_answer() -> None:
    store, _, _ = build()
    later = compute(store, UNTIL, UNTIL + timedelta(days=7))
    assert (later.nps.score, later.nps.passives) == (0.0, 1)
    assert later.overall.opened == 0


def test_a_period_before_anything_happened_is_empty() -> None:
    store, _, _ = build()
    empty = compute(store, SINCE - timedelta(days=7), SINCE)
    assert empty.overall.opened == 0
    assert empty.overall.closure_rate is None
    assert empty.overall.kpis == ()
    assert empty.nps.score is None


def test_thresholds_colour_the_kpis() -> None:
    store, _, _ = build()
    lenient = compute(store, SINCE, UNTIL, thresholds=KpiThresholds(green_at=0.6, amber_at=0.5))
    assert kpi(lenient, Target.ACKNOWLEDGE)[-1] is Rag.GREEN
    with pytest.raises(ValidationError, match="amber_at"):
        KpiThresholds(green_at=0.5, amber_at=0.6)
    with pytest.raises(ValidationError, match="share from 0 to 1"):
        KpiThresholds(green_at=1.5)


def test_bad_periods_are_refused() -> None:
    store = InMemoryStore()
    with pytest.raises(ValidationError, match="must be after"):
        compute(store, UNTIL, SINCE)
    with pytest.raises(ValidationError):
        compute(store, datetime(2026, 11, 2), UNTIL)  # naive
    with pytest.raises(ValidationError, match="oldest"):
        compute(store, SINCE, UNTIL, oldest=-1)


@given(st.lists(st.integers(min_value=0, max_value=2 * 24 * 60 - 1), min_size=1),
       st.sampled_from([0.1, 0.5, 0.9, 1.0]))  # fmt: skip
def test_histogram_percentiles_are_exact_to_the_minute_under_two_days(
    minutes: list[int], q: float
) -> None:
    histogram = Histogram()
    for m in minutes:
        histogram.add(timedelta(minutes=m, seconds=30))
    ordered = sorted(minutes)
    rank = max(1, -(-q * len(ordered) // 1))
    assert histogram.quantile(q) == timedelta(minutes=ordered[int(rank) - 1])
    assert histogram.count == len(minutes)


def test_histogram_rounds_long_durations_down_to_the_hour_then_the_day_then_a_year() -> None:
    histogram = Histogram()
    histogram.add(timedelta(days=3, hours=5, minutes=59))
    assert histogram.quantile(1.0) == timedelta(days=3, hours=5)
    histogram = Histogram()
    histogram.add(timedelta(days=90, hours=5))
    assert histogram.quantile(1.0) == timedelta(days=90)
    histogram = Histogram()
    histogram.add(timedelta(days=4000))
    assert histogram.quantile(1.0) == timedelta(days=364)  # a year or more
    assert Histogram().quantile(0.5) is None
    with pytest.raises(ValueError, match="q must be"):
        histogram.quantile(0)
