"""The conversation that keeps the guarantee: replies, notes, logged contacts, pauses, the
reply owed to a customer who wrote, and the customer told before a silent case closes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from closedloop import (
    Channel,
    Desk,
    Feedback,
    FeedbackKind,
    Policy,
    Queue,
    Stage,
    Target,
    ValidationError,
    WaitingOn,
)
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import make_feedback

# START is Monday 23 November 2026, 09:00 UTC; the default standards run 09:00-17:00 weekdays.


def write(desk: Desk, case_id: str, clock: ManualClock, text: str = "Any news?") -> None:
    customer = desk.get(case_id).customer
    desk.conversation.add_message(
        case_id,
        Feedback(customer=customer, channel=Channel.EMAIL, received_at=clock.now(), text=text),
    )


@pytest.fixture
def acked(desk: Desk) -> str:
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    return case.id


def test_a_reply_goes_to_the_customer_in_staff_words(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier, acked: str
) -> None:
    replied = desk.conversation.reply(acked, "Hello Mary, your refund is on its way.", by="amy")
    assert replied.contacted_at == clock.now()
    desk.outbox.dispatch()
    reply = notifier.sent[-1]
    assert (reply.purpose, reply.to, reply.channel) == (
        "reply",
        "mary@example.com",
        Channel.WEB_FORM,
    )
    assert reply.body.startswith("Hello Mary, your refund is on its way.")
    assert acked in reply.body  # the reference
    with pytest.raises(ValidationError, match="text must say something"):
        desk.conversation.reply(acked, "  ", by="amy")


def test_a_note_stays_inside(desk: Desk, notifier: RecordingNotifier, acked: str) -> None:
    before = desk.get(acked)
    noted = desk.conversation.note(acked, "Customer is a journalist; be careful", by="amy")
    assert noted.version == before.version + 1
    assert noted.events[-1].text == "Customer is a journalist; be careful"  # type: ignore[attr-defined]
    assert (noted.queue, noted.due_at, noted.contacted_at) == (before.queue, before.due_at, None)
    desk.outbox.dispatch()
    assert [n.purpose for n in notifier.sent] == ["acknowledgement"]


def test_a_customer_who_writes_after_the_acknowledgement_is_owed_a_reply(
    desk: Desk, clock: ManualClock, acked: str
) -> None:
    """Seam: "any news?" after the acknowledgement was in no queue and had no deadline."""
    clock.advance(hours=2)
    write(desk, acked, clock)
    case = desk.get(acked)
    assert case.queue is Queue.AWAITING_REPLY
    assert case.awaiting_reply_since == clock.now()
    reply = next(d for d in desk.standards.deadlines(acked) if d.target is Target.REPLY)
    assert reply.due_at == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # one business day
    assert case.due_at == reply.due_at
    assert [c.id for c in desk.queue(Queue.AWAITING_REPLY)] == [acked]
    clock.set(datetime(2026, 11, 24, 11, 1, tzinfo=UTC))
    assert desk.sweep().escalated == ((acked, 1),)
    answered = desk.conversation.reply(acked, "Sorry, it ships tomorrow.", by="amy")
    assert (answered.queue, answered.awaiting_reply_since) == (Queue.IN_PROGRESS, None)
    assert Target.REPLY not in {d.target for d in desk.standards.deadlines(acked)}


def test_a_logged_call_answers_the_customer_too(desk: Desk, clock: ManualClock, acked: str) -> None:
    write(desk, acked, clock)
    called = desk.conversation.log_contact(acked, Channel.PHONE, "Explained the delay", by="amy")
    assert (called.queue, called.contacted_at) == (Queue.IN_PROGRESS, clock.now())


def test_asking_the_customer_sends_the_question_and_pauses(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier, acked: str
) -> None:
    with pytest.raises(ValidationError, match="question must say"):
        desk.conversation.await_customer(acked, by="amy", question="")
    asked = desk.conversation.await_customer(acked, by="amy", question="Which order number?")
    assert asked.queue is Queue.AWAITING_CUSTOMER
    assert asked.pause is not None
    assert (asked.pause.waiting_on, asked.pause.since) == (WaitingOn.CUSTOMER, clock.now())
    assert asked.pause.resume_by == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # 10 business days
    desk.outbox.dispatch()
    assert notifier.sent[-1].purpose == "question"
    assert "Which order number?" in notifier.sent[-1].body


@pytest.mark.parametrize("how", ["add_message", "customer_replied"])
def test_any_word_from_the_customer_resumes_a_pause(
    desk: Desk, clock: ManualClock, acked: str, how: str
) -> None:
    """Seam: a case waiting for the customer never resumed when they wrote."""
    desk.conversation.await_customer(acked, by="amy", question="Which order number?")
    clock.advance(hours=3)
    if how == "add_message":
        write(desk, acked, clock, "It is 881")
    else:
        desk.conversation.customer_replied(acked, text="It is 881")
    case = desk.get(acked)
    assert not case.awaiting_customer
    assert case.queue is Queue.AWAITING_REPLY
    assert case.due_at is not None
    assert case.due_at <= clock.now() + timedelta(days=2)


def test_feedback_that_joins_a_paused_case_resumes_it(clock: ManualClock) -> None:
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=clock, ids=SequentialIds())
    first = desk.listen(
        Feedback(customer="ann@example.com", channel=Channel.WEB_FORM, received_at=clock.now(),
                 text="Order 881 is late", matter_key="881")
    )  # fmt: skip
    desk.acknowledge(first.id, by="amy")
    desk.conversation.await_customer(first.id, by="amy", question="Which address?")
    clock.advance(hours=1)
    joined = desk.listen(
        Feedback(customer="ann@example.com", channel=Channel.SOCIAL_MEDIA, received_at=clock.now(),
                 text="12 High Street", matter_key="881")
    )  # fmt: skip
    assert joined.id == first.id
    assert (joined.queue, joined.pause) == (Queue.AWAITING_REPLY, None)


def test_a_silent_customer_is_told_before_the_case_closes(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier, acked: str
) -> None:
    asked = desk.conversation.await_customer(acked, by="amy", question="Which order number?")
    assert asked.pause is not None
    assert asked.pause.resume_by is not None
    clock.set(asked.pause.resume_by)
    assert desk.sweep().noticed == ()  # not before the time is up
    clock.advance(minutes=1)
    report = desk.sweep()
    assert report.noticed == (acked,)
    told = desk.get(acked)
    assert told.pause is not None
    assert told.pause.notice_at == clock.now()
    # 5 business days from Friday 17:01: the next Friday at closing time.
    assert told.due_at == told.pause.resume_by == datetime(2026, 12, 11, 17, 0, tzinfo=UTC)
    desk.outbox.dispatch()
    notice = notifier.sent[-1]
    assert notice.purpose == "closing_notice"
    assert "Which order number?" in notice.body
    assert "Friday 11 December 2026, 17:00 UTC" in notice.body
    clock.set(datetime(2026, 12, 11, 17, 1, tzinfo=UTC))
    assert desk.sweep().lapsed == (acked,)
    closed = desk.get(acked)
    assert (closed.stage, closed.queue, closed.due_at) == (Stage.CLOSED, None, None)
    assert "no answer from the customer since 2026-11-23 09:00" in closed.events[-1].reason  # type: ignore[attr-defined]
    assert desk.sweep().lapsed == ()
    write(desk, acked, clock, "Sorry, I was away: it is 881")  # within the reopen window
    back = desk.get(acked)
    assert (back.stage, back.queue, back.reopen_count) == (
        Stage.ACKNOWLEDGED,
        Queue.AWAITING_REPLY,
        1,
    )


def test_the_silence_is_the_policys(clock: ManualClock) -> None:
    from closedloop import BusinessCalendar, Silence

    quick = Silence(timedelta(hours=24), timedelta(hours=24), BusinessCalendar.always_open())
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=clock, policy=Policy(silence=quick))
    case = desk.listen(make_feedback())
    asked = desk.conversation.await_customer(case.id, by="amy", question="Which one?")
    assert asked.due_at == clock.now() + timedelta(days=1)
    later = clock.now() + timedelta(days=3)
    chosen = desk.conversation.resume(case.id, by="amy", reason="found it")
    assert chosen.pause is None
    again = desk.conversation.await_customer(case.id, by="amy", question="And?", resume_by=later)
    assert again.due_at == later


def test_a_hold_on_a_third_party_resumes_by_itself(
    desk: Desk, clock: ManualClock, acked: str
) -> None:
    until = clock.now() + timedelta(days=2)
    held = desk.conversation.hold(
        acked, WaitingOn.THIRD_PARTY, by="amy", reason="Waiting for the courier's report",
        resume_by=until,
    )  # fmt: skip
    assert (held.queue, held.due_at) == (Queue.ON_HOLD, until)
    assert all(d.due_at is None for d in desk.standards.deadlines(acked))
    clock.set(until + timedelta(minutes=1))
    assert desk.sweep().resumed == (acked,)
    resumed = desk.get(acked)
    assert (resumed.queue, resumed.pause) == (Queue.IN_PROGRESS, None)
    assert resumed.due_at is not None
    assert resumed.due_at > until
    with pytest.raises(ValidationError, match="use await_customer"):
        desk.conversation.hold(acked, WaitingOn.CUSTOMER, by="amy", reason="x", resume_by=until)


@pytest.mark.parametrize("late", [timedelta(minutes=1), timedelta(days=3)])
def test_a_hold_swept_late_ends_at_its_resume_by(
    desk: Desk, clock: ManualClock, acked: str, late: timedelta
) -> None:
    """However late the sweep comes, the pause is what was asked for: the deadlines move by
    it alone, and a step that is late by then is escalated at once (found by a newcomer's
    probe: a sweep three days late lengthened the hold by three days)."""
    clock.advance(hours=1)
    until = clock.now() + timedelta(days=1)
    desk.conversation.hold(
        acked, WaitingOn.THIRD_PARTY, by="amy", reason="Supplier", resume_by=until
    )  # fmt: skip
    clock.set(until + late)

    report = desk.sweep()

    resumed = desk.get(acked)
    assert [e.at for e in resumed.events if type(e).__name__ == "Resumed"] == [until]
    due = {d.target: d.due_at for d in desk.standards.deadlines(acked)}
    # Three business days from Monday 09:00 (Wednesday 17:00), plus the hold's one.
    assert due[Target.TAKE_ACTION] == datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    assert (acked in dict(report.escalated)) is (clock.now() > due[Target.TAKE_ACTION])


def test_a_hold_does_not_excuse_silence(desk: Desk, clock: ManualClock, acked: str) -> None:
    write(desk, acked, clock)
    held = desk.conversation.hold(
        acked, WaitingOn.DATE, by="amy", reason="Billing runs on the 1st",
        resume_by=clock.now() + timedelta(days=8),
    )  # fmt: skip
    assert held.queue is Queue.AWAITING_REPLY  # the customer is still owed a reply
    assert held.due_at == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # a business day
    with pytest.raises(ValidationError, match="already waiting for the date"):
        desk.conversation.hold(
            acked, WaitingOn.THIRD_PARTY, by="amy", reason="x", resume_by=clock.now() + timedelta(1)
        )


@pytest.mark.parametrize(("late", "promised"), [
    (timedelta(days=2, hours=9), "by Friday 27 November 2026, 17:00 UTC"),  # close the loop
    (timedelta(days=8), "soon"),  # every deadline passed: no date to give
])  # fmt: skip
def test_a_late_acknowledgement_never_promises_a_date_that_has_passed(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier, late: timedelta, promised: str
) -> None:
    """Found by a newcomer's probe: acknowledged a week late, the customer was told they
    would hear from us by a date six days gone."""
    case = desk.listen(make_feedback())
    clock.advance(late)

    acked = desk.acknowledge(case.id, by="amy")

    assert acked.next_contact_by is None or acked.next_contact_by > clock.now()
    desk.outbox.dispatch()
    (told,) = [n.body for n in notifier.sent if n.purpose == "acknowledgement"]
    assert f"You will hear from us again {promised}.\n" in told


def test_the_acknowledgements_promise_is_tracked(desk: Desk, clock: ManualClock) -> None:
    case = desk.listen(make_feedback(kind=FeedbackKind.QUESTION))
    acked = desk.acknowledge(case.id, by="amy")
    promised = acked.contact_promise
    assert promised is not None
    assert promised.due_by == acked.next_contact_by
    assert (promised.owner, promised.kept_at) == ("amy", None)
    clock.advance(hours=2)
    answered = desk.take_action(case.id, by="amy", summary="Yes, we fit kitchens in York")
    assert answered.contact_promise is not None
    assert answered.contact_promise.kept_on_time
    late = desk.listen(make_feedback(customer="bob@example.com"))
    desk.acknowledge(late.id, by="amy")
    clock.advance(days=10)
    thanked = desk.take_action(late.id, by="amy", summary="Fixed")
    assert thanked.contact_promise is not None
    assert thanked.contact_promise.is_open
    thanked = desk.thank(late.id, by="amy")
    assert thanked.contact_promise is not None
    assert thanked.contact_promise.kept_at == clock.now()
    assert not thanked.contact_promise.kept_on_time


def test_every_active_case_is_in_exactly_one_queue(
    desk: Desk, clock: ManualClock, acked: str
) -> None:
    fresh = desk.listen(make_feedback(customer="bob@example.com")).id
    writing = desk.listen(make_feedback(customer="cy@example.com")).id
    desk.acknowledge(writing, by="amy")
    write(desk, writing, clock)
    asked = desk.listen(make_feedback(customer="di@example.com")).id
    desk.acknowledge(asked, by="amy")
    desk.conversation.await_customer(asked, by="amy", question="Which store?")
    held = desk.listen(make_feedback(customer="ed@example.com")).id
    desk.acknowledge(held, by="amy")
    desk.conversation.hold(held, WaitingOn.THIRD_PARTY, by="amy", reason="Courier",
                           resume_by=clock.now() + timedelta(days=1))  # fmt: skip
    expected = {
        Queue.UNANSWERED: [fresh],
        Queue.AWAITING_REPLY: [writing],
        Queue.AWAITING_CUSTOMER: [asked],
        Queue.ON_HOLD: [held],
        Queue.IN_PROGRESS: [acked],
    }
    assert {q: [c.id for c in desk.queue(q)] for q in Queue} == expected
    merged = desk.conversation.merge(acked, fresh, by="amy", reason="the same matter")
    assert desk.get(fresh).queue is None
    assert fresh not in [c.id for q in Queue for c in desk.queue(q)]
    with pytest.raises(ValidationError, match=r"was merged into case .*: reply on that one"):
        desk.conversation.reply(fresh, "hello", by="amy")
    assert merged.queue is Queue.AWAITING_REPLY  # nobody had answered the duplicate's customer
