"""The sweep commits a page of escalations at once; a case another worker changed in the
meantime is re-read and redone alone, and the rest of its page is committed without it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop import Desk, Ladder, Policy, Rung, SQLiteStore
from closedloop.domain.change import Write
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback

LATE = START + timedelta(hours=4, seconds=1)  # past the acknowledgement standard
POLICY = Policy(ladder=Ladder(rungs=(Rung("team lead", ("lead@example.com",)),)))


class Meddling:
    """A store on which another worker writes, once, just before the sweep's first commit;
    it records the case ids of every commit the sweep attempts."""

    def __init__(self) -> None:
        self.attempts: list[list[str]] = []
        self.meddle: Callable[[], None] | None = None
        self._meddling = False

    def commit_many(self, changes: Sequence[Write]) -> None:
        if self._meddling:
            super().commit_many(changes)  # type: ignore[misc]
            return
        meddle, self.meddle = self.meddle, None
        if meddle is not None:
            self._meddling = True
            try:
                meddle()
            finally:
                self._meddling = False
        self.attempts.append([c.case.id for c in changes if hasattr(c, "case")])
        super().commit_many(changes)  # type: ignore[misc]


class MeddlingMemory(Meddling, InMemoryStore):
    def __init__(self) -> None:
        InMemoryStore.__init__(self)
        Meddling.__init__(self)


class MeddlingSQLite(Meddling, SQLiteStore):
    def __init__(self, path: Path) -> None:
        SQLiteStore.__init__(self, path)
        Meddling.__init__(self)


def opened(store: Meddling, n: int) -> tuple[Desk, ManualClock, list[str]]:
    """``n`` cases opened at START on a desk over ``store``, its clock now past their
    acknowledgement deadline; their ids in the order the sweep pages them."""
    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock, policy=POLICY, ids=SequentialIds())  # type: ignore[arg-type]
    desk.listen_many(make_feedback(customer=f"c{i}@example.com") for i in range(n))
    clock.set(LATE)
    ids = [ref.id for ref in store.due(LATE, n)]  # type: ignore[attr-defined]
    store.attempts.clear()
    return desk, clock, ids


def alerts(store: Meddling) -> list[str]:
    ready = store.outbox_claim(LATE + timedelta(days=30), limit=1_000)  # type: ignore[attr-defined]
    return sorted(m.notification.case_id for m in ready if m.notification.purpose == "escalation")


def check_swept_once(desk: Desk, store: Meddling, ids: list[str], settled: set[str]) -> None:
    """Every case still late escalated exactly once with one alert; the others untouched."""
    late = sorted(set(ids) - settled)
    levels = {i: store.get(i).escalation_level for i in ids}  # type: ignore[attr-defined]
    assert sorted(i for i, level in levels.items() if level == 1) == late
    assert set(levels.values()) <= {0, 1}
    assert alerts(store) == late
    assert desk.sweep().escalated == ()


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Meddling:
    if request.param == "memory":
        return MeddlingMemory()
    return MeddlingSQLite(tmp_path / "loop.db")


def test_a_page_of_escalations_is_committed_in_one_transaction(store: Meddling) -> None:
    desk, _, ids = opened(store, 7)
    report = desk.sweep(batch=3)
    assert store.attempts == [ids[0:3], ids[3:6], ids[6:7]]
    assert report.escalated == tuple((i, 1) for i in ids)
    assert report.conflicts == 0
    check_swept_once(desk, store, ids, set())


def test_a_conflict_mid_page_retries_that_case_alone_and_commits_the_rest(
    store: Meddling,
) -> None:
    desk, _, ids = opened(store, 5)
    other = Desk(store, RecordingNotifier(), clock=ManualClock(LATE), policy=POLICY)  # type: ignore[arg-type]
    store.meddle = lambda: other.assign(ids[2], owner="bob", by="amy")
    report = desk.sweep()
    assert store.attempts == [ids, ids[:2] + ids[3:], [ids[2]]]
    assert sorted(report.escalated) == sorted((i, 1) for i in ids)
    assert report.conflicts == 0  # re-read, still late: escalated by this sweep
    assert store.get(ids[2]).owner == "bob"  # type: ignore[attr-defined]
    check_swept_once(desk, store, ids, set())


def test_a_case_another_worker_settled_is_left_to_it_and_counted(store: Meddling) -> None:
    desk, _, ids = opened(store, 5)
    other = Desk(store, RecordingNotifier(), clock=ManualClock(LATE), policy=POLICY)  # type: ignore[arg-type]
    store.meddle = lambda: other.acknowledge(ids[1], by="amy")
    report = desk.sweep()
    assert store.attempts == [ids, ids[:1] + ids[2:]]  # re-read: nothing to do, no commit
    assert sorted(report.escalated) == sorted((i, 1) for i in ids if i != ids[1])
    assert report.conflicts == 1
    check_swept_once(desk, store, ids, {ids[1]})


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(1, 12),
    batch=st.integers(1, 14),
    meddled=st.lists(st.tuples(st.integers(0, 11), st.booleans()), max_size=12),
)
def test_whatever_other_workers_change_each_late_case_is_escalated_once(
    n: int, batch: int, meddled: list[tuple[int, bool]]
) -> None:
    """Other workers assign (the case stays late) or acknowledge (it is no longer late)
    any cases just before the first page commits: still none lost, none doubled, and the
    report counts as conflicts exactly the cases of that page they settled."""
    store = MeddlingMemory()
    desk, _, ids = opened(store, n)
    other = Desk(store, RecordingNotifier(), clock=ManualClock(LATE), policy=POLICY)
    chosen = {ids[i % n]: acks for i, acks in meddled}
    settled = {case_id for case_id, acks in chosen.items() if acks}

    def meddle() -> None:
        for case_id, acks in chosen.items():
            if acks:
                other.acknowledge(case_id, by="amy")
            else:
                other.assign(case_id, owner="bob", by="amy")

    store.meddle = meddle
    report = desk.sweep(batch=batch)
    assert sorted(report.escalated) == sorted((i, 1) for i in ids if i not in settled)
    assert report.conflicts == len(settled & set(ids[:batch]))
    check_swept_once(desk, store, ids, settled)
