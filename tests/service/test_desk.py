from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from closedloop import (
    CaseNotFoundError,
    Channel,
    ConcurrencyError,
    Desk,
    FeedbackKind,
    Policy,
    Priority,
    Stage,
    StepNotAllowedError,
    Templates,
    UnknownChannelError,
    ValidationError,
)
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import in_threads, make_feedback


def test_a_complaint_through_latte_tells_the_customer_three_times(
    desk: Desk, notifier: RecordingNotifier, clock: ManualClock
) -> None:
    case = desk.listen(make_feedback())
    clock.advance(minutes=20)
    desk.acknowledge(case.id, by="Amy")
    clock.advance(hours=5)
    desk.take_action(case.id, by="Amy", summary="Spoke to the store manager")
    desk.thank(case.id, by="Amy")
    closed = desk.explain(
        case.id,
        by="Amy",
        what_failed="Our returns training skipped the Leeds store",
        what_changes="Every store team is trained on returns by Friday",
    )
    assert closed.stage is Stage.CLOSED
    assert desk.get(case.id) == closed
    assert notifier.sent == []  # nothing leaves before dispatch: the outbox holds it
    report = desk.outbox.dispatch()
    assert len(report.sent) == 3
    assert notifier.purposes() == ["acknowledgement", "thanks", "explanation"]
    assert {n.to for n in notifier.sent} == {"mary@example.com"}
    assert all(n.channel == Channel.WEB_FORM for n in notifier.sent)
    assert "returns training skipped the Leeds store" in notifier.sent[2].body
    assert desk.outbox.dispatch().sent == ()  # delivered once


def test_the_acknowledgement_names_the_matter_the_owner_and_the_next_contact(
    desk: Desk, notifier: RecordingNotifier, clock: ManualClock
) -> None:
    case = desk.listen(make_feedback(text="My refund never arrived"))
    desk.acknowledge(case.id, by="Amy Lee")
    desk.outbox.dispatch()
    (ack,) = notifier.sent
    assert "My refund never arrived" in ack.subject
    assert "My refund never arrived" in ack.body
    assert "Amy Lee is looking after it" in ack.body
    # Take action within 3 business days (Mon-Fri 09-17 UTC) of Monday 09:00: Wednesday 17:00.
    promised = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    assert "Wednesday 25 November 2026, 17:00 UTC" in ack.body
    assert desk.get(case.id).next_contact_by == promised


def test_a_compliment_gets_its_own_thanks(desk: Desk, notifier: RecordingNotifier) -> None:
    case = desk.listen(make_feedback(FeedbackKind.COMPLIMENT, text="Jo at the till was lovely"))
    desk.acknowledge(case.id, by="Amy")
    desk.thank(case.id, by="Amy")
    desk.outbox.dispatch()
    assert "kind words" in notifier.sent[-1].body
    assert desk.get(case.id).is_closed


def test_templates_can_be_overridden(store: InMemoryStore, clock: ManualClock) -> None:
    notifier = RecordingNotifier()
    policy = Policy(templates=Templates(acknowledgement="Got it: $matter. Back by $next_contact."))
    desk = Desk(store, notifier, clock=clock, policy=policy)
    case = desk.listen(make_feedback(text="Broken tap"))
    desk.acknowledge(case.id, by="Amy")
    desk.outbox.dispatch()
    assert notifier.sent[0].body.startswith("Got it: Broken tap. Back by ")


@pytest.mark.parametrize(
    ("text", "message"),
    [("Hi $nmae", r"unknown placeholders \$nmae"), ("Costs $5", "stray"), ("", "non-empty")],
)
def test_a_bad_template_fails_when_the_policy_is_built(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Templates(thanks=text)


def test_an_unknown_channel_is_refused_and_nothing_is_stored(desk: Desk) -> None:
    fax = Channel.custom("fax", written=True)
    with pytest.raises(UnknownChannelError, match="unknown channel 'fax'") as info:
        desk.listen(make_feedback(channel=fax, customer="fax-user"))
    assert isinstance(info.value, LookupError)
    assert desk.cases_of("fax-user") == []


def test_a_registered_custom_channel_is_accepted(store: InMemoryStore, clock: ManualClock) -> None:
    fax = Channel.custom("fax", written=True)
    desk = Desk(store, RecordingNotifier(), clock=clock, policy=Policy(channels=[fax]))
    case = desk.listen(make_feedback(channel=fax))
    assert case.reply_channel == fax


def test_priority_comes_from_the_policy(desk: Desk) -> None:
    assert desk.listen(make_feedback(channel=Channel.OMBUDSMAN)).priority is Priority.HIGH
    assert desk.listen(make_feedback(channel=Channel.SOCIAL_MEDIA)).priority is Priority.HIGH
    assert desk.listen(make_feedback(channel=Channel.EMAIL)).priority is Priority.NORMAL


def test_the_same_delivery_twice_makes_one_case(desk: Desk) -> None:
    first = desk.listen(make_feedback(external_id="msg-1@example.com"))
    again = desk.listen(make_feedback(external_id="msg-1@example.com"))
    assert again.id == first.id
    assert len(desk.cases_of("mary@example.com")) == 1


def test_a_stale_version_is_refused_and_changes_nothing(desk: Desk) -> None:
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="Amy")
    with pytest.raises(ConcurrencyError, match="expected at version 1 but it is at version 2"):
        desk.assign(case.id, owner="Bo", by="lead", expected_version=case.version)
    assert desk.get(case.id).owner == "Amy"
    assert desk.get(case.id).version == 2


def test_an_impossible_step_is_refused_and_queues_nothing(
    desk: Desk, notifier: RecordingNotifier
) -> None:
    case = desk.listen(make_feedback())
    with pytest.raises(StepNotAllowedError, match="steps allowed now: acknowledge"):
        desk.thank(case.id, by="Amy")
    assert desk.get(case.id) == case
    assert desk.outbox.dispatch().sent == ()


def test_reopen_is_by_the_customer_unless_said_otherwise(desk: Desk) -> None:
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="Amy")
    desk.take_action(case.id, by="Amy", summary="Refunded")
    reopened = desk.reopen(case.id, reason="The refund bounced")
    assert reopened.stage is Stage.ACKNOWLEDGED
    assert reopened.reopen_count == 1
    assert reopened.events[-1].by == "mary@example.com"


def test_decline_then_thank_and_explain(desk: Desk) -> None:
    case = desk.listen(make_feedback(FeedbackKind.SUGGESTION, text="Open on Sundays"))
    desk.acknowledge(case.id, by="Amy")
    declined = desk.decline(case.id, by="Amy", reason="Our lease forbids Sunday opening")
    assert declined.declined == "Our lease forbids Sunday opening"
    desk.thank(case.id, by="Amy")
    closed = desk.explain(
        case.id, by="Amy", what_failed="Nothing failed", what_changes="We will ask the landlord"
    )
    assert closed.is_closed


def test_an_unknown_case_is_a_lookup_error(desk: Desk) -> None:
    with pytest.raises(CaseNotFoundError, match="no case with id 'nope'") as info:
        desk.acknowledge("nope", by="Amy")
    assert isinstance(info.value, LookupError)


def test_a_failing_notifier_keeps_the_message_queued(
    every_store: CaseStore, clock: ManualClock
) -> None:
    flaky = RecordingNotifier(fail=lambda n: True)
    desk = Desk(every_store, flaky, clock=clock, ids=SequentialIds())
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="Amy")
    key = f"{case.id}/2/acknowledgement"
    report = desk.outbox.dispatch()
    assert report.retrying == (key,)
    assert desk.get(case.id).stage is Stage.ACKNOWLEDGED  # the change is kept
    flaky.fail = None
    assert desk.outbox.dispatch().sent == ()  # not before the backoff has passed
    clock.advance(minutes=1)
    assert desk.outbox.dispatch().sent == (key,)
    assert len(flaky.sent) == 1


def test_listen_refuses_what_is_not_feedback(desk: Desk) -> None:
    with pytest.raises(ValidationError, match="takes a Feedback"):
        desk.listen({"customer": "m"})  # type: ignore[arg-type]


def test_a_standard_needs_a_positive_target() -> None:
    from closedloop import BusinessCalendar, Standard, Target

    with pytest.raises(ValidationError, match="within must be a positive timedelta"):
        Standard(Target.ACKNOWLEDGE, timedelta(0), BusinessCalendar.always_open())


def test_the_desk_works_with_the_system_clock_and_random_ids() -> None:
    desk = Desk(InMemoryStore(), RecordingNotifier())
    case = desk.listen(make_feedback())
    assert len(case.id) == 32
    assert case.opened_at.tzinfo is not None


def test_ten_threads_listening_to_one_delivery_make_one_case(every_store: CaseStore) -> None:
    desk = Desk(every_store, RecordingNotifier(), ids=SequentialIds())
    made = in_threads(10, lambda _: desk.listen(make_feedback(external_id="webhook-7")).id)
    assert len(made) == 10
    assert len(set(made)) == 1
    assert [c.id for c in every_store.cases_of("mary@example.com")] == made[:1]
