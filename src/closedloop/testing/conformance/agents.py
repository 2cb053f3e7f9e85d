"""R16: agents' availability, the open cases each agent owns, and the teams' rotations.

Checks :class:`closedloop.ports.AgentStorage`, an optional role: a store without it is
skipped (the Desk then refuses automatic assignment rules and ``desk.teams.away``).
"""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.labelling import route
from closedloop.domain.change import Change
from closedloop.domain.errors import CaseNotFoundError, ConcurrencyError, ValidationError
from closedloop.ports import AgentStorage, CaseStore
from closedloop.testing.conformance.base import _STEP, T0, StoreContract, _note, closed, opened

__all__ = ["AgentStorageContract"]

_BERLIN = timezone(timedelta(hours=1), "CET")


def _owned(case_id: str, owner: str, customer: str = "ann@example.com") -> Change:
    case = opened(case_id, customer=customer)
    return Change(route(case, at=T0, by="lee", owner=owner, team="desk", reason="manual"), 0)


class AgentStorageContract(StoreContract):
    """R16 availability, owned open cases and rotations, as tests."""

    @pytest.fixture
    def agents(self, store: CaseStore) -> AgentStorage:
        """The store as an ``AgentStorage``; the tests skip for a store without the role."""
        if not isinstance(store, AgentStorage):
            pytest.skip("the store does not provide the optional AgentStorage role")
        return store

    def test_r16_availability_reads_back_as_set(
        self, store: CaseStore, agents: AgentStorage
    ) -> None:
        back_at = (T0 + timedelta(days=2)).astimezone(_BERLIN)
        agents.set_away("ann", back_at)
        agents.set_away("bo", None)
        agents.set_back("nobody")  # nothing to do
        found = agents.away(["ann", "bo", "cy"])
        assert found == {"ann": back_at, "bo": None}
        ann = found["ann"]
        assert ann is not None
        assert ann.utcoffset() == timedelta(hours=1)  # the zone as given (R4)
        agents.set_away("ann", None)
        agents.set_back("bo")
        assert agents.away(["ann", "bo"]) == {"ann": None}
        assert agents.away([]) == {}

    def test_r16_owned_open_cases_follow_every_commit(
        self, store: CaseStore, agents: AgentStorage
    ) -> None:
        store.commit_many([_owned("c3", "ann"), _owned("c1", "ann"), _owned("c2", "bo")])
        store.commit(Change(opened("c4"), 0))  # nobody's
        acked = latte.acknowledge(opened("c5"), at=T0, by="cy")  # the acknowledger owns it
        store.commit(Change(acked, 0))
        assert agents.open_cases_of("ann") == ["c1", "c3"]
        assert agents.open_counts(["ann", "bo", "cy", "dee"]) == {
            "ann": 2, "bo": 1, "cy": 1, "dee": 0,
        }  # fmt: skip
        c1 = store.get("c1")
        moved = route(c1, at=T0 + _STEP, by="lee", owner="bo", team="desk", reason="hand_off")
        store.commit(Change(moved, c1.version))
        queued = route(store.get("c3"), at=T0 + _STEP, by="lee", owner=None, team="desk")
        store.commit(Change(queued, 2))
        done = closed(store.get("c2"), at=T0 + _STEP)
        store.commit(Change(done, 2))
        assert agents.open_cases_of("ann") == []
        assert agents.open_cases_of("bo") == ["c1"]
        assert agents.open_counts(["ann", "bo"]) == {"ann": 0, "bo": 1}

    def test_r16_owned_open_cases_page_in_id_order(
        self, store: CaseStore, agents: AgentStorage
    ) -> None:
        store.commit_many([_owned(f"c{i}", "ann") for i in range(7)])
        assert agents.open_cases_of("ann", limit=3) == ["c0", "c1", "c2"]
        assert agents.open_cases_of("ann", after="c2", limit=3) == ["c3", "c4", "c5"]
        assert agents.open_cases_of("ann", after="c5") == ["c6"]
        with pytest.raises(ValidationError):
            agents.open_cases_of("ann", limit=0)

    def test_r16_a_turn_commits_with_its_change_or_not_at_all(
        self, store: CaseStore, agents: AgentStorage
    ) -> None:
        assert agents.rotation("desk") == (0, None)
        first = _owned("c1", "ann")
        agents.commit_turn("desk", 0, "ann", first)
        assert agents.rotation("desk") == (1, "ann")
        assert store.get("c1") == first.case
        stale = _owned("c2", "bo")
        with pytest.raises(ConcurrencyError):
            agents.commit_turn("desk", 0, "bo", stale)
        with pytest.raises(CaseNotFoundError):
            store.get("c2")
        assert agents.rotation("desk") == (1, "ann")
        taken = _owned("c1", "bo")  # the case is taken: the turn is not
        with pytest.raises(ConcurrencyError):
            agents.commit_turn("desk", 1, "bo", taken)
        assert agents.rotation("desk") == (1, "ann")
        assert agents.open_counts(["ann", "bo"]) == {"ann": 1, "bo": 0}
        note = _note(stale.case, "acknowledgement", T0)
        agents.commit_turn("desk", 1, "bo", Change(stale.case, 0, (note,)))
        assert agents.rotation("desk") == (2, "bo")
        assert [m.key for m in store.outbox_claim(T0 + _STEP)] == [note.key]
        assert agents.rotation("other-team") == (0, None)

    def test_r16_each_tenant_has_its_own_agents_cases_and_rotations(
        self, store: CaseStore, agents: AgentStorage
    ) -> None:
        acme = store.for_tenant("acme")
        assert isinstance(acme, AgentStorage)
        agents.set_away("ann", None)
        agents.commit_turn("desk", 0, "ann", _owned("c1", "ann"))
        assert acme.away(["ann"]) == {}
        assert acme.open_counts(["ann"]) == {"ann": 0}
        assert acme.open_cases_of("ann") == []
        assert acme.rotation("desk") == (0, None)
        acme.commit_turn("desk", 0, "bo", _owned("c1", "bo"))
        assert agents.rotation("desk") == (1, "ann")
        assert agents.open_cases_of("bo") == []
