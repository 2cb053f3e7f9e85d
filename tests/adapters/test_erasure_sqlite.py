"""After erasure, no byte of the customer's seeded details remains in the SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from closedloop import (
    Channel,
    Desk,
    ErasurePendingError,
    Feedback,
    Policy,
    SQLiteStore,
    Survey,
    SurveyKind,
)
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START

HANDLE = "ingrid.seeded@example.org"
PHONE = "+44 7700 900123"
WORDS = ["quasar-refund-7731", "my dog Biscuit bit the courier"]


class Refusing:
    def send(self, notification: object) -> None:
        raise ConnectionError("mail server down")


def files(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def seeded(db: Path, store: SQLiteStore, clock: ManualClock) -> tuple[Desk, str, str]:
    """A desk on ``store`` holding Ingrid (linked email and phone, a case through LATTE, a
    survey answer with a recovery case, dead letters) and Bob; returns her case and his."""
    policy = Policy(survey_url="https://example.com/s/{token}")
    nps = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us?")
    desk = Desk(store, RecordingNotifier(), clock=clock, policy=policy)
    desk.customers.link(HANDLE, PHONE, customer="crm-9", by="crm-sync")  # customer tables too
    case = desk.listen(
        Feedback(customer=HANDLE, channel=Channel.EMAIL, received_at=clock.now(),
                 text=f"Order {WORDS[0]}: {WORDS[1]}", external_id=f"<1@{HANDLE}>")
    )  # fmt: skip
    desk.conversation.add_message(
        case.id,
        Feedback(customer=PHONE, channel=Channel.PHONE, received_at=clock.now(),
                 text=f"Calling about {WORDS[0]}"),
    )  # fmt: skip
    desk.acknowledge(case.id, by="amy")
    desk.outbox.dispatch()
    desk.take_action(case.id, by="amy", summary="Refunded")
    desk.thank(case.id, by="amy")
    desk.explain(case.id, by="amy", what_failed="Courier", what_changes="New courier")
    invited = desk.surveys.invite(nps, case_id=case.id)
    assert invited.token is not None
    desk.surveys.respond(invited.token, 2, comment=f"{WORDS[1]}, still angry", contact_me=True)
    failing = Desk(store, Refusing(), clock=clock, policy=policy)
    for _ in range(8):  # until the remaining messages are dead letters
        clock.advance(days=1)
        failing.outbox.dispatch()
    other = desk.listen(
        Feedback(customer="bob@example.com", channel=Channel.EMAIL, received_at=clock.now(),
                 text="Unrelated")
    )  # fmt: skip
    assert HANDLE.encode() in files(db)
    return desk, case.id, other.id


def assert_gone(db: Path) -> None:
    blob = files(db)
    for detail in (HANDLE, PHONE, *WORDS):
        assert detail.encode() not in blob, detail
    assert b"bob@example.com" in blob  # the scan can see what is there


def test_no_byte_of_the_customer_remains_in_the_files(tmp_path: Path) -> None:
    """Scanned while the store is open and another connection reads the file: nothing of
    her may wait for close() to leave the files."""
    db = tmp_path / "loop.db"
    clock = ManualClock(START)
    with SQLiteStore(db) as store:
        desk, case_id, other_id = seeded(db, store, clock)
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
        desk, case_id, _ = seeded(db, store, clock)
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
