"""desk.queues.find: one query API over any store with the SearchesCases role. Its RAG
filter agrees with desk.standards.status for every case at any later time, though the
store only keeps the instants each case turns amber and red."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop import (
    CaseStore,
    Channel,
    ClosedLoopError,
    Desk,
    Feedback,
    Policy,
    SQLiteStore,
    Standard,
    Standards,
    StorageError,
    Target,
    ValidationError,
)
from closedloop.domain.queues.query import CaseQuery, Order
from closedloop.domain.standards.standard import office_hours
from closedloop.domain.standards.targets import Rag
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import START

_CUSTOMERS = ("mary@example.com", "olu@example.com", "kim@example.com")
_OPS = (
    "listen", "acknowledge", "take_action", "thank", "explain", "reopen", "await",
    "replied", "reply",
)  # fmt: skip


def _desk(store: CaseStore, clock: ManualClock, policy: Policy | None = None) -> Desk:
    return Desk(store, RecordingNotifier(), clock=clock, policy=policy or Policy())


#: Standards under which a later step is due before an earlier one (closing the loop
#: within 2 business hours, acknowledging within the default 4): the earliest counts.
_TIGHT = Policy(
    standards=Standards(
        rules=[Standard(Target.CLOSE_LOOP, within=timedelta(hours=2), calendar=office_hours())]
    )
)


def _feedback(clock: ManualClock, customer: str, **more: object) -> Feedback:
    return Feedback(
        customer=customer, channel=Channel.EMAIL, received_at=clock.now(),
        text="My refund has not arrived", **more,  # type: ignore[arg-type]
    )  # fmt: skip


def _act(desk: Desk, clock: ManualClock, op: str, case_id: str | None, n: int) -> None:
    """One step of a case's life; a step its stage does not allow is skipped."""
    if op == "listen" or case_id is None:
        desk.listen(_feedback(clock, _CUSTOMERS[n % 3]))
        return
    steps = {
        "acknowledge": lambda: desk.acknowledge(case_id, by="amy"),
        "take_action": lambda: desk.take_action(case_id, by="amy", summary="Refunded"),
        "thank": lambda: desk.thank(case_id, by="amy"),
        "explain": lambda: desk.explain(
            case_id, by="amy", what_failed="Courier", what_changes="New one"
        ),
        "reopen": lambda: desk.reopen(case_id, reason="Still waiting"),
        "await": lambda: desk.conversation.await_customer(
            case_id, by="amy", question="Which order?"
        ),
        "replied": lambda: desk.conversation.customer_replied(case_id, text="Order 17"),
        "reply": lambda: desk.conversation.reply(case_id, "On it", by="amy"),
    }
    with contextlib.suppress(ClosedLoopError):
        steps[op]()


#: Minutes to wait: mostly within a working day, sometimes across nights and weekends.
_MINUTES = st.integers(0, 5 * 60) | st.integers(0, 10 * 24 * 60)

_LIFE = st.lists(
    st.tuples(st.sampled_from(_OPS), st.integers(0, 5), _MINUTES),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    life=_LIFE,
    later=st.lists(_MINUTES, min_size=1, max_size=4),
    policy=st.sampled_from([Policy(), _TIGHT]),
)
def test_rag_filter_agrees_with_standards_status(
    life: list[tuple[str, int, int]], later: list[int], policy: Policy
) -> None:
    for store in (InMemoryStore(), SQLiteStore()):
        clock = ManualClock(START)
        desk = _desk(store, clock, policy)
        ids: list[str] = []
        for n, (op, pick, minutes) in enumerate(life):
            clock.advance(timedelta(minutes=minutes))
            _act(desk, clock, op, ids[pick % len(ids)] if ids else None, n)
            ids = [c.id for c in desk.queues.find(closed=True, limit=100).cases]
        for minutes in sorted(later):
            clock.advance(timedelta(minutes=minutes))
            status = {case_id: desk.standards.status(case_id) for case_id in ids}
            for rag in Rag:
                found = desk.queues.find(rag=rag, closed=True, limit=100).cases
                assert {c.id for c in found} == {i for i, r in status.items() if r is rag}


def test_red_first_lists_a_teams_late_cases_first() -> None:
    clock = ManualClock(START)
    desk = _desk(InMemoryStore(), clock)
    first = desk.listen(_feedback(clock, "mary@example.com"))
    clock.advance(hours=1)
    second = desk.listen(_feedback(clock, "olu@example.com"))
    desk.acknowledge(first.id, by="amy")  # its next deadline is days away
    clock.advance(hours=5)  # the second is not acknowledged in 4 business hours: red
    page = desk.queues.find(order=Order.RED_FIRST, limit=1)
    assert [c.id for c in page.cases] == [second.id]
    assert desk.standards.status(second.id) is Rag.RED
    rest = desk.queues.find(order=Order.RED_FIRST, limit=1, after=page.next)
    assert [c.id for c in rest.cases] == [first.id]
    assert rest.next is None


def test_keywords_and_a_case_query_find_the_same_cases() -> None:
    clock = ManualClock(START)
    desk = _desk(InMemoryStore(), clock)
    case = desk.listen(_feedback(clock, "mary@example.com", tags=["Billing"]))
    desk.listen(_feedback(clock, "olu@example.com"))
    by_keywords = desk.queues.find(tags=["billing"], rag="green")
    by_query = desk.queues.find(CaseQuery(tags=("billing",), rag=Rag.GREEN))
    assert by_keywords == by_query
    assert [c.id for c in by_query.cases] == [case.id]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"rag": "purple"}, "rag"),
        ({"order": "newest"}, "order"),
        ({"owner": "amy", "unowned": True}, "unowned"),
        ({"tags": "billing"}, "tags"),
        ({"opened_since": START.replace(tzinfo=None)}, "opened_since"),
        ({"opened_since": START, "opened_until": START}, "opened_since"),
        ({"limit": 0}, "limit"),
        ({"after": "nonsense"}, "after"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(filters: dict[str, object], field: str) -> None:
    desk = _desk(InMemoryStore(), ManualClock(START))
    with pytest.raises(ValidationError) as caught:
        desk.queues.find(**filters)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_query_and_keywords_together_are_refused() -> None:
    desk = _desk(InMemoryStore(), ManualClock(START))
    with pytest.raises(ValidationError, match="not both"):
        desk.queues.find(CaseQuery(team="billing"), owner="amy")


class _NoSearch:
    """A store with every CaseStore role but not SearchesCases (an older adapter)."""

    def __init__(self, inner: InMemoryStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name == "find_cases":
            raise AttributeError(name)
        return getattr(self._inner, name)


def test_a_store_without_the_role_is_refused_rather_than_scanned() -> None:
    desk = _desk(_NoSearch(InMemoryStore()), ManualClock(START))  # type: ignore[arg-type]
    with pytest.raises(StorageError, match="SearchesCases"):
        desk.queues.find(team="billing")


def test_reindex_applies_new_standards_to_every_active_case() -> None:
    clock = ManualClock(START)
    store = InMemoryStore()
    before = _desk(store, clock)
    ids = [before.listen(_feedback(clock, c)).id for c in _CUSTOMERS]
    before.acknowledge(ids[0], by="amy")
    clock.advance(hours=3)  # green under the default standards, red under tight ones
    after = _desk(store, clock, _TIGHT)
    assert {c.id for c in after.queues.find(rag=Rag.RED).cases} == set()
    assert after.queues.reindex(batch=2) == 3
    status = {case_id: after.standards.status(case_id) for case_id in ids}
    assert set(status.values()) == {Rag.RED}
    assert {c.id for c in after.queues.find(rag=Rag.RED).cases} == set(ids)
    with pytest.raises(ValidationError) as caught:
        after.queues.reindex(batch=0)
    assert caught.value.field == "batch"
