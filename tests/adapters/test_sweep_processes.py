"""Sweeper processes on one SQLite file, 2 and 8 at once: they share the work, sweeping at
the same time, and every late case is escalated exactly once, with one alert."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from closedloop import Desk, SQLiteStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.adapters.sweepers import sweep_together
from tests.helpers import START, make_feedback


@pytest.mark.parametrize("workers", [2, 8])
def test_sweepers_share_the_work_and_escalate_each_case_once_with_one_alert(
    tmp_path: Path, workers: int
) -> None:
    db = tmp_path / "loop.db"
    cases = 1_000
    with SQLiteStore(db, synchronous="NORMAL") as store:
        desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
        ids = {
            c.id for c in desk.listen_many(make_feedback(customer=f"c{i}") for i in range(cases))
        }
    late = START + timedelta(hours=4, seconds=1)  # past the acknowledgement standard
    counts = sweep_together("sqlite", workers, tmp_path / "gate", str(db), now=late.isoformat())
    assert sum(escalated for escalated, _ in counts) == cases  # none missed, none twice

    with SQLiteStore(db) as store:
        assert {store.get(i).escalation_level for i in ids} == {1}
        alerts = store.outbox_claim(late + timedelta(days=1), limit=10 * cases)
        escalations = [m.notification for m in alerts if m.notification.purpose == "escalation"]
        assert len(escalations) == cases
        assert {n.case_id for n in escalations} == ids
