"""After erasure, no byte of the customer's seeded details remains in the SQLite files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from closedloop import Channel, Desk, Feedback, Policy, SQLiteStore, Survey, SurveyKind
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


def test_no_byte_of_the_customer_remains_in_the_file(tmp_path: Path) -> None:
    db = tmp_path / "loop.db"
    clock = ManualClock(START)
    policy = Policy(survey_url="https://example.com/s/{token}")
    nps = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us?")
    with SQLiteStore(db) as store:
        desk = Desk(store, RecordingNotifier(), clock=clock, policy=policy)
        desk.customers.link(
            HANDLE, PHONE, customer="crm-9", by="crm-sync"
        )  # in the customer tables too
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
        before = desk.get(case.id)
        assert HANDLE.encode() in files(db)

        erasure = desk.customers.erase(HANDLE)  # the phone number is hers too: erased with it
        after = desk.get(case.id)
        assert after.customer == erasure.pseudonym
        assert len(after.messages) == len(before.messages)
        assert after.closed_at is None or after.opened_at == before.opened_at
        assert desk.get(other.id).customer == "bob@example.com"
        assert desk.customers.get("crm-9").handles == {erasure.pseudonym}
        clock.advance(timedelta(days=1))
    blob = files(db)
    for detail in (HANDLE, PHONE, *WORDS):
        assert detail.encode() not in blob, detail
    assert b"bob@example.com" in blob  # the scan can see what is there
