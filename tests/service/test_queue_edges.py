"""Where work queues meet the rest, as a newcomer found them: the red-first order by name,
a forged cursor, membership on every way of giving a case an owner, giving a case to whom
it has already, and the errors naming what the caller wrote."""

from __future__ import annotations

import base64
import json

import pytest

from closedloop import CaseStore, Change, Order, ValidationError
from closedloop.testing import InMemoryStore
from tests.service.test_teams import _desk, _listen


def test_red_first_is_an_order_by_name_too(every_store: CaseStore) -> None:
    desk, _ = _desk(every_store, rule="round_robin")
    ids = _listen(desk, 2, "refund")
    assert Order("red_first") is Order.RED_FIRST is Order.DUE_FIRST
    by_name = [c.id for c in desk.queues.find(order="red_first").cases]
    assert by_name == [c.id for c in desk.queues.find(order=Order.RED_FIRST).cases]
    assert sorted(by_name) == sorted(ids)


def test_a_forged_cursor_is_a_validation_error_on_every_store(every_store: CaseStore) -> None:
    desk, _ = _desk(every_store, rule="round_robin")
    _listen(desk, 3, "refund")
    page = desk.queues.find(limit=1)
    assert page.next is not None
    raw = json.loads(base64.urlsafe_b64decode(page.next + "=" * (-len(page.next) % 4)))
    raw[1] = 10**30
    forged = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
    with pytest.raises(ValidationError) as caught:
        desk.queues.find(limit=1, after=forged)
    assert caught.value.field == "after"


def test_every_way_of_giving_an_owner_keeps_to_the_team() -> None:
    desk, _ = _desk(InMemoryStore(), rule="round_robin")
    (case_id,) = _listen(desk, 1, "refund")
    billing = desk.get(case_id)
    assert billing.team == "billing"
    with pytest.raises(ValidationError) as caught:
        desk.teams.hand_off(case_id, to="dee", by="lee", summary="x")
    assert caught.value.field == "to"
    with pytest.raises(ValidationError) as caught:
        desk.assign(case_id, owner="dee", by="lee", summary="x")
    assert caught.value.field == "owner"
    assert desk.get(case_id) == billing


def test_giving_a_case_to_whom_it_has_already_records_nothing() -> None:
    desk, _ = _desk(InMemoryStore(), rule="round_robin")
    (case_id,) = _listen(desk, 1, "refund")
    case = desk.get(case_id)
    assert case.owner is not None
    assert desk.assign(case_id, owner=case.owner, by="lee").version == case.version


def test_away_moves_a_case_another_writer_changed_meanwhile() -> None:
    from closedloop.domain.cases import labelling

    class Busy(InMemoryStore):
        """Another writer tags the first case just before away's first move commits."""

        interfered = True  # armed only for away()

        def commit_turn(self, team: str, turn: int, owner: str, change: object) -> None:
            if not self.interfered:
                self.interfered = True
                case = self.get(change.case.id)  # type: ignore[attr-defined]
                other = labelling.tag(case, at=case.opened_at, by="eve", add=["urgent"])
                self.commit(Change(other, case.version))
            super().commit_turn(team, turn, owner, change)  # type: ignore[arg-type]

    store = Busy()
    desk, _ = _desk(store, rule="round_robin")
    ids = _listen(desk, 4, "refund")
    store.interfered = False
    ann = [c for c in ids if desk.get(c).owner == "ann"]
    assert ann
    moved = desk.teams.away("ann", by="lee")
    assert sorted(c.id for c in moved) == sorted(ann)
    assert all(desk.get(c).owner not in (None, "ann") for c in ann)
