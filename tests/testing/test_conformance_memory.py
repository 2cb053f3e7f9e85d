"""The conformance kit against the reference store (and the kit against itself)."""

from __future__ import annotations

from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore
from closedloop.testing.conformance import CaseStoreContract


class TestInMemoryStore(CaseStoreContract):
    def make_store(self) -> CaseStore:
        return InMemoryStore()
