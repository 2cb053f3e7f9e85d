"""A PostgresStore commits in psycopg's pipeline mode: the statements whose results it does
not read go without waiting. Refusals found late in the pipeline still raise closedloop's
errors, write nothing, and leave the store's connection ready for the next commit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import attrs
import pytest

from closedloop import ConcurrencyError, Desk
from closedloop.adapters.postgres import PostgresStore
from closedloop.domain.cases.case import apply
from closedloop.domain.cases.events import Escalated
from closedloop.domain.change import Change
from closedloop.testing import ManualClock, RecordingNotifier
from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema
from tests.helpers import START, make_feedback

pytestmark = pytest.mark.postgres


@pytest.fixture
def store() -> Iterator[PostgresStore]:
    dsn = dsn_or_skip()
    name = new_schema()
    with PostgresStore(dsn, schema=name) as made:
        yield made
    drop_schema(dsn, name)


def escalated(store: PostgresStore) -> tuple[Desk, str]:
    """A desk on ``store`` whose one case the sweep has escalated."""
    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock)
    case = desk.listen(make_feedback())
    clock.advance(timedelta(days=3))
    assert [case_id for case_id, _ in desk.sweep().escalated] == [case.id]
    return desk, case.id


def test_an_escalation_repeated_by_a_hand_made_change_is_refused_and_writes_nothing(
    store: PostgresStore,
) -> None:
    _, case_id = escalated(store)
    case = store.get(case_id)
    climb = case.events[-1]
    assert isinstance(climb, Escalated)
    again = apply(case, attrs.evolve(climb, version=case.version + 1))
    (sent, *_) = store.outbox_claim(START + timedelta(days=30), limit=100)
    alert = attrs.evolve(sent.notification, key=f"{case_id}/{again.version}/escalation/again")

    with pytest.raises(ConcurrencyError):
        store.commit(Change(again, case.version, (alert,)))

    assert store.get(case_id) == case
    assert store.outbox_claim(START + timedelta(days=30), limit=100) == []  # no new alert


def test_after_a_refused_commit_the_next_one_is_written(store: PostgresStore) -> None:
    desk, case_id = escalated(store)
    stale = store.get(case_id)
    desk.acknowledge(case_id, by="amy")

    repeat = attrs.evolve(stale.events[-1], version=stale.version + 1)

    with pytest.raises(ConcurrencyError) as refused:
        store.commit(Change(apply(stale, repeat), stale.version))
    assert refused.value.actual == stale.version + 1

    taken = desk.take_action(case_id, by="amy", summary="Refunded")
    assert store.get(case_id) == taken
    assert [type(e).__name__ for e in taken.events[-2:]] == ["Acknowledged", "ActionTaken"]
