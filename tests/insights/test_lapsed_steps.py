"""A case closed for the customer's silence took no action and closed no loop: its steps
still pending were counted as met at the closing (a newcomer's probe found the take-action
KPI rising for cases nobody acted on)."""

from __future__ import annotations

from datetime import timedelta

from closedloop import Desk, Policy, Silence, Stage
from closedloop.insights import compute
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback


def lapsed_case(store: CaseStore, clock: ManualClock) -> Desk:
    policy = Policy(silence=Silence(timedelta(hours=8), timedelta(hours=8)))
    desk = Desk(store, RecordingNotifier(), clock=clock, policy=policy)
    case = desk.listen(make_feedback()).id
    desk.acknowledge(case, by="amy")
    desk.conversation.await_customer(case, by="amy", question="Which size?")
    clock.advance(days=1, minutes=1)
    desk.sweep()  # told the case will close
    desk.outbox.dispatch()  # (it closes only once they were told)
    clock.advance(days=1, minutes=1)
    desk.sweep()  # closed for their silence
    assert desk.get(case).stage is Stage.CLOSED
    return desk


def test_a_case_closed_for_silence_meets_no_step_it_never_took(every_store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = lapsed_case(every_store, clock)
    clock.advance(hours=1)
    since, until = START - timedelta(days=1), clock.now()

    report = desk.reports.insights(since, until)

    measured = {k.standard: (k.measured, k.met) for k in report.overall.kpis}
    assert not any(name.startswith(("take action", "close the loop")) for name in measured)
    assert measured == {"acknowledge within 4 business hours": (1, 1)}
    assert report == compute(every_store, since, until, standards=desk.policy.standards,
                             replay=True)  # fmt: skip


def test_a_step_late_before_the_silence_stays_missed(every_store: CaseStore) -> None:
    clock = ManualClock(START)
    policy = Policy(silence=Silence(timedelta(hours=8), timedelta(hours=8)))
    desk = Desk(every_store, RecordingNotifier(), clock=clock, policy=policy)
    case = desk.listen(make_feedback()).id
    clock.advance(days=6)  # the acknowledgement and the action are both late
    desk.acknowledge(case, by="amy")
    desk.conversation.await_customer(case, by="amy", question="Which size?")
    for _ in range(3):  # escalated (late already), told of the closing, closed
        clock.advance(days=1, minutes=1)
        desk.sweep()
        desk.outbox.dispatch()
    assert desk.get(case).stage is Stage.CLOSED
    clock.advance(hours=1)

    report = desk.reports.insights(START - timedelta(days=1), clock.now())

    take_action = next(k for k in report.overall.kpis if k.standard.startswith("take action"))
    assert (take_action.measured, take_action.met) == (1, 0)
