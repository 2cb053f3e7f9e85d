"""Erasing a customer with more cases than an SQL statement takes variables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from closedloop import Channel, Desk, Feedback, SQLiteStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START

HANDLE = "ann@example.com"


def test_a_customer_with_more_cases_than_old_sqlite_builds_allow_variables_is_erased(
    tmp_path: Path,
) -> None:
    clock = ManualClock(START)
    with SQLiteStore(tmp_path / "loop.db") as store:
        # The limit of SQLite builds before 3.32 (and of some still shipped): 999.
        store._shared.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
        desk = Desk(store, RecordingNotifier(), clock=clock)
        many = desk.listen_many(
            Feedback(customer=HANDLE, channel=Channel.EMAIL, received_at=clock.now(),
                     text=f"Order {n}")
            for n in range(1200)
        )  # fmt: skip
        for case in many[:3]:
            desk.acknowledge(case.id, by="amy")
        erasure = desk.customers.erase(HANDLE)
        assert desk.cases_of(HANDLE) == []
        assert len(desk.cases_of(erasure.pseudonym)) == len(many)
        assert len(desk.outbox.dead_letters()) == 3
