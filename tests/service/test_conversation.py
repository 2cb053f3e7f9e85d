"""One conversation across channels: more messages, channel moves, effort, the no log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closedloop import (
    Channel,
    Desk,
    Feedback,
    OriginKind,
    Policy,
    Stage,
    StepRefusedError,
    ValidationError,
)
from closedloop.domain.cases.case import replay
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback


def message(clock: ManualClock, channel: Channel = Channel.EMAIL, **more: object) -> Feedback:
    return Feedback(
        customer="mary@example.com",
        channel=channel,
        received_at=clock.now(),
        text=str(more.pop("text", "Any news?")),
        **more,  # type: ignore[arg-type]
    )


def close(desk: Desk, case_id: str) -> None:
    desk.acknowledge(case_id, by="amy")
    desk.take_action(case_id, by="amy", summary="Replaced it")
    desk.thank(case_id, by="amy")
    desk.explain(case_id, by="amy", what_failed="Courier", what_changes="New courier")


def test_scenario_5_from_twitter_to_email_keeps_one_case_and_its_clocks(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier
) -> None:
    form = desk.listen(make_feedback(text="My order never came"))
    clock.advance(days=2)  # the web form got nothing; the customer tweets
    tweeted = desk.conversation.add_message(
        form.id, message(clock, Channel.SOCIAL_MEDIA, text="@shop hello?")
    )
    assert tweeted.id == form.id
    assert tweeted.channels == (Channel.WEB_FORM, Channel.SOCIAL_MEDIA)
    clock.advance(hours=3)
    desk.acknowledge(form.id, by="social team")
    moved = desk.conversation.move_channel(
        form.id, Channel.EMAIL, by="social team", reason="private details"
    )
    assert moved.reply_channel == Channel.EMAIL
    assert moved.opened_at == form.opened_at  # the clocks did not restart
    assert len(moved.messages) == 2
    # Two months pass without action: the take-action standard is long breached.
    clock.advance(days=60)
    escalated = dict(desk.sweep().escalated)
    assert escalated[form.id] >= 1
    effort = desk.get(form.id).effort
    assert effort.channel_switches == 2  # web form -> social media -> email
    assert effort.repeat_contacts == 1  # wrote again before any answer
    desk.take_action(form.id, by="amy", summary="Refunded")
    desk.thank(form.id, by="amy")
    desk.outbox.dispatch()
    sent = {m.purpose: m.channel for m in notifier.sent}
    assert sent["acknowledgement"] == Channel.WEB_FORM  # before the move
    assert sent["thanks"] == Channel.EMAIL  # replies go out on the new channel


def test_hand_offs_and_repeats_are_counted(desk: Desk, clock: ManualClock) -> None:
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")  # becomes the owner: not a hand-off
    desk.assign(case.id, owner="bo", by="amy")
    desk.assign(case.id, owner="bo", by="amy")  # same owner: not a hand-off
    desk.assign(case.id, owner="cy", by="bo")
    desk.conversation.add_message(
        case.id, message(clock, text="As I said, order 1234", repeated=True)
    )
    desk.conversation.add_message(case.id, message(clock, text="Hello??"))
    effort = desk.get(case.id).effort
    assert (effort.hand_offs, effort.repeats) == (2, 1)
    assert effort.repeat_contacts == 1  # the second of the two unanswered messages
    assert effort.channel_switches == 1  # web form -> email


def test_a_message_within_the_reopen_window_reopens_the_case(
    desk: Desk, clock: ManualClock
) -> None:
    case = desk.listen(make_feedback())
    close(desk, case.id)
    clock.advance(days=14)  # exactly at the window's end: still inside
    reopened = desk.conversation.add_message(case.id, message(clock, text="It broke again"))
    assert reopened.id == case.id
    assert reopened.stage is Stage.ACKNOWLEDGED  # back to Take action
    assert reopened.reopen_count == 1
    assert not reopened.is_closed


def test_a_message_after_the_reopen_window_opens_a_linked_case(
    desk: Desk, clock: ManualClock
) -> None:
    case = desk.listen(make_feedback())
    close(desk, case.id)
    clock.advance(days=14, seconds=1)
    follow_up = desk.conversation.add_message(
        case.id, message(clock, text="New problem with the same order")
    )
    assert follow_up.id != case.id
    assert follow_up.origin is not None
    assert follow_up.origin.kind is OriginKind.FOLLOW_UP
    assert follow_up.origin.case_id == case.id
    assert desk.get(case.id).is_closed


def test_a_redelivered_message_joins_once(desk: Desk, clock: ManualClock) -> None:
    case = desk.listen(make_feedback())
    first = desk.conversation.add_message(case.id, message(clock, external_id="mail-7"))
    again = desk.conversation.add_message(case.id, message(clock, external_id="mail-7"))
    assert again == first
    assert len(desk.get(case.id).messages) == 2


def test_the_reopen_window_is_policy(store: InMemoryStore, clock: ManualClock) -> None:
    desk = Desk(
        store, RecordingNotifier(), clock=clock, policy=Policy(reopen_within=timedelta(days=1))
    )
    case = desk.listen(make_feedback())
    close(desk, case.id)
    clock.advance(days=2)
    assert desk.conversation.add_message(case.id, message(clock)).id != case.id
    with pytest.raises(ValidationError, match="timedelta"):
        Policy(reopen_within=timedelta(0))


def test_moving_to_an_unknown_channel_is_refused(desk: Desk) -> None:
    case = desk.listen(make_feedback())
    with pytest.raises(ValidationError, match="unknown channel"):
        desk.conversation.move_channel(case.id, Channel.custom("pigeon"), by="amy")
    assert desk.get(case.id) == case


def test_scenario_9_the_thirty_day_no_log(store: InMemoryStore, clock: ManualClock) -> None:
    desk = Desk(store, RecordingNotifier(), clock=clock, ids=SequentialIds())
    declines = [
        ("out_of_stock", "Lego advent calendar"),
        ("out_of_stock", "Red scarf, size M"),
        ("policy", "Refund without receipt"),
        ("out_of_stock", "Lego advent calendar"),
        ("training", "Gift wrapping"),
    ]
    since = clock.now()
    for category, asked in declines:
        case = desk.listen(make_feedback(text=f"Can I have {asked}?"))
        desk.acknowledge(case.id, by="amy")
        desk.decline(case.id, by="amy", reason="Sorry, no", category=category, asked=asked)
        clock.advance(days=5)
    before = desk.listen(make_feedback())
    desk.acknowledge(before.id, by="amy")
    desk.decline(before.id, by="amy", reason="Outside the period")  # defaults: other, subject
    log = desk.reports.no_log(since, since + timedelta(days=25), examples=2)
    assert log.total == 5
    assert [(c.category, c.count) for c in log.categories] == [
        ("out_of_stock", 3),
        ("policy", 1),
        ("training", 1),
    ]
    assert [e.asked for e in log.categories[0].examples] == [
        "Lego advent calendar",
        "Red scarf, size M",
    ]
    assert "out_of_stock: 3" in str(log)
    everything = desk.reports.no_log(since, clock.now() + timedelta(seconds=1))
    other = {c.category: c for c in everything.categories}["other"]
    assert other.examples[0].asked == before.subject


def test_a_decline_needs_a_known_category(desk: Desk) -> None:
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    with pytest.raises(ValidationError, match="unknown decline category 'stock'"):
        desk.decline(case.id, by="amy", reason="none left", category="stock")
    custom = Policy(decline_categories=("seasonal", "other"))
    custom.check_decline_category("seasonal")
    with pytest.raises(ValidationError):
        Policy(decline_categories="seasonal")


def test_new_events_replay(desk: Desk, clock: ManualClock) -> None:
    case = desk.listen(make_feedback())
    desk.conversation.add_message(case.id, message(clock, Channel.SOCIAL_MEDIA))
    desk.conversation.move_channel(case.id, Channel.EMAIL, by="amy")
    stored = desk.get(case.id)
    assert replay(stored.events) == stored
    assert stored.opened_at == START


def test_scenario_8_follow_up_a_no_reopens_a_yes_is_recorded(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier
) -> None:
    case = desk.listen(make_feedback())
    close(desk, case.id)
    asked = desk.conversation.request_verification(case.id, by="amy")
    assert asked.is_closed
    desk.outbox.dispatch()
    assert notifier.sent[-1].purpose == "verification"
    reopened = desk.conversation.verify(case.id, resolved=False, comment="Still broken")
    assert not reopened.is_closed
    assert reopened.reopen_count == 1
    assert reopened.verified is False
    with pytest.raises(StepRefusedError, match="still open"):
        desk.conversation.verify(case.id, resolved=True)
    desk.take_action(case.id, by="amy", summary="Replaced again")
    desk.thank(case.id, by="amy")
    desk.explain(case.id, by="amy", what_failed="Part", what_changes="New supplier")
    confirmed = desk.conversation.verify(case.id, resolved=True)
    assert confirmed.is_closed
    assert confirmed.verified is True
    with pytest.raises(ValidationError, match="True or False"):
        desk.conversation.verify(case.id, resolved="no")  # type: ignore[arg-type]


def test_only_a_closed_loop_is_verified(desk: Desk) -> None:
    case = desk.listen(make_feedback())
    with pytest.raises(StepRefusedError, match="close the loop first"):
        desk.conversation.request_verification(case.id, by="amy")
    assert desk.get(case.id) == case
