"""After erasure, no byte of the customer's seeded details remains in the SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from closedloop import (
    Channel,
    ErasurePendingError,
    Feedback,
    SQLiteStore,
)
from closedloop.testing import ManualClock
from tests.adapters.erasure_seed import HANDLE, HERS, seeded
from tests.helpers import START


def files(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def assert_gone(db: Path) -> None:
    blob = files(db)
    for detail in HERS:
        assert detail.encode() not in blob, detail
    assert b"bob@example.com" in blob  # the scan can see what is there


def test_no_byte_of_the_customer_remains_in_the_files(tmp_path: Path) -> None:
    """Scanned while the store is open and another connection reads the file: nothing of
    her may wait for close() to leave the files."""
    db = tmp_path / "loop.db"
    clock = ManualClock(START)
    with SQLiteStore(db) as store:
        desk, case_id, other_id = seeded(store, clock)
        assert HANDLE.encode() in files(db)
        before = desk.get(case_id)
        reader = sqlite3.connect(db)
        try:
            assert reader.execute("SELECT count(*) FROM cases").fetchone() == (3,)
            erasure = desk.customers.erase(HANDLE)  # the phone number is hers too
            after = desk.get(case_id)
            assert after.customer == erasure.pseudonym
            assert len(after.messages) == len(before.messages)
            assert after.opened_at == before.opened_at
            assert desk.get(other_id).customer == "bob@example.com"
            assert desk.customers.get("crm-9").handles == {erasure.pseudonym}
            assert_gone(db)
            assert reader.execute("SELECT count(*) FROM cases").fetchone() == (3,)
        finally:
            reader.close()


def test_a_reader_of_older_pages_delays_the_files_not_the_store(tmp_path: Path) -> None:
    """A connection inside a read transaction keeps older pages of the write-ahead log: the
    erasure says so at once instead of waiting out the busy timeout holding the store, and
    a checkpoint finishes the job once the reader is done."""
    db = tmp_path / "loop.db"
    clock = ManualClock(START)
    with SQLiteStore(db, busy_timeout=0.2) as store:
        desk, case_id, _ = seeded(store, clock)
        reader = sqlite3.connect(db, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM events").fetchone()  # holds a snapshot
        try:
            with pytest.raises(ErasurePendingError, match=r"call store\.checkpoint\(\)"):
                desk.customers.erase(HANDLE)
            assert desk.get(case_id).customer.startswith("erased-")  # the records are erased
            assert HANDLE.encode() in files(db)  # but the log still holds her old pages
            assert store.checkpoint(wait=0.05) is False
            assert desk.listen(  # the store is not blocked meanwhile
                Feedback(customer="cy@example.com", channel=Channel.EMAIL,
                         received_at=clock.now(), text="Hello")
            ).customer == "cy@example.com"  # fmt: skip
        finally:
            reader.execute("COMMIT")
            reader.close()
        assert store.checkpoint() is True
        assert_gone(db)
