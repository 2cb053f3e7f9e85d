"""R1, R2 and R6: atomic, version-checked commits, bound to one tenant.

Checks :class:`closedloop.ports.UnitOfWork`. Every other contract commits its records
through it, so an adapter makes this one pass first.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.conversation import add_message
from closedloop.domain.change import Change
from closedloop.domain.errors import (
    CaseNotFoundError,
    ConcurrencyError,
    MessageNotFoundError,
    ValidationError,
)
from closedloop.ports import CaseStore
from closedloop.testing.conformance.base import (
    _STEP,
    T0,
    StoreContract,
    _feedback,
    _note,
    opened,
)

__all__ = ["UnitOfWorkContract"]


class UnitOfWorkContract(StoreContract):
    """R1 atomicity, R2 versioning and R6 tenant isolation, as tests."""

    # -- R1 atomicity ---------------------------------------------------------------------

    def test_r1_a_commit_stores_state_events_and_notifications_together(
        self, store: CaseStore
    ) -> None:
        case = opened("c1")
        store.commit(Change(case, 0))
        acked = latte.acknowledge(case, at=T0 + _STEP, by="amy")
        store.commit(Change(acked, 1, (_note(acked, "acknowledgement", T0 + _STEP),)))
        assert store.get("c1") == acked
        assert [m.key for m in store.outbox_claim(T0 + _STEP)] == ["c1/2/acknowledgement"]

    def test_r1_a_refused_commit_stores_nothing(self, store: CaseStore) -> None:
        case = opened("c1")
        store.commit(Change(case, 0))
        acked = latte.acknowledge(case, at=T0, by="amy")
        stale = Change(acked, 0, (_note(acked, "acknowledgement", T0),))
        with pytest.raises(ConcurrencyError):
            store.commit(stale)
        assert store.get("c1") == case
        assert store.outbox_claim(T0 + timedelta(days=1)) == []

    def test_r1_commit_many_is_all_or_nothing(self, store: CaseStore) -> None:
        store.commit(Change(opened("taken"), 0))
        batch = [Change(opened("new-1"), 0), Change(opened("taken"), 0)]
        with pytest.raises(ConcurrencyError):
            store.commit_many(batch)
        with pytest.raises(CaseNotFoundError):
            store.get("new-1")
        store.commit_many([Change(opened("new-1"), 0), Change(opened("new-2"), 0)])
        assert [c.id for c in store.cases_of("ann@example.com")] == ["new-1", "new-2", "taken"]

    def test_r1_a_batch_changes_each_case_once(self, store: CaseStore) -> None:
        case = opened("c1")
        with pytest.raises(ValidationError, match="only once"):
            store.commit_many(
                [Change(case, 0), Change(latte.assign(case, at=T0, by="a", owner="b"), 0)]
            )
        with pytest.raises(CaseNotFoundError):
            store.get("c1")

    # -- R2 versioning --------------------------------------------------------------------

    def test_r2_a_new_case_must_not_exist_yet(self, store: CaseStore) -> None:
        store.commit(Change(opened("c1"), 0))
        with pytest.raises(ConcurrencyError) as info:
            store.commit(Change(opened("c1", customer="bob@example.com"), 0))
        assert (info.value.expected, info.value.actual) == (0, 1)
        assert store.get("c1").customer == "ann@example.com"

    def test_r2_a_stale_version_is_refused(self, store: CaseStore) -> None:
        case = opened("c1")
        store.commit(Change(case, 0))
        acked = latte.acknowledge(case, at=T0, by="amy")
        store.commit(Change(acked, 1))
        other = latte.assign(case, at=T0, by="lead", owner="bo")
        with pytest.raises(ConcurrencyError) as info:
            store.commit(Change(other, 1))
        assert (info.value.expected, info.value.actual) == (1, 2)
        assert store.get("c1") == acked

    def test_r2_a_refused_batch_names_its_first_stale_case(self, store: CaseStore) -> None:
        cases = [opened(f"c{n}") for n in range(3)]
        store.commit_many([Change(c, 0) for c in cases])
        acked = [latte.acknowledge(c, at=T0, by="amy") for c in cases]
        store.commit_many([Change(acked[1], 1), Change(acked[2], 1)])  # moved on meanwhile
        with pytest.raises(ConcurrencyError) as info:
            store.commit_many([Change(a, 1) for a in acked])
        assert (info.value.case_id, info.value.expected, info.value.actual) == ("c1", 1, 2)
        assert [store.get(f"c{n}") for n in range(3)] == [cases[0], acked[1], acked[2]]

    def test_r2_a_stale_change_is_refused_for_its_version_before_its_external_ids(
        self, store: CaseStore
    ) -> None:
        store.commit(Change(opened("c1", external_id="hook-1"), 0))
        case = opened("c2")
        store.commit(Change(case, 0))
        acked = latte.acknowledge(case, at=T0, by="amy")
        store.commit(Change(acked, 1))  # moved on meanwhile
        stale = add_message(case, _feedback(external_id="hook-1"), at=T0, due_at=None)
        with pytest.raises(ConcurrencyError) as info:
            store.commit(Change(stale, 1))
        assert (info.value.case_id, info.value.expected, info.value.actual) == ("c2", 1, 2)
        assert store.get("c2") == acked

    def test_r2_a_missing_case_cannot_be_updated(self, store: CaseStore) -> None:
        case = latte.acknowledge(opened("ghost"), at=T0, by="amy")
        with pytest.raises(ConcurrencyError) as info:
            store.commit(Change(case, 1))
        assert info.value.actual is None

    def test_r2_two_writers_on_one_version_exactly_one_wins(self, store: CaseStore) -> None:
        self._needs("concurrent_writers", "two threads commit the same version at once")
        case = opened("c1")
        store.commit(Change(case, 0))
        outcomes: list[str] = []
        barrier = threading.Barrier(8)

        def write(owner: str) -> None:
            change = Change(latte.assign(case, at=T0, by="lead", owner=owner), 1)
            barrier.wait()
            try:
                store.commit(change)
                outcomes.append(owner)
            except ConcurrencyError:
                outcomes.append("conflict")

        threads = [threading.Thread(target=write, args=(f"agent-{i}",)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [o for o in outcomes if o != "conflict"]
        assert len(winners) == 1
        assert outcomes.count("conflict") == 7
        final = store.get("c1")
        assert (final.version, final.owner) == (2, winners[0])

    # -- R6 tenant isolation --------------------------------------------------------------

    def test_r6_a_tenant_never_sees_another_tenants_records(self, store: CaseStore) -> None:
        acme, globex = store.for_tenant("acme"), store.for_tenant("globex")
        assert (acme.tenant, globex.tenant) == ("acme", "globex")
        case = opened("c1", external_id="hook-1", due_at=T0)
        acme.commit(Change(case, 0, (_note(case, "acknowledgement", T0),)))
        later = T0 + timedelta(days=1)
        with pytest.raises(CaseNotFoundError):
            globex.get("c1")
        assert globex.find_by_external_id("hook-1") is None
        assert globex.cases_of("ann@example.com") == []
        assert globex.due(later) == []
        assert globex.unanswered() == []
        assert list(globex.cases_active(T0, later)) == []
        assert globex.outbox_claim(later) == []
        with pytest.raises(MessageNotFoundError):
            globex.outbox_message("c1/1/acknowledgement")
        # The same ids are free in another tenant, and independent.
        other = opened("c1", external_id="hook-1", customer="zed@example.com")
        globex.commit(Change(other, 0))
        assert globex.get("c1").customer == "zed@example.com"
        assert acme.get("c1") == case
        assert [m.key for m in acme.outbox_claim(later)] == ["c1/1/acknowledgement"]

    def test_r6_another_tenant_is_a_store_of_the_same_class(self, store: CaseStore) -> None:
        """Not a store the adapter wraps or inherits from."""
        acme = store.for_tenant("acme")
        assert isinstance(acme, type(store)), f"for_tenant returned a {type(acme).__name__}"
        assert acme.for_tenant(store.tenant).tenant == store.tenant

    def test_r6_a_tenant_is_named(self, store: CaseStore) -> None:
        for bad in ("", "  "):
            with pytest.raises(ValidationError, match="tenant"):
                store.for_tenant(bad)

    def test_r6_the_default_tenant_is_a_tenant_too(self, store: CaseStore) -> None:
        store.commit(Change(opened("c1"), 0))
        with pytest.raises(CaseNotFoundError):
            store.for_tenant("elsewhere").get("c1")
        assert store.for_tenant(store.tenant).get("c1").id == "c1"
