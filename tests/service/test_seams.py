"""Regression tests for the seams between capabilities that broke "nothing is dropped".

Each test names the bullet of issue 16 it proves fixed; each failed on the code before the fix.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from closedloop import (
    BusinessCalendar,
    Channel,
    Delivery,
    Desk,
    Feedback,
    Policy,
    Queue,
    Reason,
    ScoreError,
    Stage,
    Standard,
    Standards,
    StepRefusedError,
    Survey,
    SurveyKind,
    Target,
    ValidationError,
)
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, in_threads, make_feedback

ALWAYS = BusinessCalendar.always_open()


def closed_case(desk: Desk) -> str:
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    desk.take_action(case.id, by="amy", summary="Refunded")
    desk.thank(case.id, by="amy")
    desk.explain(case.id, by="amy", what_failed="Courier", what_changes="New courier")
    return case.id


def test_a_move_keeps_the_standard_of_the_channel_the_case_arrived_on(clock: ManualClock) -> None:
    """`move_channel` re-selected standards by the new channel: a 2-hour social-media
    deadline became two days after moving to email."""
    social = Standard(Target.ACKNOWLEDGE, timedelta(hours=2), ALWAYS, channels={"social_media"})
    policy = Policy(standards=Standards(rules=[social]))
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=clock, policy=policy)
    tweet = desk.listen(make_feedback(channel=Channel.SOCIAL_MEDIA))
    assert tweet.due_at == START + timedelta(hours=2)
    clock.advance(minutes=30)
    moved = desk.conversation.move_channel(tweet.id, Channel.EMAIL, by="amy", reason="private")
    assert moved.reply_channel == Channel.EMAIL
    assert moved.due_at == START + timedelta(hours=2)
    (acknowledge,) = [
        d for d in desk.standards.deadlines(tweet.id) if d.target is Target.ACKNOWLEDGE
    ]
    assert (acknowledge.standard, acknowledge.due_at) == (social, START + timedelta(hours=2))


def test_a_move_keeps_a_paused_case_paused(desk: Desk, clock: ManualClock) -> None:
    """Moving a case that waited for the customer moved its deadline (found by the whole-Desk
    state machine: a promise made, a pause, a move)."""
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    desk.promises.make(
        case.id, what="Call back", due_by=clock.now() + timedelta(days=1), owner="amy", by="amy"
    )
    paused = desk.conversation.await_customer(case.id, by="amy", question="Which order?")
    assert paused.due_at == clock.now() + timedelta(days=1)  # our promise is still ours to keep
    clock.advance(days=1)
    moved = desk.conversation.move_channel(case.id, Channel.PHONE, by="amy")
    assert moved.due_at == paused.due_at
    assert moved.awaiting_customer


def test_the_channel_history_includes_the_channels_a_case_moved_to(
    desk: Desk, clock: ManualClock
) -> None:
    """`Case.channels` left out the channel a case was moved to, though effort counts it."""
    case = desk.listen(make_feedback(channel=Channel.SOCIAL_MEDIA))
    desk.conversation.move_channel(case.id, Channel.EMAIL, by="amy")
    joined = desk.conversation.add_message(
        case.id,
        Feedback(customer=case.customer, channel=Channel.PHONE, received_at=clock.now(), text="Hi"),
    )
    assert joined.channels == (Channel.SOCIAL_MEDIA, Channel.EMAIL, Channel.PHONE)
    assert joined.arrival_channel == Channel.SOCIAL_MEDIA
    assert joined.effort.channel_switches == 2


@pytest.mark.parametrize("how", ["reopen", "verify"])
def test_a_loop_closed_long_ago_does_not_reopen(desk: Desk, clock: ManualClock, how: str) -> None:
    """`reopen()` and `verify()` ignored the reopen window: a case reopened 200 days after
    it closed."""
    case_id = closed_case(desk)
    if how == "verify":
        desk.conversation.request_verification(case_id, by="amy")
    before = desk.get(case_id)
    clock.advance(days=200)

    def late_no() -> object:
        if how == "reopen":
            return desk.reopen(case_id, reason="Still broken")
        return desk.conversation.verify(case_id, resolved=False)

    with pytest.raises(StepRefusedError, match=r"closed 200 days ago.*reopen window of 14 days"):
        late_no()
    assert desk.get(case_id) == before


@pytest.mark.parametrize("how", ["reopen", "verify"])
def test_a_loop_closed_within_the_window_reopens(desk: Desk, clock: ManualClock, how: str) -> None:
    case_id = closed_case(desk)
    if how == "verify":
        desk.conversation.request_verification(case_id, by="amy")
    clock.advance(days=13)
    if how == "reopen":
        reopened = desk.reopen(case_id, reason="Still broken")
    else:
        reopened = desk.conversation.verify(case_id, resolved=False)
    assert (reopened.stage, reopened.reopen_count) == (Stage.ACKNOWLEDGED, 1)


def test_the_reopen_window_is_the_policys(clock: ManualClock) -> None:
    policy = Policy(reopen_within=timedelta(days=400))
    desk = Desk(
        InMemoryStore(), RecordingNotifier(), clock=clock, policy=policy, ids=SequentialIds()
    )
    case_id = closed_case(desk)
    clock.advance(days=200)
    assert desk.reopen(case_id, reason="Still broken").reopen_count == 1


QUARTERLY = Survey("quarterly", SurveyKind.NPS, "How likely are you to recommend us?")


def test_a_linked_customer_is_asked_once_whichever_handle(desk: Desk) -> None:
    """A linked customer (email + phone) was invited to the same survey twice in one day:
    cooldowns counted per handle."""
    desk.customers.link("ann@example.com", "+447700900001", customer="crm-ann", by="crm")
    first = desk.surveys.invite(QUARTERLY, customer="ann@example.com", channel=Channel.EMAIL)
    again = desk.surveys.invite(QUARTERLY, customer="+447700900001", channel=Channel.PHONE)
    assert first.allowed
    assert again.reason is Reason.COOLDOWN
    assert [i.id for i in desk.surveys.of_customer("crm-ann")] == [
        first.invitation.id,
        again.invitation.id,
    ]


def test_a_second_low_score_from_another_handle_joins_the_recovery_case(desk: Desk) -> None:
    """A second low score from the customer's other handle opened a second recovery case."""
    desk.customers.link("ann@example.com", "+447700900001", customer="crm-ann", by="crm")
    first = desk.surveys.record_answer(
        QUARTERLY, customer="ann@example.com", channel=Channel.EMAIL, answer=0
    )
    second = desk.surveys.record_answer(
        QUARTERLY, customer="+447700900001", channel=Channel.PHONE, answer=1
    )
    assert second.recovery_case_id == first.recovery_case_id
    recovery = desk.get(first.recovery_case_id or "")
    assert len(recovery.messages) == 2
    assert recovery.priority.rank == 2


def test_a_linked_customer_is_one_detractor_won_back_from_any_handle(
    desk: Desk, clock: ManualClock
) -> None:
    """Found by a newcomer's probe: a detractor who next answered from their linked phone
    did not count as recovered, and low scores from two handles made two detractors."""

    def answer(customer: str, score: int) -> None:
        channel = Channel.PHONE if customer.startswith("+") else Channel.EMAIL
        desk.surveys.record_answer(QUARTERLY, customer=customer, channel=channel, answer=score)

    desk.customers.link("ann@example.com", "+447700900001", customer="crm-ann", by="crm")
    desk.customers.link("bob@example.com", "+447700900002", customer="crm-bob", by="crm")
    answer("+447700900001", 2)
    answer("+447700900002", 1)
    clock.advance(days=5)
    answer("ann@example.com", 10)  # won back, from her other handle
    answer("bob@example.com", 3)  # still low: one detractor, not two

    period = (START - timedelta(days=1), clock.now() + timedelta(days=1))
    figures = desk.reports.recovery(*period).figures
    assert (figures.detractors, figures.recovered) == (2, 1)
    insights = desk.reports.insights(*period)  # the report's recovery section agrees
    assert (insights.recovery.detractors, insights.recovery.recovered) == (2, 1)


def test_nothing_is_marked_sent_that_was_not_handed_to_a_notifier(
    desk: Desk, store: InMemoryStore, notifier: RecordingNotifier
) -> None:
    """G5: an invitation answered before its email went out was marked SENT, though no
    notifier ever saw it."""
    case_id = closed_case(desk)
    desk.outbox.dispatch()
    invited = desk.surveys.invite(QUARTERLY, case_id=case_id)
    assert invited.token is not None
    desk.surveys.respond(invited.token, 9)  # answered from another device first
    report = desk.outbox.dispatch()
    (key,) = report.skipped
    assert key not in {n.key for n in notifier.sent}
    message = store.outbox_message(key)
    assert message.status is Delivery.DEAD
    assert message.last_error == "not sent: the survey invitation was answered before it went out"
    assert [m.key for m in desk.outbox.dead_letters()] == [key]


def test_one_delivery_from_eight_threads_joins_the_open_case_once(every_store: CaseStore) -> None:
    """The same external id sent from 8 threads, with a matter key, made one case with two
    copies of the message."""
    store = every_store
    desk = Desk(store, RecordingNotifier(), ids=SequentialIds())
    first = desk.listen(make_matter("Order 881 is late"))
    desk.acknowledge(first.id, by="amy")
    made = in_threads(8, lambda _: desk.listen(make_matter("Where is 881?", "webhook-9")).id)
    assert made == [first.id] * 8
    joined = desk.get(first.id)
    assert [m.text for m in joined.messages] == ["Order 881 is late", "Where is 881?"]
    assert [c.id for c in store.cases_of("mary@example.com")] == [first.id]


def make_matter(text: str, external_id: str | None = None) -> Feedback:
    return Feedback(
        customer="mary@example.com", channel=Channel.EMAIL, received_at=START, text=text,
        matter_key="881", external_id=external_id,
    )  # fmt: skip


@pytest.mark.parametrize("score", [2.0, True, "4", 7])
def test_a_score_error_names_the_survey_and_its_scale(
    desk: Desk, store: InMemoryStore, score: object
) -> None:
    """Score errors from the answer calls said only "an answer's score must be a whole
    number", not which survey and which scale, as docs/surveys.md promises."""
    shop = Survey("shop", SurveyKind.CSAT, "How satisfied were you?")
    with pytest.raises(ScoreError, match=r"survey 'shop': CSAT \(1-5\) scores are whole numbers"):
        desk.surveys.record_answer(
            shop,
            customer="ann@example.com",
            channel=Channel.EMAIL,
            answer=score,  # type: ignore[arg-type]
        )
    case_id = closed_case(desk)
    invited = desk.surveys.invite(shop, case_id=case_id)
    assert invited.token is not None
    with pytest.raises(ScoreError, match=r"survey 'shop': CSAT \(1-5\)"):
        desk.surveys.respond(invited.token, score)  # type: ignore[arg-type]
    assert desk.surveys.get(invited.invitation.id).response is None
    assert store.invitations_of("ann@example.com") == []


# -- found by a newcomer who read only the docs -------------------------------------------------


def test_an_answer_merged_in_from_a_duplicate_resumes_the_case(
    desk: Desk, clock: ManualClock
) -> None:
    """The customer's answer came in as a separate case; merging it in left the case
    waiting for her, and the sweep closed it for silence."""
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    desk.conversation.await_customer(case.id, by="amy", question="A photo of the damage?")
    clock.advance(hours=2)
    answer = desk.listen(make_feedback(text="Here is the photo"))
    merged = desk.conversation.merge(case.id, answer.id, by="amy", reason="her answer")
    assert (merged.pause, merged.queue) == (None, Queue.AWAITING_REPLY)
    assert merged.awaiting_reply_since == START + timedelta(hours=2)  # when her answer came
    assert merged.due_at == START + timedelta(days=1, hours=2)  # a reply within a business day
    clock.advance(days=40)
    assert desk.sweep().lapsed == ()


def test_a_late_answer_with_the_matter_key_joins_the_case_waiting_for_it(
    clock: ManualClock,
) -> None:
    """An answer more than 7 days later (the consolidation window) opened a new case, and
    the one waiting for it was closed for silence."""
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=clock, ids=SequentialIds())
    asked = desk.listen(make_matter("Order 881 is late"))
    desk.acknowledge(asked.id, by="amy")
    desk.conversation.await_customer(asked.id, by="amy", question="Which address?")
    clock.advance(days=8)
    answer = Feedback(
        customer="mary@example.com", channel=Channel.EMAIL, received_at=clock.now(),
        text="12 High Street", matter_key="881",
    )  # fmt: skip
    joined = desk.listen(answer)
    assert joined.id == asked.id
    assert (joined.pause, joined.queue) == (None, Queue.AWAITING_REPLY)


def test_closing_ends_a_pause_and_a_reopen_does_not_bring_it_back(
    desk: Desk, clock: ManualClock
) -> None:
    """A case closed while paused kept its pause; reopened, it was told it would close."""
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    desk.take_action(case.id, by="amy", summary="Refunded")
    desk.conversation.await_customer(case.id, by="amy", question="Did the refund arrive?")
    desk.thank(case.id, by="amy")
    closed = desk.explain(case.id, by="amy", what_failed="Courier", what_changes="New courier")
    assert (closed.pause, closed.awaiting_customer, closed.queue) == (None, False, None)
    clock.advance(days=3)
    reopened = desk.reopen(case.id, reason="Still broken")  # the customer says so
    assert (reopened.pause, reopened.queue) == (None, Queue.AWAITING_REPLY)
    clock.advance(days=30)
    assert desk.sweep().noticed == ()


def test_a_merge_takes_the_duplicates_open_promises(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier
) -> None:
    """A promise on a case later merged was orphaned: never escalated, never in the
    case it went into, and still keepable on the merged case."""
    main = desk.listen(make_feedback())
    dup = desk.listen(make_feedback(text="Same thing"))
    due = clock.now() + timedelta(days=1)
    desk.promises.make(dup.id, what="Call back", due_by=due, owner="amy", by="amy")
    merged = desk.conversation.merge(main.id, dup.id, by="amy", reason="same")
    (promise,) = merged.promises
    assert (promise.what, promise.due_by) == ("Call back", due)
    with pytest.raises(ValidationError, match="merged into case"):
        desk.promises.keep(dup.id, promise.id, by="amy")
    since = clock.now()
    clock.set(due + timedelta(minutes=1))
    assert desk.reports.promises(since, due + timedelta(days=1)).due == 1
    swept = desk.sweep()
    assert main.id in [case_id for case_id, _ in swept.escalated]
    assert desk.get(main.id).promises[0].escalated


def test_a_move_to_the_channel_the_case_is_on_changes_nothing(desk: Desk) -> None:
    """It raised a confusing "a change must move the case forward" error."""
    case = desk.listen(make_feedback())
    assert desk.conversation.move_channel(case.id, case.reply_channel, by="amy") == case
    assert desk.get(case.id) == case


def test_the_recovery_report_shows_a_contact_within_the_minute(desk: Desk) -> None:
    """A median time to contact of zero was printed as "n/a"."""
    answered = desk.surveys.record_answer(
        QUARTERLY, customer="ann@example.com", channel=Channel.EMAIL, answer=0
    )
    assert answered.recovery_case_id is not None
    desk.conversation.log_contact(answered.recovery_case_id, Channel.PHONE, "Called", by="amy")
    report = desk.reports.recovery(START - timedelta(days=1), START + timedelta(days=1))
    assert report.figures.time_to_contact_median == timedelta(0)
    assert "median time to contact 0:00:00" in str(report)


def test_words_from_a_customer_who_was_not_asked_say_where_they_go(desk: Desk) -> None:
    case = desk.listen(make_feedback())
    with pytest.raises(ValidationError, match=r"record what they wrote as a message instead"):
        desk.conversation.customer_replied(case.id, text="hello?")
