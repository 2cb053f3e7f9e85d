"""Intake under concurrency: a batch some of whose deliveries another writer stores
between the batch's look-up and its commit returns the cases that hold them, as
docs/desk.md says of a delivery seen before, instead of raising."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from closedloop import Desk, Feedback
from closedloop.domain.cases.case import Case
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import START, Burst, make_feedback


class Interleaved(InMemoryStore):
    """Runs ``between[x]`` once, right after a look-up of external id ``x``: another writer
    storing that very delivery."""

    between: dict[str, Callable[[], object]]

    def find_by_external_id(self, external_id: str) -> Case | None:
        found = super().find_by_external_id(external_id)
        writer = getattr(self, "between", {}).pop(external_id, None)
        if writer is not None:
            writer()
        return found


def test_a_batch_whose_deliveries_another_writer_stores_meanwhile_returns_their_cases() -> None:
    store = Interleaved()
    clock = ManualClock(START)
    amy = Desk(store, RecordingNotifier(), clock=clock)
    bob = Desk(store, RecordingNotifier(), clock=clock)
    items = [make_feedback(customer=f"c{n}@example.com", external_id=f"hook-{n}") for n in range(4)]
    stored_first = bob.listen(items[0])  # the batch's first try fails on it, then looks up
    # Each try of the batch finds another delivery stored just after it looked.
    store.between = {"hook-2": lambda: bob.listen(items[2]), "hook-3": lambda: bob.listen(items[3])}

    cases = amy.listen_many(items)

    assert cases[0].id == stored_first.id
    held = {case.id for case in (bob.get(c.id) for c in cases)}
    assert len(held) == 4
    for item, case in zip(items, cases, strict=True):
        assert store.find_by_external_id(item.external_id or "") == case


class Busy(Burst, InMemoryStore):
    """Another message after each read of a case: messages arriving together for one case."""

    def get(self, case_id: str) -> Case:
        found = super().get(case_id)
        self.after_read()
        return found


def on_order(text: str) -> Feedback:
    """Feedback from one customer on one matter (the default policy joins it by key)."""
    return attrs.evolve(make_feedback(text=text), matter_key="order-881")


def test_a_message_among_ten_arriving_together_on_one_matter_joins_its_case() -> None:
    store = Busy()
    clock = ManualClock(START)
    amy = Desk(store, RecordingNotifier(), clock=clock)
    bob = Desk(store, RecordingNotifier(), clock=clock)
    case = amy.listen(on_order("Where is order 881?"))
    # Eight others join, each after one of its reads: nine tries.
    store.writers = [lambda n=n: bob.listen(on_order(f"Order 881, again ({n})")) for n in range(8)]

    joined = amy.listen(on_order("Still no order 881"))

    assert store.writers == []
    assert joined.id == case.id
    assert len(amy.get(case.id).messages) == 10
    assert [c.id for c in amy.cases_of(case.customer)] == [case.id]
