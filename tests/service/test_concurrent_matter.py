"""Feedback on a new matter arriving at once from one customer ends in one case: the first
case for a matter claims a key (``CaseOpened.claim``), a second writer that read the same
cases is refused (``DuplicateExternalIdError``), reads again and joins the first."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from closedloop import Consolidation, Desk, Feedback, FeedbackKind, Policy, SQLiteStore
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.steps import open_case
from closedloop.domain.change import Change
from closedloop.domain.checks import derived_key
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import START, Burst, make_feedback, memory_or_sqlite, take_step

MARY = "mary@example.com"


class Racing(Burst):
    """Another writer after each read of a customer's cases (not during its own reads)."""

    def cases_of(self, customer: str) -> list[Case]:
        found = list(super().cases_of(customer))  # type: ignore[misc]
        self.after_read()
        return found


class RacingMemory(Racing, InMemoryStore):
    pass


class RacingSQLite(Racing, SQLiteStore):
    pass


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RacingMemory]:
    yield from memory_or_sqlite(request.param, RacingMemory, RacingSQLite, tmp_path / "loop.db")


def on(matter: str, text: str, **more: object) -> Feedback:
    return attrs.evolve(make_feedback(text=text), matter_key=matter, **more)


def desks(store: CaseStore, policy: Policy | None = None) -> tuple[Desk, Desk]:
    clock = ManualClock(START)
    policy = policy or Policy()
    return (
        Desk(store, RecordingNotifier(), clock=clock, policy=policy),
        Desk(store, RecordingNotifier(), clock=clock, policy=policy),
    )


def test_two_messages_on_a_new_matter_at_once_make_one_case(store: RacingMemory) -> None:
    amy, bob = desks(store)
    store.writers = [lambda: bob.listen(on("order-881", "Where is order 881?"))]

    case = amy.listen(on("order-881", "Order 881 is late"))

    assert store.writers == []
    assert [c.id for c in amy.cases_of(MARY)] == [case.id]
    assert [m.text for m in amy.get(case.id).messages] == [
        "Where is order 881?",
        "Order 881 is late",
    ]


def test_eight_threads_on_a_new_matter_at_once_make_one_case(tmp_path: Path) -> None:
    path = tmp_path / "loop.db"
    SQLiteStore(path).close()
    start = threading.Barrier(8)
    made: list[str] = []

    def write(n: int) -> None:
        with SQLiteStore(path) as own:
            desk = Desk(own, RecordingNotifier(), clock=ManualClock(START))
            start.wait()
            made.append(desk.listen(on("order-881", f"Order 881 ({n})")).id)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with SQLiteStore(path) as store:
        (case,) = store.cases_of(MARY)
        assert set(made) == {case.id}
        assert len(case.messages) == 8


def test_a_racer_stamped_a_moment_earlier_joins_too(store: RacingMemory) -> None:
    amy, bob = desks(store)
    later = attrs.evolve(make_feedback(), received_at=START + timedelta(seconds=2))
    store.writers = [lambda: bob.listen(attrs.evolve(later, text="first", matter_key="m-1"))]

    case = amy.listen(on("m-1", "stamped earlier, committed second"))

    assert [c.id for c in amy.cases_of(MARY)] == [case.id]
    assert len(amy.get(case.id).messages) == 2


def test_kindred_feedback_without_keys_at_once_makes_one_case(store: RacingMemory) -> None:
    policy = Policy(consolidation=Consolidation(without_key=True))
    amy, bob = desks(store, policy)
    store.writers = [lambda: bob.listen(make_feedback(text="The staff were rude"))]

    case = amy.listen(make_feedback(text="Nobody answers the phone either"))

    assert [c.id for c in amy.cases_of(MARY)] == [case.id]


def test_the_next_matter_after_a_closed_case_opens_a_case_of_its_own(store: RacingMemory) -> None:
    amy, _ = desks(store)
    first = amy.listen(on("order-881", "Order 881 is late", kind=FeedbackKind.QUESTION))
    amy.acknowledge(first.id, by="amy")
    amy.take_action(first.id, by="amy", summary="It ships today")  # answers it: closed
    assert amy.get(first.id).is_closed

    second = amy.listen(on("order-881", "Order 881 is late again"))

    assert second.id != first.id
    assert set(second.external_ids).isdisjoint(first.external_ids)  # a key of its own


def claim(n: int, person: str = MARY, matter: str = "key=order-881") -> str:
    """The key the n-th case of ``person`` on ``matter`` claims (docs/customers.md)."""
    return derived_key("matter:", f"{n}:{person}:{matter}")


def claims(case: Case) -> list[str]:
    return [x for x in case.external_ids if x.startswith("matter:")]


def test_a_key_an_earlier_case_of_hers_kept_is_passed_over(store: RacingMemory) -> None:
    """Her case holds the key her next feedback would claim, but is not on that matter any
    more (as after a merge): not a writer racing her, so her case claims the next key."""
    amy, bob = desks(store)
    kept = open_case("kept", on("order-200", "Another order"), at=START, claim=claim(0))
    store.commit(Change(kept, 0))
    store.writers = [lambda: bob.listen(on("order-881", "Where is order 881?"))]

    case = amy.listen(on("order-881", "Order 881 is late"))

    assert claims(case) == [claim(1)]  # a racer made the same, and joined
    assert sorted(c.id for c in amy.cases_of(MARY)) == sorted(["kept", case.id])
    assert len(amy.get(case.id).messages) == 2


def test_a_key_another_customer_holds_is_passed_over(store: RacingMemory) -> None:
    """As when the handle a key was made of was unlinked from another customer."""
    amy, _ = desks(store)
    theirs = open_case(
        "theirs", make_feedback(customer="bob@example.com"), at=START, claim=claim(0)
    )
    store.commit(Change(theirs, 0))

    case = amy.listen(on("order-881", "Order 881 is late"))

    assert claims(case) == [claim(1)]
    assert [c.id for c in amy.cases_of(MARY)] == [case.id]
    assert [c.id for c in amy.cases_of("bob@example.com")] == ["theirs"]


def test_erasure_digests_the_key_in_the_case_and_in_the_index(store: RacingMemory) -> None:
    amy, _ = desks(store)
    case = amy.listen(on("order-881", "Order 881 is late"))
    (key,) = claims(case)
    assert MARY in key

    amy.customers.erase(MARY)

    after = amy.get(case.id)
    assert all(MARY not in x for x in after.external_ids)
    assert store.find_by_external_id(key) is None
    for external_id in after.external_ids:
        assert store.find_by_external_id(external_id) == after


def test_feedback_on_a_matter_closed_meanwhile_opens_one_new_case(store: RacingMemory) -> None:
    """Found by a newcomer's probe on PostgreSQL (9 trials in 30): feedback that chose an
    open case, which another writer closed before it joined, reopened it, while a second
    writer opened a new case for the matter: two open cases on one matter."""
    amy, bob = desks(store)
    case = amy.listen(on("order-1", "Order 1 is broken"))
    for step in ("acknowledge", "take_action", "thank"):
        take_step(amy, case.id, step)
    store.writers = [lambda: take_step(bob, case.id, "explain")]

    landed = amy.listen(on("order-1", "And the lid is missing"))

    assert store.writers == []
    assert landed.id != case.id
    assert amy.get(case.id).is_closed
    assert amy.get(case.id).reopen_count == 0
    assert [c.id for c in amy.cases_of(MARY) if c.is_active] == [landed.id]


def test_feedback_racing_an_erasure_never_joins_the_erased_case(store: RacingMemory) -> None:
    """Found by a newcomer's probe on PostgreSQL (27 trials in 30): feedback that chose the
    customer's case, erased before it joined, joined it anyway, her address and words in
    plain text on the pseudonym's case."""
    amy, bob = desks(store)
    case = amy.listen(on("order-1", "Order 1 is broken"))
    amy.acknowledge(case.id, by="amy")
    store.writers = [lambda: bob.customers.erase(MARY)]

    landed = amy.listen(on("order-1", "Still broken"))

    assert store.writers == []
    erased = amy.get(case.id)
    assert erased.customer != MARY
    assert len(erased.messages) == 1
    assert MARY not in repr(erased)
    assert (landed.id, landed.customer) != (case.id, MARY)
    assert landed.customer == MARY
