"""One customer's details spread over every kind of record, for the erasure tests."""

from __future__ import annotations

from closedloop import Channel, Desk, Feedback, Policy, Survey, SurveyKind
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier

HANDLE = "ingrid.seeded@example.org"
PHONE = "+44 7700 900123"
WORDS = ["quasar-refund-7731", "my dog Biscuit bit the courier"]
#: Every detail of hers that erasure must remove from the files.
HERS = (HANDLE, PHONE, *WORDS)


class Refusing:
    def send(self, notification: object) -> None:
        raise ConnectionError("mail server down")


def seeded(store: CaseStore, clock: ManualClock) -> tuple[Desk, str, str]:
    """A desk on ``store`` holding Ingrid (linked email and phone, a case through LATTE, a
    survey answer with a recovery case, dead letters) and Bob; returns her case and his."""
    policy = Policy(survey_url="https://example.com/s/{token}")
    nps = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us?")
    desk = Desk(store, RecordingNotifier(), clock=clock, policy=policy)
    desk.customers.link(HANDLE, PHONE, customer="crm-9", by="crm-sync")  # customer tables too
    case = desk.listen(
        Feedback(customer=HANDLE, channel=Channel.EMAIL, received_at=clock.now(),
                 text=f"Order {WORDS[0]}: {WORDS[1]}", external_id=f"<1@{HANDLE}>",
                 matter_key="order-7731")  # its case claims a key made of her handle
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
    return desk, case.id, other.id
