"""Bad input and edge cases found by reading the API as a newcomer would."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from closedloop import (
    BusinessCalendar,
    Channel,
    ConcurrencyError,
    Desk,
    FeedbackKind,
    Policy,
    Rung,
    Standard,
    Standards,
    StepRefusedError,
    Target,
    UnknownChannelError,
    ValidationError,
)
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback

ALWAYS = BusinessCalendar.always_open()


def test_a_single_address_is_not_spelled_out_into_recipients() -> None:
    with pytest.raises(ValidationError, match="a list of addresses"):
        Rung("lead", "lead@example.com")  # type: ignore[arg-type]


def test_standards_take_sets_and_channels_by_object_or_name() -> None:
    with pytest.raises(ValidationError, match="not the string"):
        Standard(Target.ACKNOWLEDGE, timedelta(hours=1), ALWAYS, channels="email")  # type: ignore[arg-type]
    by_object = Standard(Target.ACKNOWLEDGE, timedelta(hours=1), ALWAYS, channels={Channel.CHAT})
    assert by_object.channels == frozenset({"chat"})


@pytest.mark.parametrize(
    "make",
    [
        lambda: Policy(standards=None),  # type: ignore[arg-type]
        lambda: Policy(priority="high"),  # type: ignore[arg-type]
        lambda: Policy(timezone="Mars/Olympus"),
        lambda: Standard("acknowledge", timedelta(hours=1), ALWAYS),  # type: ignore[arg-type]
        lambda: Standard(Target.ACKNOWLEDGE, timedelta(hours=1), None),  # type: ignore[arg-type]
        lambda: Standards(amber_at="0.5"),  # type: ignore[arg-type]
    ],
)
def test_configuration_is_checked_when_it_is_built(make: object) -> None:
    with pytest.raises(ValidationError):
        make()  # type: ignore[operator]


def test_a_zone_name_is_a_timezone() -> None:
    assert Policy(timezone="Europe/London").timezone == ZoneInfo("Europe/London")


def test_a_policy_change_does_not_leave_cases_stuck_in_the_sweep(clock: ManualClock) -> None:
    store = InMemoryStore()
    old = Desk(store, RecordingNotifier(), clock=clock, ids=SequentialIds())
    email = old.listen(make_feedback(channel=Channel.EMAIL))
    chat = old.listen(make_feedback(channel=Channel.CHAT))
    # The organisation relaxes email to 8 business hours; the stored due times are stale.
    relaxed = Standards(
        rules=[Standard(Target.ACKNOWLEDGE, timedelta(hours=8), ALWAYS, channels={"email"})]
    )
    desk = Desk(store, RecordingNotifier(), clock=clock, policy=Policy(standards=relaxed))
    clock.advance(hours=4, seconds=1)
    report = desk.sweep(batch=1)
    assert report.escalated == ((chat.id, 1),)
    assert store.get(email.id).due_at == START + timedelta(hours=8)
    assert desk.sweep(batch=1).escalated == ()


def test_customer_escalation_checks_its_channel(desk: Desk) -> None:
    case = desk.listen(make_feedback())
    with pytest.raises(ValidationError, match="channel must be a Channel"):
        desk.standards.escalate(case.id, to="ombudsman", channel="ombudsman")  # type: ignore[arg-type]
    with pytest.raises(UnknownChannelError):
        desk.standards.escalate(case.id, to="ombudsman", channel=Channel.custom("fax"))
    with pytest.raises(ConcurrencyError):
        desk.standards.escalate(case.id, to="ombudsman", expected_version=case.version + 1)
    assert desk.get(case.id) == case


def test_expected_version_must_be_a_version(desk: Desk) -> None:
    case = desk.listen(make_feedback())
    with pytest.raises(ValidationError, match="expected_version must be the int version"):
        desk.acknowledge(case.id, by="Amy", expected_version="1")  # type: ignore[arg-type]


def test_reopen_and_replies_need_words(desk: Desk) -> None:
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="Amy")
    desk.take_action(case.id, by="Amy", summary="Refunded")
    with pytest.raises(StepRefusedError, match="say why it is not resolved"):
        desk.reopen(case.id, reason=" ")
    desk.conversation.await_customer(case.id, by="Amy", question="Did the refund arrive?")
    with pytest.raises(ValidationError, match="say what the customer replied"):
        desk.conversation.customer_replied(case.id, text=None)  # type: ignore[arg-type]


def test_a_dispatch_lease_is_a_positive_duration(desk: Desk) -> None:
    for lease in (5, timedelta(0)):
        with pytest.raises(ValidationError, match="lease must be a positive timedelta"):
            desk.outbox.dispatch(lease=lease)  # type: ignore[arg-type]


def test_an_answered_question_sends_the_answer(desk: Desk, notifier: RecordingNotifier) -> None:
    case = desk.listen(make_feedback(FeedbackKind.QUESTION, text="Do you deliver on Sundays?"))
    desk.acknowledge(case.id, by="Bo")
    desk.take_action(case.id, by="Bo", summary="Yes, from 10:00 to 16:00.")
    desk.outbox.dispatch()
    assert notifier.purposes() == ["acknowledgement", "answer"]
    assert "Yes, from 10:00 to 16:00." in notifier.sent[-1].body


def test_a_known_channel_with_other_facts_is_named_as_such(desk: Desk) -> None:
    with pytest.raises(ValidationError, match="'email' is known as"):
        desk.listen(make_feedback(channel=Channel.custom("email", public=True)))
