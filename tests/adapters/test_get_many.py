"""``get_many`` (the optional ReadsManyCases role), which the sweep reads each page with:
the same cases ``get`` returns, by id, the ids of no case left out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from closedloop import Desk, SQLiteStore, ValidationError
from closedloop.ports import CaseStore, ReadsManyCases
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    if request.param == "sqlite":
        with SQLiteStore(tmp_path / "loop.db") as sqlite:
            yield sqlite
    else:
        yield request.getfixturevalue("postgres")  # tests/conftest.py


def test_get_many_returns_what_get_returns_by_id_leaving_out_unknown_ids(
    store: CaseStore,
) -> None:
    assert isinstance(store, ReadsManyCases)
    desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
    a, b, c = desk.listen_many(make_feedback(customer=f"c{i}@example.com") for i in range(3))
    desk.acknowledge(b.id, by="amy")
    desk.take_action(b.id, by="amy", summary="Refunded")
    found = store.get_many([b.id, "no-such-case", a.id, b.id])
    assert found == {b.id: store.get(b.id), a.id: store.get(a.id)}
    assert found[b.id].version == 3
    assert c.id not in found
    assert store.get_many([]) == {}


@pytest.mark.parametrize("bad", ["case-1", None, ["case-1", "two\nlines"], ["x" * 300]])
def test_get_many_refuses_what_is_not_a_list_of_ids(store: CaseStore, bad: object) -> None:
    assert isinstance(store, ReadsManyCases)
    with pytest.raises(ValidationError) as caught:
        store.get_many(bad)  # type: ignore[arg-type]
    assert caught.value.field == "case_ids"


def test_get_many_reads_more_ids_than_one_statement_takes(store: CaseStore) -> None:
    assert isinstance(store, ReadsManyCases)
    desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
    cases = desk.listen_many(make_feedback(customer=f"c{i}@example.com") for i in range(1_203))
    found = store.get_many([c.id for c in cases])
    assert found == {c.id: c for c in cases}


def test_cases_of_one_read_keep_the_histories_of_their_versions(store: CaseStore) -> None:
    """The histories of a page are read together, when the first is needed: by then other
    cases of the page may have moved on, and each still has exactly the events of the
    version that was read (a sweep reads a page, then commits some of it)."""
    assert isinstance(store, ReadsManyCases)
    desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
    a, b, c = desk.listen_many(make_feedback(customer=f"c{i}@example.com") for i in range(3))
    page = store.get_many([a.id, b.id, c.id])
    desk.acknowledge(b.id, by="amy")
    desk.acknowledge(c.id, by="amy")
    desk.take_action(c.id, by="amy", summary="Refunded")
    assert [len(page[i].events) for i in (a.id, b.id, c.id)] == [1, 1, 1]
    assert page[b.id].events == list(store.get(b.id).events[:1])
    assert page[c.id].events[-1] == store.get(c.id).events[0]
    assert [len(store.get(i).events) for i in (a.id, b.id, c.id)] == [1, 2, 3]
