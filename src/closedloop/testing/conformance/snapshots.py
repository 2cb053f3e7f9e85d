"""R4: the case a store reads is the replay of its events, whatever wrote it (a commit, a
batch, a merge or split, an erasure) and however long its history; a case read before a
later commit keeps its own history.

Stores may keep each case's state beside its events (a snapshot) so that reading a case
costs the same however long its history: these tests hold them to the events.

Checks :class:`closedloop.ports.CaseStorage` with :class:`closedloop.ports.UnitOfWork`.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop.domain.cases import conversation as talk
from closedloop.domain.cases import labelling as labels
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.case import Case, replay
from closedloop.domain.cases.contact import WaitingOn
from closedloop.domain.cases.history import last_at
from closedloop.domain.change import Change
from closedloop.domain.checks import instant
from closedloop.domain.customers.erasure import Erasure
from closedloop.domain.standards import escalation, pauses
from closedloop.ports import CaseStore
from closedloop.testing import strategies
from closedloop.testing.conformance.base import T0, StoreContract, _feedback, opened

__all__ = ["SnapshotContract"]


def _same(store: CaseStore, case: Case) -> None:
    """``store`` reads ``case`` back equal, and equal to the replay of its events."""
    back = store.get(case.id)
    assert back == case
    assert len(back.events) == back.version
    assert replay(back.events) == back


def _rich(case_id: str, customer: str = "ann@example.com") -> Case:
    """A case whose every field a snapshot holds is set: a team and an owner, tags and
    custom fields, the acknowledgement's promise, promises kept and escalated, a raised
    priority, a pause (strategies.cases() leaves most of these at their defaults)."""
    opened_ = latte.open_case(case_id, _feedback(customer), at=T0, team="care")
    case = latte.acknowledge(opened_, at=T0, by="amy", next_contact_by=T0 + timedelta(days=2))
    case = labels.tag(case, at=T0, by="amy", add=["vip", "billing"])
    case = labels.set_fields(case, at=T0, by="amy", values={"plan": "pro"})
    for n, what in enumerate(("Call back", "Refund"), start=1):
        due = T0 + timedelta(hours=n)
        case = talk.make_promise(
            case, promise_id=f"p{n}", what=what, due_by=due, owner="amy", at=T0, by="amy"
        )
    case = talk.keep_promise(case, "p1", at=T0 + timedelta(minutes=30), by="amy")
    late = T0 + timedelta(hours=3)
    case = escalation.escalate_promise(
        case, at=late, ladder=escalation.Ladder(), promise=case.promises[1], due_at=None
    )
    case = talk.reprioritize(case, case.priority.raised(), at=late, by="amy", reason="VIP")
    until = late + timedelta(days=1)
    case = pauses.pause(
        case, WaitingOn.THIRD_PARTY, at=late, by="amy", reason="Supplier", resume_by=until
    )
    held = (case.team, case.owner, case.tags, case.fields, case.contact_promise, case.pause)
    assert all(held)
    assert (case.escalation_level, len(case.promises)) == (1, 2)
    return case


def _handed(case: Case, times: int) -> Case:
    """``case`` handed between amy and bob ``times`` times (each a new owner: an event)."""
    at = max(T0, last_at(case.events), key=instant)  # a history never goes back in time
    for _ in range(times):
        case = latte.assign(case, at=at, by="amy", owner="bob" if case.owner == "amy" else "amy")
    return case


class SnapshotContract(StoreContract):
    """R4: a read case is the replay of its events."""

    @settings(
        max_examples=25,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
        deadline=None,
    )
    @given(case=strategies.cases(), more=st.integers(min_value=0, max_value=3))
    def test_r4_a_read_case_is_the_replay_of_its_events(self, case: Case, more: int) -> None:
        store = self.make_store()
        try:
            store.commit(Change(case, 0))
            _same(store, case)
            if case.is_active and more:  # steps on the case as read back, committed one by one
                read = store.get(case.id)
                moved = _handed(read, more)
                store.commit(Change(moved, read.version))
                _same(store, moved)
                assert store.get(case.id).events[: case.version] == case.events
        finally:
            self.close(store)

    def test_r4_a_batch_writes_each_case_as_its_events_say(self, store: CaseStore) -> None:
        first = opened("c1")
        second = opened("c2", customer="bob@example.com", external_id="m-c2")
        store.commit_many([Change(first, 0), Change(second, 0)])
        moved = [_handed(store.get("c1"), 2), latte.acknowledge(store.get("c2"), at=T0, by="amy")]
        store.commit_many([Change(moved[0], 1), Change(moved[1], 1)])
        for case in moved:
            _same(store, case)
        assert [c.id for c in store.cases_of("bob@example.com")] == ["c2"]
        assert store.find_by_external_id("m-c2") == moved[1]
        # Each case of a batch, whatever its place in it, and each one committed before.
        for order in (moved, moved[::-1]):
            again = [_handed(store.get(c.id), 1) for c in order]
            store.commit_many([Change(c, c.version - 1) for c in again])
            for case in again:
                _same(store, case)

    def test_r4_every_field_of_a_case_reads_back(self, store: CaseStore) -> None:
        """A team, tags, custom fields, promises, an escalation and a pause: every field a
        snapshot holds, whether the case came in one commit, in steps, or in a batch."""
        whole = _rich("c1")
        store.commit(Change(whole, 0))
        _same(store, whole)
        stepped = _rich("c2", customer="bob@example.com")
        store.commit(Change(replay(stepped.events[:2]), 0))
        store.commit(Change(stepped, 2))
        _same(store, stepped)
        both = [_handed(store.get("c1"), 1), _handed(store.get("c2"), 1)]
        store.commit_many([Change(c, c.version - 1) for c in both])
        for case in both:
            _same(store, case)

    def test_r4_a_long_history_reads_back_whole(self, store: CaseStore) -> None:
        case = _handed(latte.acknowledge(opened("c1"), at=T0, by="amy"), 300)
        store.commit(Change(case, 0))
        _same(store, case)
        assert store.get("c1").events[-1] == case.events[-1]
        assert list(reversed(store.get("c1").events)) == list(reversed(case.events))

    def test_r4_a_case_read_before_a_commit_keeps_its_history(self, store: CaseStore) -> None:
        case = latte.acknowledge(opened("c1"), at=T0, by="amy")
        store.commit(Change(case, 0))
        early = store.get("c1")  # its history not read yet
        store.commit(Change(_handed(store.get("c1"), 3), case.version))
        assert early.events == case.events
        assert early == case

    def test_r4_merged_and_split_cases_are_the_replay_of_their_events(
        self, store: CaseStore
    ) -> None:
        into, other = opened("c1"), opened("c2")
        store.commit_many([Change(into, 0), Change(other, 0)])
        gained, stopped = talk.merge_cases(
            store.get("c1"), store.get("c2"), at=T0, by="amy", reason="same matter"
        )
        store.commit_many([Change(gained, 1), Change(stopped, 1)])
        _same(store, gained)
        _same(store, stopped)
        grown = talk.add_message(
            store.get("c1"), _feedback(external_id="c1-again"), at=T0, by="amy", due_at=None
        )
        store.commit(Change(grown, gained.version))
        source, new = talk.split_case(
            store.get("c1"), [0], new_id="c3", at=T0, by="amy", reason="two matters"
        )
        store.commit_many([Change(source, grown.version), Change(new, 0)])
        _same(store, source)
        _same(store, new)

    def test_r4_an_erased_case_is_the_replay_of_its_erased_events(self, store: CaseStore) -> None:
        case = latte.acknowledge(opened("c1"), at=T0, by="amy")
        store.commit(Change(case, 0))
        store.erase(Erasure(frozenset({case.customer}), "erased-1"), T0 + timedelta(days=1))
        back = store.get("c1")
        assert replay(back.events) == back
        assert case.customer not in repr(back)  # the snapshot is rewritten with the events
        assert case.customer not in repr(list(back.events))
