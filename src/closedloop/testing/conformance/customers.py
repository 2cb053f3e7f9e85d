"""R11: customers read back by id and by handle; a handle has one customer.

Checks :class:`closedloop.ports.CustomerStorage`.
"""

from __future__ import annotations

import pytest

from closedloop import codec
from closedloop.domain.change import CustomerChange
from closedloop.domain.customers import identity as identity
from closedloop.domain.customers.erasure import Erasure
from closedloop.domain.errors import ConcurrencyError, CustomerNotFoundError, HandleTakenError
from closedloop.ports import CaseStore
from closedloop.testing.conformance.base import T0, StoreContract

__all__ = ["CustomerStorageContract"]


class CustomerStorageContract(StoreContract):
    """R11 customers, as tests."""

    # -- R11 customers ------------------------------------------------------------------------

    def test_r11_a_customer_reads_back_by_id_and_by_any_handle(self, store: CaseStore) -> None:
        ann = identity.link("cust-1", ["ann@example.com", "+44 7700 900001"], at=T0, by="amy")
        store.commit_customers([CustomerChange(ann, 0)])
        assert store.customer("cust-1") == ann
        assert store.customer_of("+44 7700 900001") == ann
        assert store.customer_of("nobody@example.com") is None
        with pytest.raises(CustomerNotFoundError):
            store.customer("cust-2")

    def test_r11_versions_are_checked_and_a_handle_has_one_customer(self, store: CaseStore) -> None:
        ann = identity.link("cust-1", ["ann@example.com"], at=T0, by="amy")
        store.commit_customers([CustomerChange(ann, 0)])
        with pytest.raises(ConcurrencyError):
            store.commit_customers([CustomerChange(ann, 0)])
        bob = identity.link("cust-2", ["bob@example.com", "ann@example.com"], at=T0, by="amy")
        with pytest.raises(HandleTakenError):
            store.commit_customers([CustomerChange(bob, 0)])
        with pytest.raises(CustomerNotFoundError):
            store.customer("cust-2")  # refused whole
        assert store.customer_of("bob@example.com") is None

    def test_r11_a_merge_and_an_unmerge_are_each_one_commit(self, store: CaseStore) -> None:
        ann = identity.link("cust-1", ["ann@example.com"], at=T0, by="amy")
        other = identity.link("cust-2", ["@ann"], at=T0, by="amy")
        store.commit_customers([CustomerChange(ann, 0), CustomerChange(other, 0)])
        into, merged = identity.merge(ann, other, at=T0, by="amy")
        store.commit_customers([CustomerChange(into, 1), CustomerChange(merged, 1)])
        assert store.customer_of("@ann") == into
        assert store.customer("cust-2").merged_into == "cust-1"
        back, restored = identity.unmerge(into, merged, at=T0, by="amy")
        store.commit_customers([CustomerChange(back, 2), CustomerChange(restored, 2)])
        assert store.customer_of("@ann") == restored
        assert store.customer_of("ann@example.com") == back

    def test_r11_an_unlinked_handle_belongs_to_nobody(self, store: CaseStore) -> None:
        ann = identity.link("cust-1", ["ann@example.com", "+44 1"], at=T0, by="amy")
        store.commit_customers([CustomerChange(ann, 0)])
        ann = identity.unlink(ann, "+44 1", at=T0, by="amy")
        store.commit_customers([CustomerChange(ann, 1)])
        assert store.customer_of("+44 1") is None
        assert store.customer_of("ann@example.com") == ann
        bob = identity.link("cust-2", ["+44 1"], at=T0, by="amy")
        store.commit_customers([CustomerChange(bob, 0)])  # free for another customer
        assert store.customer_of("+44 1") == bob

    def test_r11_customers_belong_to_their_tenant(self, store: CaseStore) -> None:
        ann = identity.link("cust-1", ["ann@example.com"], at=T0, by="amy")
        store.commit_customers([CustomerChange(ann, 0)])
        acme = store.for_tenant("acme")
        assert acme.customer_of("ann@example.com") is None
        acme.commit_customers([CustomerChange(ann, 0)])  # the same handle, another tenant
        assert acme.customer("cust-1") == ann

    def test_r11_erasure_takes_the_handles_out_of_customers(self, store: CaseStore) -> None:
        ann = identity.link("cust-1", ["ann@example.com", "+44 1"], at=T0, by="amy")
        store.commit_customers([CustomerChange(ann, 0)])
        erasure = Erasure(frozenset(ann.handles), "erased-1")
        store.erase(erasure, T0)
        stored = store.customer("cust-1")
        assert stored.handles == frozenset({"erased-1"})
        assert "ann@example.com" not in repr(codec.dump_customer(stored))
        assert store.customer_of("ann@example.com") is None
        assert store.customer_of("erased-1") == stored

    def test_r11_erasure_renames_a_customer_whose_id_was_their_handle(
        self, store: CaseStore
    ) -> None:
        # Ann's id is her address, and her history names an address she unlinked; Bob was
        # merged into her by mistake once: his history names her by id.
        ann = identity.link("ann@example.com", ["ann@example.com", "@ann"], at=T0, by="crm")
        ann = identity.unlink(
            identity.link(ann, ["old@example.com"], at=T0, by="crm"), "old@example.com",
            at=T0, by="crm",
        )  # fmt: skip
        bob = identity.link("cust-bob", ["bob@example.com"], at=T0, by="crm")
        ann, bob = identity.merge(ann, bob, at=T0, by="amy")
        ann, bob = identity.unmerge(ann, bob, at=T0, by="amy")
        store.commit_customers([CustomerChange(ann, 0), CustomerChange(bob, 0)])
        store.erase(Erasure(frozenset({"ann@example.com", "@ann"}), "erased-1"), T0)
        with pytest.raises(CustomerNotFoundError):
            store.customer("ann@example.com")
        erased = store.customer_of("erased-1")
        assert erased is not None
        assert (erased.id, erased.handles) == ("erased-1", frozenset({"erased-1"}))
        assert erased.is_erased("erased-1")
        for detail in ("ann@example.com", "@ann", "old@example.com"):
            assert detail not in repr(codec.dump_customer(erased))
        after = store.customer("cust-bob")
        assert after.handles == bob.handles
        assert store.customer_of("bob@example.com") == after
        assert {e.other for e in after.events} == {None, "erased-1"}
