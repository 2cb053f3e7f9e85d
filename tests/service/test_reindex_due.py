"""``desk.queues.reindex()`` after a policy change: the sweep's due time follows the new
standards too. A newcomer's probe dropped a holiday under an open case: every view said
RED, but the sweep and ``health()`` kept the old due time, a business day late."""

from __future__ import annotations

from datetime import date, time, timedelta

from closedloop import (
    BusinessCalendar,
    Desk,
    Policy,
    Rag,
    Standard,
    Standards,
    Target,
    Window,
)
from closedloop.domain.cases.events import Rescheduled
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback

WEEK = {day: [Window(time(9), time(17))] for day in range(5)}


def policy(holidays: list[date]) -> Policy:
    calendar = BusinessCalendar("UTC", WEEK, holidays=holidays)
    rule = Standard(Target.ACKNOWLEDGE, timedelta(hours=4), calendar)
    return Policy(standards=Standards(rules=[rule]))


def test_reindex_moves_the_due_time_to_the_new_standards(every_store: CaseStore) -> None:
    friday = START - timedelta(days=3) + timedelta(hours=6)  # Friday 20 Nov, 15:00
    monday = START.date()
    clock = ManualClock(friday)
    old = Desk(every_store, RecordingNotifier(), clock=clock, policy=policy([monday]))
    case = old.listen(make_feedback()).id
    assert old.get(case).due_at == START + timedelta(days=1, hours=2)  # Tuesday 11:00

    clock.set(START + timedelta(hours=3))  # Monday 12:00, a working day after all
    new = Desk(every_store, RecordingNotifier(), clock=clock, policy=policy([]))
    assert new.queues.reindex() == 1

    moved = new.get(case)
    assert moved.due_at == START + timedelta(hours=2)  # Monday 11:00
    assert isinstance(moved.events[-1], Rescheduled)
    assert new.standards.status(case) is Rag.RED
    assert [c.id for c in new.queues.find(rag=Rag.RED).cases] == [case]
    assert new.sweep().escalated == ((case, 1),)


def test_reindex_leaves_a_case_whose_due_time_holds_alone(every_store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = Desk(every_store, RecordingNotifier(), clock=clock, policy=policy([]))
    case = desk.listen(make_feedback())
    assert desk.queues.reindex() == 1  # its RAG instants, stored again
    assert desk.get(case.id) == case  # no new event
