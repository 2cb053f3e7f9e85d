"""A store that keeps how far a case's facts were worked out beside its snapshot lets the
next commit go on from the case as read: facts equal those worked out from the first event,
whatever the steps and whichever process (a new Desk, a changed policy) takes them, and the
sweep commits an escalation without reading the case's history."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop import (
    BusinessCalendar,
    Channel,
    ClosedLoopError,
    Desk,
    Policy,
    SQLiteStore,
    Standard,
    Standards,
    Target,
)
from closedloop.domain.change import Change, Write
from closedloop.domain.reports.facts import CaseFacts, Scan, basis, case_facts
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, STEPS, make_feedback, take_step


class Recording(SQLiteStore):
    """A SQLite store that keeps each case change it committed."""

    committed: list[Change]

    def commit_many(self, changes: Sequence[Write]) -> None:
        super().commit_many(changes)
        self.committed.extend(c for c in changes if isinstance(c, Change))


def _recording() -> Recording:
    store = Recording()
    store.committed = []
    return store


def _tight() -> Standards:
    """Standards every step misses within the hour, so that sweeps escalate."""
    always = BusinessCalendar.always_open()
    return Standards(defaults=[Standard(t, timedelta(hours=1), always) for t in Target])


MOVES = [*STEPS, "reply", "write", "elsewhere", "assign", "cause", "sweep", "merge", "split"]


def _move(desk: Desk, case_id: str, move: str) -> None:
    if move == "reply":
        desk.conversation.reply(case_id, "On it", by="amy")
    elif move == "write":
        desk.conversation.add_message(case_id, make_feedback(text="Any news?"))
    elif move == "elsewhere":
        desk.conversation.add_message(case_id, make_feedback(channel=Channel.PHONE, text="Hi"))
    elif move == "assign":
        desk.assign(case_id, owner="bob", by="amy")
    elif move == "cause":
        desk.explain(case_id, by="amy", what_failed="x", what_changes="y", root_cause="stock")
    elif move == "sweep":
        desk.sweep()
    elif move == "merge":  # a duplicate from the customer, merged in
        duplicate = desk.listen(make_feedback(text="Same again"))
        desk.conversation.merge(case_id, duplicate.id, by="amy", reason="duplicate")
    elif move == "split":  # the last message, if it is not the only one, to a case of its own
        last = len(desk.get(case_id).messages) - 1
        desk.conversation.split(case_id, [last] if last else [], by="amy", reason="other matter")
    else:
        take_step(desk, case_id, move)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(MOVES), st.integers(0, 30), st.booleans()), max_size=12))
def test_facts_gone_on_from_the_case_as_read_equal_facts_from_the_first_event(
    moves: list[tuple[str, int, bool]],
) -> None:
    store, clock = _recording(), ManualClock(START)
    policies = (Policy(), Policy(standards=_tight()))
    case = Desk(store, RecordingNotifier(), clock=clock).listen(make_feedback())
    for move, hours, tight in moves:
        clock.advance(hours=hours)
        # A new Desk each time, as a new process would be: it remembers nothing.
        desk = Desk(store, RecordingNotifier(), clock=clock, policy=policies[tight])
        with suppress(ClosedLoopError):  # a step the case may not take now: nothing committed
            _move(desk, case.id, move)
    for change in store.committed:
        facts = change.facts
        assert isinstance(facts, CaseFacts)
        policy = next(p for p in policies if facts.basis == basis(p.standards, p.lifecycle))
        assert facts == case_facts(change.case, policy.standards, policy.lifecycle)


def test_the_sweep_escalates_a_case_it_read_without_reading_its_history() -> None:
    store, clock = _recording(), ManualClock(START)
    policy = Policy(standards=_tight())
    opened = Desk(store, RecordingNotifier(), clock=clock, policy=policy).listen(make_feedback())
    clock.advance(hours=2)
    store.committed.clear()
    report = Desk(store, RecordingNotifier(), clock=clock, policy=policy).sweep()
    assert [case_id for case_id, _ in report.escalated] == [opened.id]
    [change] = store.committed
    assert change.case.events.loaded is False  # type: ignore[attr-defined]
    assert change.facts == case_facts(store.get(opened.id), policy.standards, policy.lifecycle)
    assert change.facts is not None
    assert change.facts.by_time


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("$.kept.scan", "'garbage'"),
        ("$.kept.basis", "'another policy'"),
        ("$.kept.version", "7"),
        ("$.kept.done", "json_array(json_object('target', 'acknowledge', 'standard', 99))"),
        ("$.kept.done[0].standard", "'two'"),
        ("$.kept.done[0].done_at", "5"),
        ("$.kept", "json_object()"),
    ],
)
def test_facts_are_worked_out_from_the_history_when_the_kept_record_does_not_fit(
    path: str, value: str
) -> None:
    store, clock = _recording(), ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock)
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")  # a step measured done, kept
    store._shared.connection.execute(
        f"UPDATE cases SET snapshot = json_set(snapshot, ?, {value})", (path,)
    )
    clock.advance(hours=1)
    desk = Desk(store, RecordingNotifier(), clock=clock)
    moved = desk.take_action(case.id, by="amy", summary="Refunded")
    change = store.committed[-1]
    assert change.case.events.loaded is True  # type: ignore[attr-defined]
    assert change.facts == case_facts(moved, desk.policy.standards, desk.policy.lifecycle)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(MOVES), max_size=10), st.integers(0, 10))
def test_a_scan_goes_on_from_any_point_as_from_the_first_event(moves: list[str], cut: int) -> None:
    store, clock = _recording(), ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock, policy=Policy(standards=_tight()))
    case_id = desk.listen(make_feedback()).id
    for move in moves:
        clock.advance(hours=1)
        with suppress(ClosedLoopError):
            _move(desk, case_id, move)
    events = list(store.get(case_id).events)
    at = min(cut, len(events))
    assert Scan().after(events[:at]).after(events[at:]) == Scan().after(events)
