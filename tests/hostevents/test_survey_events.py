"""Survey events and the events only the sweep or the policy's timings give, on every store;
and a tour that gives every type there is."""

from __future__ import annotations

from datetime import timedelta

from closedloop import (
    BusinessCalendar,
    Channel,
    LateMode,
    Lateness,
    Policy,
    Silence,
    Survey,
    SurveyKind,
)
from closedloop.hostevents import TYPES
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, ManualClock
from tests.helpers import START, make_feedback
from tests.hostevents.support import Collected, close_loop, subscribed, valid

NPS = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us?")
LATE = Lateness(LateMode.NOTIFY_AND_ESCALATE, warn_before=timedelta(minutes=30))
QUICK = Silence(timedelta(hours=24), timedelta(hours=24), BusinessCalendar.always_open())


def test_invited_answered_and_a_recovery_case(every_store: CaseStore, clock: ManualClock) -> None:
    desk, got, _ = subscribed(every_store, clock, {"survey.*", "recovery.opened", "case.opened"})
    invited = desk.surveys.invite(NPS, customer="mary@example.com", channel=Channel.EMAIL)
    assert invited.token is not None
    clock.advance(hours=1)
    desk.surveys.respond(invited.token, 3, comment="Rude staff at Leeds")
    desk.outbox.dispatch()
    assert sorted(got.types()) == [
        "case.opened",
        "recovery.opened",
        "survey.answered",
        "survey.invited",
    ]
    invitation_id = invited.invitation.id
    survey = valid(got.of("survey.invited"))
    assert survey["case_id"] is None
    assert survey["id"] == f"default/{invitation_id}/1/survey.invited"
    assert survey["data"]["survey"] == "after-case"
    assert "customer" not in survey["data"]
    answered = valid(got.of("survey.answered"))
    recovery = valid(got.of("recovery.opened"))
    assert answered["occurred_at"] == (START + timedelta(hours=1)).isoformat()
    assert answered["data"] == {
        "invitation_id": invitation_id,
        "survey": "after-case",
        "survey_kind": "nps",
        "score": 3,
        "answer": "answered",
        "contact_me": False,
        "needs_recovery": True,
        "recovery_case_id": recovery["case_id"],
    }
    assert recovery["data"]["origin"] == {
        "kind": "recovery", "case_id": None, "invitation_id": invitation_id,
    }  # fmt: skip
    assert valid(got.of("case.opened"))["id"] == f"default/{recovery['case_id']}/1/case.opened"


def test_a_comment_is_personal(every_store: CaseStore, clock: ManualClock) -> None:
    desk, got, _ = subscribed(every_store, clock, {"survey.answered"}, personal_data=True)
    desk.surveys.record_answer(
        NPS, customer="mary@example.com", channel=Channel.WEB_FORM, answer=10, comment="Great"
    )
    desk.outbox.dispatch()
    data = valid(got.of("survey.answered"))["data"]
    assert (data["comment"], data["customer"], data["needs_recovery"]) == (
        "Great",
        "mary@example.com",
        False,
    )


def test_suppressed_withdrawn_and_expired(every_store: CaseStore, clock: ManualClock) -> None:
    desk, got, _ = subscribed(every_store, clock, {"survey.*"})
    case = desk.listen(make_feedback())
    desk.surveys.invite(NPS, case_id=case.id)  # the loop is open: suppressed
    close_loop(desk, case.id)
    withdrawn = desk.surveys.invite(NPS, case_id=case.id)
    desk.reopen(case.id, reason="Not fixed")  # withdraws the invitation
    lapsing = desk.surveys.invite(NPS, customer="john@example.com", channel=Channel.EMAIL)
    clock.advance(days=60)
    desk.sweep()
    desk.outbox.dispatch()
    assert valid(got.of("survey.suppressed"))["data"]["reason"] == "never_answered"
    gone = valid(got.of("survey.withdrawn"))
    assert gone["data"]["invitation_id"] == withdrawn.invitation.id
    assert gone["case_id"] == case.id
    assert valid(got.of("survey.expired"))["data"]["invitation_id"] == lapsing.invitation.id


def test_warned_at_amber_then_a_silent_customer_lapses(
    every_store: CaseStore, clock: ManualClock
) -> None:
    policy = Policy(warn_at_amber=True, silence=QUICK)
    desk, got, _ = subscribed(every_store, clock, {"case.*"}, policy=policy)
    case = desk.listen(make_feedback())
    desk.assign(case.id, owner="amy", by="lead")
    clock.advance(hours=3, seconds=1)
    desk.sweep()
    desk.acknowledge(case.id, by="amy")
    desk.conversation.await_customer(case.id, by="amy", question="Which one?")
    for _ in range(3):
        clock.advance(hours=25)
        desk.sweep()
        desk.outbox.dispatch()  # it closes only once the closing notice went
    warned = valid(got.of("case.warned"))["data"]
    assert warned["target"] == "acknowledge"
    assert valid(got.of("case.closing_notice_sent"))["data"]["closes_at"]
    assert valid(got.of("case.lapsed"))["data"]["stage"] == "closed"
    assert valid(got.of("case.closed"))["data"]["step"] == "case.lapsed"


def tour(desk_events: tuple[object, Collected, object], clock: ManualClock) -> None:
    """Everything a desk can be asked, so that every type of event happens."""
    from closedloop import Desk, WaitingOn

    desk, _, _ = desk_events
    assert isinstance(desk, Desk)
    talk = desk.conversation
    case = desk.listen(make_feedback())
    desk.assign(case.id, owner="amy", by="lead")
    clock.advance(hours=3, seconds=1)
    desk.sweep()  # warned
    clock.advance(days=1)
    desk.sweep()  # escalated
    desk.acknowledge(case.id, by="amy")
    talk.reply(case.id, "Which store?", by="amy")
    talk.note(case.id, "Called the manager", by="amy")
    talk.log_contact(case.id, Channel.PHONE, "Spoke to Mary", by="amy")
    talk.hold(case.id, WaitingOn.DATE, by="amy", reason="x", resume_by=clock.now() + timedelta(1))
    talk.resume(case.id, by="amy", reason="y")
    talk.move_channel(case.id, Channel.EMAIL, by="amy")
    desk.queues.tag(case.id, by="amy", add=["billing"])
    desk.queues.set_fields(case.id, {"plan": "pro"}, by="amy")
    talk.add_message(case.id, make_feedback(text="Also the café"))
    talk.split(case.id, [1], by="amy", reason="another matter")
    other = desk.listen(make_feedback(text="Same again"))
    talk.merge(case.id, other.id, by="amy", reason="same")
    desk.standards.escalate(case.id, to="ombudsman")
    promised = desk.promises.make(
        case.id, what="A call", due_by=clock.now() + timedelta(hours=1), owner="amy", by="amy"
    )
    kept = desk.promises.make(
        case.id, what="A refund", due_by=clock.now() + timedelta(days=9), owner="amy", by="amy"
    )
    desk.promises.keep(case.id, kept.promises[-1].id, by="amy")
    clock.advance(minutes=45)
    desk.sweep()  # its owner warned the first promise is due soon
    clock.advance(hours=1, minutes=15)
    desk.sweep()  # the first promise missed: escalated, and the customer told
    desk.decline(case.id, by="amy", reason="No")
    desk.thank(case.id, by="amy")
    desk.explain(case.id, by="amy", what_failed="a", what_changes="b", open_promises="tracked")
    talk.request_verification(case.id, by="amy")
    talk.verify(case.id, resolved=False)  # reopens
    desk.take_action(case.id, by="amy", summary="Again")
    silent = desk.listen(make_feedback(customer="ann@example.com"))
    desk.acknowledge(silent.id, by="amy")
    talk.await_customer(silent.id, by="amy", question="Which one?")
    talk.customer_replied(silent.id, text="That one")
    talk.await_customer(silent.id, by="amy", question="And when?")
    for _ in range(3):
        clock.advance(hours=25)
        desk.sweep()  # a closing notice, then (once it went) the case lapses
        desk.outbox.dispatch(limit=1000)
    desk.surveys.invite(NPS, case_id=case.id)  # suppressed: reopened
    first = desk.surveys.invite(NPS, customer="bob@example.com", channel=Channel.EMAIL)
    assert first.token is not None
    desk.surveys.respond(first.token, 2)  # a recovery case
    desk.surveys.record_answer(NPS, customer="bob@example.com", channel=Channel.EMAIL, answer=1)
    gone = desk.surveys.invite(NPS, customer="zed@example.com", channel=Channel.EMAIL)
    closed = desk.listen(make_feedback(customer="yan@example.com"))
    close_loop(desk, closed.id)
    desk.surveys.invite(NPS, case_id=closed.id)
    desk.reopen(closed.id, reason="no")  # withdrawn
    clock.advance(days=60)
    desk.sweep()  # expired
    assert gone.invitation.id
    del promised
    desk.outbox.dispatch(limit=1000)


def test_a_tour_of_the_desk_gives_every_type_and_each_fits_the_schema(clock: ManualClock) -> None:
    subscription = subscribed(
        InMemoryStore(), clock, policy=Policy(warn_at_amber=True, silence=QUICK, lateness=LATE)
    )
    tour(subscription, clock)
    got = subscription[1]
    for event in got.events:
        valid(event)
    assert set(got.types()) == set(TYPES)
    assert len({e.id for e in got.events}) == len(got.events)
