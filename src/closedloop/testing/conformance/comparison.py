"""R8: under random operations an adapter behaves like the in-memory reference.

A hypothesis state machine runs commits, steps, stale writes and outbox operations on
the adapter and on ``InMemoryStore`` side by side, and compares every answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from closedloop.adapters.memory import InMemoryStore
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.history import last_at
from closedloop.domain.cases.lifecycle import LATTE
from closedloop.domain.change import Change
from closedloop.domain.checks import instant
from closedloop.domain.errors import CaseNotFoundError
from closedloop.domain.latte import Step
from closedloop.ports import CaseStore
from closedloop.testing.conformance.base import T0, StoreContract, _note, opened

__all__ = ["ReferenceComparisonContract"]


class ReferenceComparisonContract(StoreContract):
    """R8 the same behaviour as the reference, as a test."""

    # -- R8 behaves like the reference, under random operations -----------------------------

    def test_r8_behaves_like_the_in_memory_reference(self) -> None:
        machine = type(
            "Comparison", (_Comparison,), {"make": self.make_store, "dispose": self.close}
        )
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=50, stateful_step_count=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )  # fmt: skip


class _Comparison(RuleBasedStateMachine):
    """Random commits, steps and outbox operations on the adapter and the reference."""

    ids = Bundle("ids")
    # Set by ReferenceComparisonContract on a subclass made for each adapter.
    make: Callable[[], CaseStore]
    dispose: Callable[[CaseStore], None]

    def __init__(self) -> None:
        super().__init__()
        self.store = self.make()
        self.reference = InMemoryStore(self.store.tenant)
        self.now = T0
        self.counter = 0

    def _both(self, method: str, *args: Any) -> Any:
        """Call ``method`` on both stores; they must return equal values or raise alike."""
        outcomes = []
        for store in (self.reference, self.store):
            try:
                outcomes.append(("ok", getattr(store, method)(*args)))
            except Exception as exc:  # compare error types, not messages
                outcomes.append(("error", type(exc)))
        assert outcomes[1] == outcomes[0], f"adapter {outcomes[1]} != reference {outcomes[0]}"
        return outcomes[0][1]

    @rule(
        target=ids,
        minutes=st.integers(0, 120),
        due_hours=st.integers(-3, 30),
        customer=st.sampled_from(["ann", "bob"]),
        external=st.sampled_from([None, "hook-1", "hook-2", "hook-3"]),
    )
    def open(self, minutes: int, due_hours: int, customer: str, external: str | None) -> str:
        self.counter += 1
        case_id = f"c{self.counter}"
        at = self.now + timedelta(minutes=minutes)
        case = opened(
            case_id, at=at, customer=customer, due_at=at + timedelta(hours=due_hours),
            external_id=external,
        )  # fmt: skip
        change = Change(case, 0, (_note(case, "ack", at),))
        if self.counter % 2:
            self._both("commit", change)
        else:
            self._both("commit_many", [change])
        return case_id

    @rule(case_id=ids, stale=st.booleans(), hours=st.integers(1, 48))
    def step(self, case_id: str, stale: bool, hours: int) -> None:
        try:
            case = self.reference.get(case_id)
        except CaseNotFoundError:
            return
        steps = LATTE.allowed(case)
        # Never before the case's last event: a case's history never goes back in time.
        at = max(self.now + timedelta(hours=hours), last_at(case.events), key=instant)
        step = steps[0] if steps else None
        if step is Step.ACKNOWLEDGE:
            moved = latte.acknowledge(case, at=at, by="amy", next_contact_by=at)
        elif step is Step.TAKE_ACTION:
            moved = latte.take_action(case, at=at, by="amy", summary="done", due_at=at)
        elif step is Step.THANK:
            moved = latte.thank(case, at=at, by="amy", due_at=at)
        elif step is Step.EXPLAIN:
            moved = latte.explain(case, at=at, by="amy", what_failed="x", what_changes="y")
        elif step is Step.REOPEN:
            moved = latte.reopen(case, at=at, by=case.customer, reason="no", due_at=at)
        else:
            moved = latte.assign(case, at=at, by="lead", owner="bo")
        expected = case.version - 1 if stale else case.version
        note = _note(moved, "step", at)
        self._both("commit", Change(moved, expected, (note,)))

    @rule(minutes=st.integers(1, 600))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(
        limit=st.integers(1, 5),
        fates=st.lists(st.sampled_from(["sent", "retry", "dead"]), min_size=5, max_size=5),
    )
    def claim_and_settle(self, limit: int, fates: list[str]) -> None:
        retry = self.now + timedelta(minutes=10)
        for message, fate in zip(self._both("outbox_claim", self.now, limit), fates, strict=False):
            if fate == "sent":
                self._both("mark_sent", message.key, self.now)
            else:
                retry_at = retry if fate == "retry" else None
                self._both("mark_failed", message.key, self.now, fate, retry_at)

    @rule()
    def requeue_dead(self) -> None:
        for message in self._both("dead_letters", 2):
            self._both("requeue", message.key, self.now)

    @invariant()
    def queries_agree(self) -> None:
        later = self.now + timedelta(hours=12)
        self._both("due", later, 50)
        self._both("unanswered", 50)
        self._both("cases_of", "ann")
        self._both("dead_letters", 50)
        for key in ("hook-1", "hook-2"):
            self._both("find_by_external_id", key)

    def teardown(self) -> None:
        self.dispose(self.store)
