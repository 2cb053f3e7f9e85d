"""A sweep does everything each due case is due for at its instant, so the case leaves the
due query and a second sweep at the same instant has nothing to do (docs/standards.md):
found by a newcomer's probe where the sweep left cases due, and the stores then disagreed."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from closedloop import Desk, Ladder, LateMode, Lateness, Policy, Rung, SQLiteStore, WaitingOn
from closedloop.domain.cases.events import Escalated, Warned
from closedloop.domain.cases.lateness import PromiseLate
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback, take_step

LADDER = Ladder(
    rungs=[Rung("team lead", ["lead@example.com"]),
           Rung("head of service", ["head@example.com"], after=timedelta(days=1))]
)  # fmt: skip


def desk_on(store: CaseStore, clock: ManualClock, *, amber: bool = False) -> Desk:
    policy = Policy(ladder=LADDER, warn_at_amber=amber)
    return Desk(store, RecordingNotifier(), clock=clock, ids=SequentialIds(), policy=policy)


def nothing_due(desk: Desk, store: CaseStore, clock: ManualClock) -> None:
    assert list(store.due(clock.now(), 100)) == []
    again = desk.sweep()
    assert (again.escalated, again.warned, again.resumed) == ((), (), ())


def test_a_case_first_swept_when_red_is_escalated_and_leaves_the_due_query(
    every_store: CaseStore,
) -> None:
    """With amber warnings on, a step that went red before any sweep saw it amber is
    escalated, not left waiting for a warning that is moot."""
    clock = ManualClock(START)
    desk = desk_on(every_store, clock, amber=True)
    case = desk.listen(make_feedback())
    clock.advance(hours=5)  # the 4 business hours to acknowledge are gone
    assert desk.sweep().escalated == ((case.id, 1),)
    nothing_due(desk, every_store, clock)
    moved = desk.get(case.id)
    assert moved.due_at is not None
    assert moved.due_at > clock.now()
    assert not any(isinstance(e, Warned) for e in moved.events)


def test_a_late_case_whose_hold_ends_is_resumed_and_escalated_in_one_sweep(
    every_store: CaseStore,
) -> None:
    clock = ManualClock(START)
    desk = desk_on(every_store, clock)
    case = desk.listen(make_feedback())
    clock.advance(hours=10)  # late already (due at 13:00), and no sweep ran
    desk.conversation.hold(
        case.id, WaitingOn.THIRD_PARTY, by="amy", reason="supplier",
        resume_by=clock.now() + timedelta(hours=2),
    )  # fmt: skip
    clock.advance(hours=3)
    report = desk.sweep()
    assert (report.resumed, report.escalated) == ((case.id,), ((case.id, 1),))
    nothing_due(desk, every_store, clock)


def test_promises_missed_together_climb_one_rung_per_wait(every_store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = desk_on(every_store, clock)
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    made = [
        desk.promises.make(case.id, what=what, due_by=clock.now() + timedelta(hours=hours),
                           owner="amy", by="amy").promises[-1].id
        for what, hours in (("call back", 3), ("send a label", 1))
    ]  # fmt: skip
    clock.advance(hours=5)  # both missed
    assert desk.sweep().escalated == ((case.id, 1),)
    escalated = [e for e in desk.get(case.id).events if isinstance(e, Escalated)]
    assert [e.promise_id for e in escalated] == [made[1]]  # the one due first
    nothing_due(desk, every_store, clock)
    climb = desk.get(case.id).due_at  # when the next rung's wait (business time) is over
    assert climb is not None
    assert climb >= START + timedelta(days=2)
    clock.advance(seconds=(climb - clock.now()).total_seconds() + 1)
    assert desk.sweep().escalated == ((case.id, 2),)
    escalated = [e for e in desk.get(case.id).events if isinstance(e, Escalated)]
    assert [e.promise_id for e in escalated] == [made[1], made[0]]
    nothing_due(desk, every_store, clock)


def test_a_small_page_looks_past_a_case_the_sweep_could_not_read(tmp_path: Path) -> None:
    """A case the sweep cannot move stays due; with pages of one case it must not hide the
    due cases behind it."""
    path = tmp_path / "loop.db"
    with SQLiteStore(path) as store:
        clock = ManualClock(START)
        desk = desk_on(store, clock)
        poisoned = desk.listen(make_feedback(customer="bad@example.com")).id
        healthy = [desk.listen(make_feedback(customer=f"c{i}@example.com")).id for i in range(3)]
        raw = sqlite3.connect(path)
        for table, key in (("events", "case_id"), ("cases", "id")):
            column = "body" if table == "events" else "snapshot"
            raw.execute(f"UPDATE {table} SET {column} = '{{' WHERE {key} = ?", (poisoned,))
        raw.commit()
        raw.close()
        clock.advance(hours=5)
        report = desk.sweep(batch=1)
        assert report.unreadable == (poisoned,)
        assert sorted(case_id for case_id, _ in report.escalated) == sorted(healthy)


def test_a_case_due_again_minutes_after_a_sweep_is_swept_at_once(every_store: CaseStore) -> None:
    """The sweep's claim on a case (PostgreSQL's ``claim_due``, a five-minute lease) ends
    when the case is committed: a promise missed three minutes after the sweep that
    escalated the case is announced by the next sweep, as on every store, not after the
    lease (found by a newcomer's probe)."""
    clock = ManualClock(START)
    policy = Policy(lateness=Lateness(mode=LateMode.NOTIFY))
    desk = Desk(every_store, RecordingNotifier(), clock=clock, ids=SequentialIds(), policy=policy)
    case = desk.listen(make_feedback())
    clock.advance(hours=5)
    assert desk.sweep().escalated == ((case.id, 1),)
    clock.advance(minutes=1)
    due = clock.now() + timedelta(minutes=1)
    desk.promises.make(case.id, what="Call back", due_by=due, owner="amy", by="amy")
    clock.advance(minutes=2)  # the promise is missed, three minutes after the first sweep

    desk.sweep()

    assert isinstance(desk.get(case.id).events[-1], PromiseLate)


def test_a_case_reopened_at_the_top_of_the_ladder_climbs_it_again(
    every_store: CaseStore,
) -> None:
    """A reopened case kept its top rung: its new deadlines gave it no due time, so the
    sweep never looked at it again and nobody heard of its new breaches (G1)."""
    clock = ManualClock(START)
    top = Ladder(rungs=[Rung("team lead", ["lead@example.com"])])
    desk = Desk(every_store, RecordingNotifier(), clock=clock, policy=Policy(ladder=top))
    case = desk.listen(make_feedback()).id
    clock.advance(hours=5)
    assert desk.sweep().escalated == ((case, 1),)
    for step in ("acknowledge", "take_action", "thank", "explain"):
        take_step(desk, case, step)
    clock.advance(days=1)

    reopened = desk.reopen(case, reason="still broken")

    assert reopened.escalation_level == 0
    assert reopened.due_at is not None
    clock.advance(days=14)
    assert desk.sweep().escalated == ((case, 1),)
    assert sum(isinstance(e, Escalated) for e in desk.get(case).events) == 2
    nothing_due(desk, every_store, clock)
