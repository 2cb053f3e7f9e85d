"""G2's "never silently": a case closes for the customer's silence only once its closing
notice was handed to the notifier; a notice still retrying holds it open, one that cannot go
hands it back to staff; and what a pause sent the customer is not sent once it is over."""

from __future__ import annotations

import itertools
from datetime import timedelta

from closedloop import (
    Channel,
    Delivery,
    Desk,
    Feedback,
    Notification,
    Policy,
    Queue,
    RetryPolicy,
    Stage,
)
from closedloop.events import Rescheduled, Resumed
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier


class Mail:
    """A notifier that fails while ``down``."""

    def __init__(self) -> None:
        self.down = True
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        if self.down:
            raise RuntimeError("smtp down")
        self.sent.append(notification)


def asked(desk: Desk, clock: ManualClock, customer: str = "mary@example.com") -> str:
    channel = Channel.PHONE if customer.startswith("+") else Channel.EMAIL
    case = desk.listen(Feedback(customer, channel, clock.now(), "Wrong size"))
    desk.acknowledge(case.id, by="amy")
    desk.conversation.await_customer(case.id, by="amy", question="Which size do you need?")
    return case.id


def test_a_customer_never_told_is_not_closed_for_silence(
    every_store: CaseStore, clock: ManualClock
) -> None:
    mail = Mail()
    mail.down = False  # the question goes; the closing notice, later, never does
    desk = Desk(every_store, mail, clock=clock, policy=Policy(retry=RetryPolicy(max_attempts=3)))
    case_id = asked(desk, clock)
    desk.outbox.dispatch()
    mail.down = True
    for _ in range(40):
        clock.advance(hours=12)
        assert desk.sweep().lapsed == ()
        desk.outbox.dispatch()
    case = desk.get(case_id)
    assert case.is_active
    assert case.pause is None
    assert case.queue is Queue.IN_PROGRESS
    handed_back = [e for e in case.events if isinstance(e, Resumed)]
    assert len(handed_back) == 1
    assert "could not be told the case would close" in handed_back[0].reason
    dead = {m.notification.purpose: m.key for m in desk.outbox.dead_letters()}
    assert "closing_notice" in dead
    assert "question" not in dead
    # The notifier fixed and the dead letter requeued: the pause is over, so the closing
    # notice does not go out (a dead letter saying why).
    mail.down = False
    desk.outbox.requeue(dead["closing_notice"])
    report = desk.outbox.dispatch()
    assert dead["closing_notice"] in report.skipped
    assert "closing_notice" not in {n.purpose for n in mail.sent}
    notice = every_store.outbox_message(dead["closing_notice"])
    assert notice.status is Delivery.DEAD
    assert notice.last_error is not None
    assert notice.last_error.startswith("not sent: ")


def test_a_question_given_up_on_is_not_sent_once_its_pause_is_over(
    every_store: CaseStore, clock: ManualClock
) -> None:
    mail = Mail()
    desk = Desk(every_store, mail, clock=clock, policy=Policy(retry=RetryPolicy(max_attempts=2)))
    case_id = asked(desk, clock)
    for _ in range(4):
        desk.outbox.dispatch()
        clock.advance(hours=1)
    desk.conversation.resume(case_id, by="amy", reason="found the size in the order")
    mail.down = False
    dead = {m.notification.purpose: m.key for m in desk.outbox.dead_letters()}
    question = dead["question"]
    desk.outbox.requeue(question)
    assert question in desk.outbox.dispatch().skipped
    assert "question" not in {n.purpose for n in mail.sent}


def test_a_closing_notice_still_retrying_holds_the_case_open(
    every_store: CaseStore, clock: ManualClock
) -> None:
    mail = Mail()
    desk = Desk(every_store, mail, clock=clock)
    case_id = asked(desk, clock)
    mail.down = False
    desk.outbox.dispatch()  # the question went
    mail.down = True
    paused = desk.get(case_id).pause
    assert paused is not None
    assert paused.resume_by is not None
    clock.set(paused.resume_by + timedelta(minutes=1))
    assert desk.sweep().noticed == (case_id,)
    assert desk.outbox.dispatch().retrying != ()  # the notice failed once: retrying
    told = desk.get(case_id).pause
    assert told is not None
    assert told.resume_by is not None
    clock.set(told.resume_by + timedelta(minutes=1))
    assert desk.sweep().lapsed == ()
    waiting = desk.get(case_id)
    assert (waiting.stage, waiting.queue) == (Stage.ACKNOWLEDGED, Queue.AWAITING_CUSTOMER)
    assert waiting.due_at is not None
    assert waiting.due_at >= clock.now() + timedelta(hours=1)
    assert desk.standards.due() == []  # not due again at every sweep
    mail.down = False
    clock.advance(minutes=30)
    desk.outbox.dispatch()
    assert [n.purpose for n in mail.sent] == ["acknowledgement", "question", "closing_notice"]
    told_at = clock.now()
    # Told late: they get the whole time from when they were told, not what was left of it
    # (a review found it closed within the day).
    clock.set(waiting.due_at + timedelta(minutes=1))
    assert desk.sweep().lapsed == ()
    closes = desk.policy.silence.closes(told_at)
    assert desk.get(case_id).due_at == closes
    clock.set(closes + timedelta(minutes=1))
    assert desk.sweep().lapsed == (case_id,)
    assert desk.get(case_id).stage is Stage.CLOSED


def test_a_customer_with_nowhere_to_read_a_closing_notice_is_handed_back(
    every_store: CaseStore, clock: ManualClock
) -> None:
    notifier = RecordingNotifier()
    desk = Desk(every_store, notifier, clock=clock)
    case_id = asked(desk, clock, customer="+447700900001")  # a phone caller, no address
    paused = desk.get(case_id).pause
    assert paused is not None
    assert paused.resume_by is not None
    clock.set(paused.resume_by + timedelta(minutes=1))
    report = desk.sweep()
    assert (report.noticed, report.resumed) == ((), (case_id,))
    case = desk.get(case_id)
    assert case.pause is None
    assert case.queue is Queue.IN_PROGRESS
    assert "they have no written contact" in case.events[-1].reason  # type: ignore[attr-defined]
    clock.advance(days=30)
    desk.sweep()
    assert desk.get(case_id).stage is not Stage.CLOSED


def test_a_question_the_customer_answered_before_it_went_is_not_sent(
    every_store: CaseStore, clock: ManualClock
) -> None:
    notifier = RecordingNotifier()
    desk = Desk(every_store, notifier, clock=clock)
    case_id = asked(desk, clock)
    desk.conversation.customer_replied(case_id, text="M, and I called you")
    report = desk.outbox.dispatch()
    assert [n.purpose for n in notifier.sent] == ["acknowledgement"]
    (skipped,) = report.skipped
    withheld = every_store.outbox_message(skipped)
    assert (withheld.notification.purpose, withheld.status) == ("question", Delivery.DEAD)
    assert withheld.last_error == "not sent: the pause its question was for ended first"


def test_a_notice_that_never_goes_is_looked_at_less_and_less(
    every_store: CaseStore, clock: ManualClock
) -> None:
    """Nobody dispatches: the case stays open, and the sweep looks again after as long as the
    notice is overdue (an hour at first, a day at most), not at every sweep."""
    desk = Desk(every_store, RecordingNotifier(), clock=clock)
    case_id = asked(desk, clock)
    desk.outbox.dispatch()  # the question went; the closing notice never will
    paused = desk.get(case_id).pause
    assert paused is not None
    assert paused.resume_by is not None
    clock.set(paused.resume_by + timedelta(minutes=1))
    assert desk.sweep().noticed == (case_id,)
    for _ in range(10 * 8):  # ten days, a sweep every three hours
        clock.advance(hours=3)
        assert desk.sweep().lapsed == ()
    case = desk.get(case_id)
    assert case.queue is Queue.AWAITING_CUSTOMER
    looked = [e.at for e in case.events if isinstance(e, Rescheduled)]
    gaps = [b - a for a, b in itertools.pairwise(looked)]
    assert gaps == sorted(gaps)
    assert max(gaps) <= timedelta(days=1, hours=3)
    assert len(looked) <= 16


def test_a_customer_whose_question_never_went_is_handed_back_not_told_of_closing(
    every_store: CaseStore, clock: ManualClock
) -> None:
    mail = Mail()  # down while the question is tried, up again long before the notice
    desk = Desk(every_store, mail, clock=clock, policy=Policy(retry=RetryPolicy(max_attempts=2)))
    case_id = asked(desk, clock)
    for _ in range(4):
        desk.outbox.dispatch()
        clock.advance(hours=1)
    assert "question" in {m.notification.purpose for m in desk.outbox.dead_letters()}
    mail.down = False
    for _ in range(40):
        clock.advance(hours=12)
        assert desk.sweep().lapsed == ()
        desk.outbox.dispatch()
    case = desk.get(case_id)
    assert (case.is_active, case.pause) == (True, None)
    handed_back = [e for e in case.events if isinstance(e, Resumed)]
    assert len(handed_back) == 1
    assert "could not be told the case would close (the question was not delivered)" in (
        handed_back[0].reason
    )
    assert "closing_notice" not in {n.purpose for n in mail.sent}
