"""A period that ends after now is measured up to now: a step due later is not missed yet
(a "this week" report on Monday must not show Tuesday's deadlines as missed)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closedloop import Desk, Policy, Rag, ValidationError
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def test_steps_due_after_now_are_not_missed(every_store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = Desk(every_store, RecordingNotifier(), clock=clock, policy=Policy())
    case = desk.listen(make_feedback()).id
    clock.advance(hours=1)
    assert desk.standards.status(case) is Rag.GREEN

    week = desk.reports.insights(START - DAY, START + 6 * DAY)

    assert week.until == clock.now() + timedelta(microseconds=1)
    assert all(k.met == k.measured == 0 for k in week.overall.kpis)
    assert all(k.rag is not Rag.RED for k in week.overall.kpis)
    # Measured at the end of the period: just after now.
    assert [u.age for u in week.unanswered.oldest] == [HOUR + timedelta(microseconds=1)]


def test_a_step_missed_before_now_still_counts(every_store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = Desk(every_store, RecordingNotifier(), clock=clock, policy=Policy())
    desk.listen(make_feedback())
    clock.advance(days=3)  # the 4-business-hour acknowledgement is long past

    week = desk.reports.insights(START - DAY, START + 6 * DAY)

    acknowledge = next(k for k in week.overall.kpis if k.standard.startswith("acknowledge"))
    assert (acknowledge.measured, acknowledge.met) == (1, 0)


def test_promises_due_after_now_have_not_fallen_due(every_store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = Desk(every_store, RecordingNotifier(), clock=clock, policy=Policy())
    case = desk.listen(make_feedback()).id
    desk.acknowledge(case, by="amy")
    desk.promises.make(case, what="call back", due_by=START + 2 * DAY, owner="amy", by="amy")

    assert desk.reports.promises(START - DAY, START + 6 * DAY).due == 0
    clock.advance(days=3)
    assert desk.reports.promises(START - DAY, START + 6 * DAY).due == 1


def test_a_period_that_has_not_started_is_refused(every_store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = Desk(every_store, RecordingNotifier(), clock=clock, policy=Policy())
    desk.listen(make_feedback())

    with pytest.raises(ValidationError, match="nothing in it has happened yet") as refused:
        desk.reports.insights(START + HOUR, START + DAY)
    assert refused.value.field == "since"
    assert desk.reports.insights(START - DAY, START).overall.opened == 0
