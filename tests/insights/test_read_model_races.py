"""A report whose period's cases change while it runs counts each case once: the totals and
the cases they leave out are read in one snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from closedloop import Desk, SQLiteStore, Standard, Standards, Target
from closedloop.domain.reports.totals import Totals
from closedloop.domain.standards.standard import office_hours
from closedloop.insights import compute
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import START, Burst, make_feedback, memory_or_sqlite


class Meanwhile(Burst):
    """Another writer right after the store has read a report's totals."""

    def report_totals(self, *args: Any, **kwargs: Any) -> Totals:
        totals: Totals = super().report_totals(*args, **kwargs)  # type: ignore[misc]
        self.after_read()
        return totals


class MeanwhileMemory(Meanwhile, InMemoryStore):
    pass


class MeanwhileSQLite(Meanwhile, SQLiteStore):
    pass


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Meanwhile]:
    yield from memory_or_sqlite(
        request.param, MeanwhileMemory, MeanwhileSQLite, tmp_path / "race.db"
    )


def test_a_case_that_changes_while_a_past_period_is_reported_counts_once(
    store: Meanwhile,
) -> None:
    """A case settled when the totals were read, and changed before the report read the
    unsettled cases, was counted twice: from its facts, and replayed."""
    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock)  # type: ignore[arg-type]
    cases = [desk.listen(make_feedback(customer=f"c{n}@example.com")) for n in range(3)]
    for case in cases:
        desk.acknowledge(case.id, by="amy")
    clock.advance(days=2)
    since, until = START - timedelta(days=1), clock.now()
    clock.advance(days=1)
    quiet = compute(store, since, until)  # type: ignore[arg-type]
    store.writers = [lambda: [desk.conversation.note(c.id, "later", by="amy") for c in cases[:2]]]
    busy = compute(store, since, until)  # type: ignore[arg-type]
    assert store.writers == []  # the notes were written while the report ran
    assert quiet.overall.opened == busy.overall.opened == 3
    assert busy == quiet
    assert compute(store, since, until) == quiet  # and after: replayed as of until


def test_past_the_named_limit_the_unsettled_are_paged_and_the_report_is_the_same(
    store: Meanwhile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade every case may be unsettled: a store names at most NAMED_UNSETTLED
    of them with its totals, and past that the report pages through them instead."""
    from closedloop.adapters import memory_reports, read_model

    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock)  # type: ignore[arg-type]
    for n in range(3):
        desk.listen(make_feedback(customer=f"c{n}@example.com"))
    since, until = START - timedelta(days=1), START + timedelta(days=1)
    clock.advance(days=2)
    named = store.report_totals(since, until, "other basis")  # type: ignore[attr-defined]
    assert named.unsettled is not None
    assert len(named.unsettled) == 3
    for module in (memory_reports, read_model):
        monkeypatch.setattr(module, "NAMED_UNSETTLED", 2)
    assert store.report_totals(since, until, "other basis").unsettled is None  # type: ignore[attr-defined]
    stricter = Standards(rules=(Standard(Target.ACKNOWLEDGE, timedelta(hours=1), office_hours()),))
    paged = compute(store, since, until, standards=stricter)  # type: ignore[arg-type]
    assert paged == compute(store, since, until, standards=stricter, replay=True)  # type: ignore[arg-type]
    assert paged.overall.opened == 3
