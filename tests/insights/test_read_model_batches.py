"""Facts written by a batch (``listen_many``, a sweep's page) are the facts a case at a
time would write: a report from them equals the replayed report, on every store. (On
PostgreSQL a batch's facts go as one statement over arrays per table.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from closedloop import Desk, Ladder, Policy, Rung, SQLiteStore
from closedloop.insights import compute
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    if request.param == "memory":
        yield InMemoryStore()
    elif request.param == "sqlite":
        with SQLiteStore(tmp_path / "loop.db") as sqlite:
            yield sqlite
    else:
        yield request.getfixturevalue("postgres")  # tests/conftest.py


def test_a_report_on_facts_written_in_batches_is_the_replayed_report(store: CaseStore) -> None:
    clock = ManualClock(START)
    policy = Policy(ladder=Ladder(rungs=[Rung("team lead", ["lead@example.com"])]))
    desk = Desk(store, RecordingNotifier(), clock=clock, policy=policy)
    cases = desk.listen_many(
        make_feedback(customer=f"c{i}@example.com", text=f"late order {i}") for i in range(12)
    )
    for case in cases[:3]:
        desk.acknowledge(case.id, by="amy")
    desk.take_action(cases[0].id, by="amy", summary="Refunded")
    clock.advance(timedelta(days=9))
    swept = desk.sweep()
    assert len(swept.escalated) >= 9  # a page of escalations, committed together
    until = clock.now() + timedelta(seconds=1)
    since = START - timedelta(days=1)
    assert compute(store, since, until) == compute(store, since, until, replay=True)
