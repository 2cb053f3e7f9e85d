"""Splitting off a message that came with an external id (an email's Message-ID): the split
works on every store, and the id stays with the case the message arrived on, as a merge's
do, so a redelivery of it opens nothing new."""

from __future__ import annotations

from datetime import timedelta

from closedloop import Channel, Desk, Feedback
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START


def _email(text: str, message_id: str, customer: str = "mary@example.com") -> Feedback:
    return Feedback(
        customer=customer, channel=Channel.EMAIL, received_at=START, text=text,
        external_id=message_id,
    )  # fmt: skip


def test_a_message_with_an_external_id_splits_off_and_its_id_stays(every_store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = Desk(every_store, RecordingNotifier(), clock=clock)
    case = desk.listen(_email("My parcel is late", "<m1@mail>"))
    desk.conversation.add_message(case.id, _email("And my invoice is wrong", "<m2@mail>"))
    clock.advance(hours=1)

    source, new = desk.conversation.split(case.id, [1], by="amy", reason="another matter")

    assert [m.text for m in new.messages] == ["And my invoice is wrong"]
    assert new.messages[0].external_id == "<m2@mail>"  # the message keeps its id
    assert source.external_ids == ("<m1@mail>", "<m2@mail>")
    assert new.external_ids == ()
    found = every_store.find_by_external_id("<m2@mail>")
    assert found is not None
    assert found.id == source.id
    # A redelivery of either email is known: nothing new is opened.
    again = desk.listen(_email("And my invoice is wrong", "<m2@mail>"))
    assert again.id == source.id
    assert len(every_store.cases_of("mary@example.com")) == 2
    # What comes next to the new case is its own.
    clock.advance(hours=1)
    desk.conversation.add_message(new.id, _email("Any news on the invoice?", "<m3@mail>"))
    assert desk.get(new.id).external_ids == ("<m3@mail>",)
    found = every_store.find_by_external_id("<m3@mail>")
    assert found is not None
    assert found.id == new.id


def test_splitting_off_two_messages_with_ids_and_one_without(every_store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = Desk(every_store, RecordingNotifier(), clock=clock)
    case = desk.listen(_email("First", "<a@mail>"))
    desk.conversation.add_message(case.id, _email("Second", "<b@mail>"))
    phoned = Feedback(
        customer="mary@example.com", channel=Channel.PHONE, received_at=START,
        text="Third, by phone",
    )  # fmt: skip
    desk.conversation.add_message(case.id, phoned)
    desk.conversation.add_message(case.id, _email("Fourth", "<d@mail>"))
    clock.advance(timedelta(minutes=5))

    source, new = desk.conversation.split(case.id, [1, 2], by="amy", reason="other matter")
    assert source.external_ids == ("<a@mail>", "<b@mail>", "<d@mail>")

    assert [m.text for m in new.messages] == ["Second", "Third, by phone"]
    assert new.external_ids == ()
    assert desk.get(case.id).external_ids == ("<a@mail>", "<b@mail>", "<d@mail>")
    assert desk.get(new.id) == new
