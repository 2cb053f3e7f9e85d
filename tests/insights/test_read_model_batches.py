"""Facts written by a batch (``listen_many``, a sweep's page) are the facts a case at a
time would write: a report from them equals the replayed report, on every store. (On
PostgreSQL a batch's facts go as one statement over arrays per table.)"""

from __future__ import annotations

from datetime import timedelta

from closedloop import Desk, Ladder, Policy, Rung
from closedloop.insights import compute
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback


def test_a_report_on_facts_written_in_batches_is_the_replayed_report(
    every_store: CaseStore,
) -> None:
    store = every_store
    clock = ManualClock(START)
    policy = Policy(ladder=Ladder(rungs=[Rung("team lead", ["lead@example.com"])]))
    desk = Desk(store, RecordingNotifier(), clock=clock, policy=policy)
    cases = desk.listen_many(
        make_feedback(customer=f"c{i}@example.com", text=f"late order {i}") for i in range(12)
    )
    for case in cases[:3]:
        desk.acknowledge(case.id, by="amy")
    desk.take_action(cases[0].id, by="amy", summary="Refunded")
    clock.advance(timedelta(days=9))
    swept = desk.sweep()
    assert len(swept.escalated) >= 9  # a page of escalations, committed together
    until = clock.now() + timedelta(seconds=1)
    since = START - timedelta(days=1)
    assert compute(store, since, until) == compute(store, since, until, replay=True)


def test_unsettled_cases_come_once_each_across_pages_of_cases_opened_together(
    every_store: CaseStore,
) -> None:
    """More cases than a page (500) opened at one instant: the pages go on from the last
    case's (opening, id), so ties on the opening neither repeat nor skip a case."""
    store = every_store
    desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
    cases = desk.listen_many(make_feedback(customer=f"c{i}@example.com") for i in range(1_100))
    unsettled = [case.id for case in store.unsettled(START + timedelta(days=1), "another")]
    assert unsettled == sorted(case.id for case in cases)
