"""Report facts measured from where the last commit left off equal facts measured from the
first event, whatever the steps, and a remembered progress that does not fit the case's
history (a commit the host rolled back) is not used."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop import Desk, Policy
from closedloop.domain.change import Change, Write
from closedloop.domain.reports.facts import CaseFacts, case_facts
from closedloop.domain.reports.measure import progress
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, STEPS, make_feedback, take_step


class FactsKept(InMemoryStore):
    """An in-memory store that keeps the facts each commit carried, and the case."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: list[tuple[Change, CaseFacts]] = []

    def commit_many(self, changes: Sequence[Write]) -> None:
        super().commit_many(changes)
        for change in changes:
            if isinstance(change, Change) and change.facts is not None:
                self.kept.append((change, change.facts))


def _from_scratch(desk: Desk, change: Change) -> CaseFacts:
    return case_facts(change.case, desk.policy.standards, desk.policy.lifecycle)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([*STEPS, "reply", "write", "hold"]), st.integers(0, 30)),
        max_size=14,
    )
)
def test_facts_from_the_last_commit_equal_facts_from_the_first_event(
    moves: list[tuple[str, int]],
) -> None:
    store, clock = FactsKept(), ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock, policy=Policy())
    case = desk.listen(make_feedback())
    for move, hours in moves:
        clock.advance(hours=hours)
        try:
            if move == "reply":
                desk.conversation.reply(case.id, "On it", by="amy")
            elif move == "write":
                desk.conversation.add_message(case.id, make_feedback(text="Any news?"))
            elif move == "hold":
                desk.conversation.hold(
                    case.id, by="amy", reason="Courier", until=clock.now() + timedelta(days=1)
                )
            else:
                take_step(desk, case.id, move)
        except Exception:  # a step the case may not take now: nothing committed
            pass
        desk.sweep()
    assert len(store.kept) >= 1
    for change, facts in store.kept:
        assert facts == _from_scratch(desk, change)


def test_a_remembered_progress_that_does_not_fit_the_history_is_not_used() -> None:
    clock = ManualClock(START)
    elsewhere = Desk(InMemoryStore(), RecordingNotifier(), clock=clock, ids=SequentialIds())
    store = FactsKept()
    desk = Desk(store, RecordingNotifier(), clock=clock, ids=SequentialIds())
    rolled_back = elsewhere.acknowledge(elsewhere.listen(make_feedback()).id, by="bob")
    case = desk.listen(make_feedback())
    assert case.id == rolled_back.id
    clock.advance(hours=3)
    desk.acknowledge(case.id, by="amy")
    # As if bob's version 2 had been committed here and then rolled back by the host's
    # transaction, and amy's version 2 is what the store holds.
    desk._ctx.measured.remember([progress(rolled_back, desk.policy.standards)])
    desk.take_action(case.id, by="amy", summary="Refunded")
    change, facts = store.kept[-1]
    assert change.case.version == 3
    assert facts == _from_scratch(desk, change)
