"""A handle taken from a customer (unlinked, or given back by an unmerge) keeps nothing of
theirs: its own low scores open a recovery case of its own, although the key the
customer's recovery case claimed was made of it (found by a newcomer's probe: the answer
was refused with DuplicateExternalIdError, every time)."""

from __future__ import annotations

from closedloop import Channel, Desk, Survey, SurveyKind
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import START

ANN, PHONE, BEN = "ann@example.com", "+447700900123", "ben@example.com"
CSAT = Survey("csat", SurveyKind.CSAT, "How satisfied were you?")


def low_score(desk: Desk, customer: str) -> str | None:
    channel = Channel.PHONE if customer.startswith("+") else Channel.EMAIL
    answered = desk.surveys.record_answer(CSAT, customer=customer, channel=channel, answer=1)
    return answered.recovery_case_id


def test_a_low_score_from_a_handle_unlinked_since_opens_its_own_recovery_case() -> None:
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=ManualClock(START))
    ann = desk.customers.link(ANN, PHONE, by="crm-sync")
    hers = low_score(desk, ANN)  # its key is made of the phone, her first handle
    desk.customers.unlink(ann.id, PHONE, by="crm-sync")

    theirs = low_score(desk, PHONE)
    again = low_score(desk, PHONE)

    assert theirs is not None
    assert theirs != hers
    assert again == theirs  # their second low score joins their open recovery case
    assert len(desk.surveys.of_customer(PHONE)) == 2
    assert desk.get(hers).customer == ANN


def test_a_low_score_from_a_handle_an_unmerge_gave_back_opens_its_own_recovery_case() -> None:
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=ManualClock(START))
    ann = desk.customers.link(ANN, by="crm-sync")
    ben = desk.customers.link(PHONE, BEN, by="crm-sync")
    desk.customers.merge(ann.id, ben.id, by="crm-sync")
    hers = low_score(desk, ANN)  # made of the phone, which sorts first among her handles
    desk.customers.unmerge(ann.id, ben.id, by="crm-sync")

    his = low_score(desk, BEN)

    assert his is not None
    assert his != hers
    assert desk.get(his).customer == BEN
