"""Surveys through the Desk, on the in-memory and SQLite stores: invitations, answers,
recovery cases, and scenarios 1, 2 and 4 of PRODUCT.md."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from closedloop import (
    AlreadyAnsweredError,
    Answer,
    Channel,
    Contact,
    Desk,
    FeedbackKind,
    InvalidTokenError,
    Invitation,
    InvitationExpiredError,
    InvitationStatus,
    InvitationWithdrawnError,
    OriginKind,
    Policy,
    Priority,
    Reason,
    ScoreError,
    SQLiteStore,
    Stage,
    Survey,
    SurveyKind,
    ValidationError,
)
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, Burst, make_feedback

NPS = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us?")
LOG_OFF = Survey("log-off", SurveyKind.NPS, "How likely are you to recommend our bank?")
CSAT = Survey("csat", SurveyKind.CSAT, "How satisfied are you?")
POLICY = Policy(survey_url="https://example.com/s/{token}")


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    if request.param == "memory":
        yield InMemoryStore()
        return
    with SQLiteStore(tmp_path / "closedloop.db") as sqlite:
        yield sqlite


@pytest.fixture
def desk(store: CaseStore, notifier: RecordingNotifier, clock: ManualClock) -> Desk:
    return Desk(store, notifier, clock=clock, policy=POLICY, ids=SequentialIds())


def closed_case(desk: Desk, clock: ManualClock, customer: str = "mary@example.com") -> str:
    case = desk.listen(make_feedback(customer=customer))
    desk.acknowledge(case.id, by="amy")
    clock.advance(hours=1)
    desk.take_action(case.id, by="amy", summary="Refunded")
    desk.thank(case.id, by="amy")
    desk.explain(case.id, by="amy", what_failed="Training", what_changes="Retrained")
    return case.id


def token_of(invited: object) -> str:
    token = getattr(invited, "token", None)
    assert isinstance(token, str)
    return token


# -- invitations ---------------------------------------------------------------------------


def test_an_allowed_invitation_goes_out_through_the_outbox_with_its_link(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier
) -> None:
    case_id = closed_case(desk, clock)
    invited = desk.surveys.invite(NPS, case_id=case_id)
    assert invited.allowed
    assert invited.reason is None
    invitation = invited.invitation
    assert invitation.status is InvitationStatus.QUEUED
    assert invitation.customer == "mary@example.com"
    assert invitation.channel == Channel.WEB_FORM
    assert invitation.expires_at == clock.now() + timedelta(days=7)
    assert token_of(invited) not in str(desk.surveys.get(invitation.id))  # only a digest is kept

    report = desk.outbox.dispatch()
    survey_mail = notifier.sent[-1]
    assert survey_mail.key in report.sent
    assert survey_mail.purpose == "survey_invitation"
    assert survey_mail.invitation_id == invitation.id
    assert f"https://example.com/s/{invited.token}" in survey_mail.body
    assert desk.surveys.get(invitation.id).status is InvitationStatus.SENT


def test_a_suppressed_invitation_is_recorded_with_its_reason_and_sends_nothing(
    desk: Desk, notifier: RecordingNotifier
) -> None:
    case = desk.listen(make_feedback())
    invited = desk.surveys.invite(NPS, case_id=case.id)
    assert not invited.allowed
    assert invited.token is None
    assert invited.reason is Reason.NEVER_ANSWERED
    assert [i.status for i in desk.surveys.of_customer("mary@example.com")] == [
        InvitationStatus.SUPPRESSED
    ]
    desk.outbox.dispatch()
    assert notifier.sent == []


def test_the_customers_wishes_and_the_cooldown_are_respected(
    desk: Desk, clock: ManualClock
) -> None:
    case_id = closed_case(desk, clock)
    opted_out = Contact(opted_out=frozenset({"web_form"}))
    assert desk.surveys.invite(NPS, case_id=case_id, contact=opted_out).reason is Reason.OPTED_OUT
    assert (
        desk.surveys.invite(NPS, case_id=case_id, contact=Contact(staff=True)).reason
        is Reason.STAFF
    )
    assert desk.surveys.invite(NPS, case_id=case_id).allowed
    # The invitation just made starts the cooldown; the suppressed ones above did not.
    assert desk.surveys.invite(CSAT, case_id=case_id).reason is Reason.COOLDOWN
    clock.advance(days=31)
    assert desk.surveys.invite(CSAT, case_id=case_id).allowed
    assert desk.surveys.invite(NPS, case_id=case_id).reason is Reason.COOLDOWN


def test_a_relationship_survey_needs_no_case(desk: Desk) -> None:
    invited = desk.surveys.invite(LOG_OFF, customer="ann@example.com", channel=Channel.EMAIL)
    assert invited.allowed
    assert invited.invitation.case_id is None
    with pytest.raises(ValidationError, match="customer"):
        desk.surveys.invite(LOG_OFF, channel=Channel.EMAIL)
    with pytest.raises(ValidationError, match="channel"):
        desk.surveys.invite(LOG_OFF, customer="ann@example.com")


def test_a_reminder_goes_out_once_with_a_link_of_its_own_then_the_invitation_expires(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier
) -> None:
    invited = desk.surveys.invite(LOG_OFF, customer="ann@example.com", channel=Channel.EMAIL)
    desk.outbox.dispatch()
    clock.advance(days=3, seconds=1)
    report = desk.sweep()
    assert report.reminded == (invited.invitation.id,)
    desk.outbox.dispatch()
    reminder = notifier.sent[-1]
    assert reminder.purpose == "survey_reminder"
    assert token_of(invited) not in reminder.body
    assert desk.sweep().reminded == ()  # once
    clock.advance(days=4)
    assert desk.sweep().expired == (invited.invitation.id,)
    assert desk.surveys.get(invited.invitation.id).status is InvitationStatus.EXPIRED


def test_both_the_first_link_and_the_reminders_link_work(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier
) -> None:
    invited = desk.surveys.invite(LOG_OFF, customer="ann@example.com", channel=Channel.EMAIL)
    clock.advance(days=3, seconds=1)
    desk.sweep()
    desk.outbox.dispatch()
    reminder_link = notifier.sent[-1].body.split("https://example.com/s/")[1].split()[0]
    assert desk.surveys.respond(reminder_link, 9).status is InvitationStatus.ANSWERED
    with pytest.raises(AlreadyAnsweredError):
        desk.surveys.respond(token_of(invited), 9)


# -- answers ---------------------------------------------------------------------------------


def test_a_good_score_is_recorded_once_and_opens_nothing(desk: Desk, clock: ManualClock) -> None:
    case_id = closed_case(desk, clock)
    invited = desk.surveys.invite(NPS, case_id=case_id)
    answered = desk.surveys.respond(token_of(invited), 10, comment="Great")
    assert answered.status is InvitationStatus.ANSWERED
    assert answered.response is not None
    assert (answered.response.score, answered.response.comment) == (10, "Great")
    assert answered.recovery_case_id is None
    assert [c.id for c in desk.cases_of("mary@example.com")] == [case_id]
    with pytest.raises(AlreadyAnsweredError, match="once"):
        desk.surveys.respond(token_of(invited), 0)
    assert desk.surveys.get(answered.id) == answered


@pytest.mark.parametrize(
    "token",
    ["", "no-dot", ".secret", "case-2.", "case-2.wrong-secret", "nope.secret", 42],
)
def test_a_bad_token_is_refused_and_records_nothing(
    desk: Desk, clock: ManualClock, token: object
) -> None:
    case_id = closed_case(desk, clock)
    invited = desk.surveys.invite(NPS, case_id=case_id)
    with pytest.raises(InvalidTokenError, match="not valid"):
        desk.surveys.respond(token, 3)  # type: ignore[arg-type]
    assert desk.surveys.get(invited.invitation.id) == invited.invitation


@pytest.mark.parametrize("score", [11, -1, True, 7.0, float("nan"), "7", None])
def test_a_bad_score_is_refused_and_the_token_still_works(
    desk: Desk, clock: ManualClock, score: object
) -> None:
    case_id = closed_case(desk, clock)
    invited = desk.surveys.invite(NPS, case_id=case_id)
    with pytest.raises(ScoreError):
        desk.surveys.respond(token_of(invited), score)  # type: ignore[arg-type]
    assert desk.surveys.get(invited.invitation.id) == invited.invitation
    assert desk.surveys.respond(token_of(invited), 8).response is not None


def test_a_skipped_answer_closes_the_invitation_without_a_score(
    desk: Desk, clock: ManualClock
) -> None:
    invited = desk.surveys.invite(CSAT, customer="ann@example.com", channel=Channel.EMAIL)
    answered = desk.surveys.respond(token_of(invited), Answer.skipped())
    assert answered.response is not None
    assert answered.response.score is None
    assert answered.recovery_case_id is None


def test_an_expired_invitation_cannot_be_answered(desk: Desk, clock: ManualClock) -> None:
    invited = desk.surveys.invite(LOG_OFF, customer="ann@example.com", channel=Channel.EMAIL)
    clock.advance(days=7)
    with pytest.raises(InvitationExpiredError, match="expired"):
        desk.surveys.respond(token_of(invited), 0)
    assert desk.surveys.get(invited.invitation.id).response is None
    assert desk.cases_of("ann@example.com") == []


def test_reopening_the_case_withdraws_its_invitation(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier
) -> None:
    case_id = closed_case(desk, clock)
    invited = desk.surveys.invite(NPS, case_id=case_id)
    desk.reopen(case_id, reason="Still broken")
    withdrawn = desk.surveys.get(invited.invitation.id)
    assert withdrawn.status is InvitationStatus.WITHDRAWN
    with pytest.raises(InvitationWithdrawnError, match="reopened"):
        desk.surveys.respond(token_of(invited), 9)
    report = desk.outbox.dispatch()  # the queued invitation is not delivered any more
    assert report.skipped == (f"{withdrawn.id}/1/survey_invitation",)
    assert all(m.purpose != "survey_invitation" for m in notifier.sent)
    assert desk.surveys.invite(NPS, case_id=case_id).reason is Reason.LOOP_OPEN


def test_a_closed_case_merged_into_an_open_one_is_not_surveyed(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier
) -> None:
    """Found by a newcomer's probe: the matter went on in the open case, yet an invitation
    queued before the merge went out, and a new one was allowed."""
    case_id = closed_case(desk, clock)
    invited = desk.surveys.invite(NPS, case_id=case_id)
    again = desk.listen(make_feedback(text="The new lamp is broken too"))

    desk.conversation.merge(again.id, case_id, by="amy", reason="the same lamp")

    withdrawn = desk.surveys.get(invited.invitation.id)
    assert withdrawn.status is InvitationStatus.WITHDRAWN
    with pytest.raises(InvitationWithdrawnError, match="merged"):
        desk.surveys.respond(token_of(invited), 9)
    desk.outbox.dispatch()
    assert all(m.purpose != "survey_invitation" for m in notifier.sent)
    assert desk.surveys.invite(NPS, case_id=case_id).reason is Reason.NOT_A_REAL_CASE


def test_a_redelivered_direct_answer_counts_once(desk: Desk) -> None:
    first = desk.surveys.record_answer(
        LOG_OFF, customer="ann@example.com", channel=Channel.WEB_FORM, answer=0,
        external_id="hook-1",
    )  # fmt: skip
    again = desk.surveys.record_answer(
        LOG_OFF, customer="ann@example.com", channel=Channel.WEB_FORM, answer=0,
        external_id="hook-1",
    )  # fmt: skip
    assert again == first
    assert len(desk.cases_of("ann@example.com")) == 1


@pytest.mark.parametrize("length", [1, 249, 250, 256])
def test_an_external_id_of_any_length_ids_take_marks_a_direct_answer(
    desk: Desk, length: int
) -> None:
    """Ids and keys take 256 characters; this one refused 250 (its record's id is longer)."""
    external_id = "h" * length

    def answer(external_id: str) -> Invitation:
        return desk.surveys.record_answer(
            LOG_OFF, customer="ann@example.com", channel=Channel.WEB_FORM, answer=3,
            external_id=external_id,
        )  # fmt: skip

    first, again = answer(external_id), answer(external_id)
    assert first == again == desk.surveys.get(first.id)
    assert answer(external_id[:-1] + "i").id != first.id


# -- the scenarios -------------------------------------------------------------------------


def test_scenario_1_the_survey_that_should_never_have_gone_out(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier
) -> None:
    question = desk.listen(make_feedback(FeedbackKind.QUESTION, text="Do you deliver on Sundays?"))
    clock.advance(days=21)
    invited = desk.surveys.invite(CSAT, case_id=question.id)
    assert invited.reason is Reason.NEVER_ANSWERED
    assert desk.surveys.of_customer("mary@example.com")[0].reason is Reason.NEVER_ANSWERED
    desk.outbox.dispatch()
    assert notifier.sent == []
    # ...and the unanswered item is on the queue, oldest first, across channels.
    clock.advance(hours=1)
    desk.listen(make_feedback(customer="bob@example.com", channel=Channel.SOCIAL_MEDIA))
    assert next(c.id for c in desk.unanswered()) == question.id


def test_a_relationship_survey_waits_while_a_case_of_theirs_is_unanswered(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier
) -> None:
    """Found by a newcomer's probe: scenario 1 as a relationship survey went out to the
    customer whose question nobody had answered, from any of their linked handles."""
    desk.customers.link("mary@example.com", "@mary", by="amy")
    question = desk.listen(make_feedback(FeedbackKind.QUESTION, customer="@mary"))
    clock.advance(days=21)
    held = desk.surveys.invite(LOG_OFF, customer="mary@example.com", channel=Channel.EMAIL)
    assert held.reason is Reason.NEVER_ANSWERED
    desk.outbox.dispatch()
    assert notifier.sent == []
    desk.acknowledge(question.id, by="amy")
    clock.advance(days=1)
    assert desk.surveys.invite(LOG_OFF, customer="mary@example.com", channel=Channel.EMAIL).allowed


def test_a_case_closed_for_the_customers_silence_is_not_surveyed(
    desk: Desk, clock: ManualClock
) -> None:
    """Found by a newcomer's probe: closedloop's own close of a case whose customer never
    answered its question was surveyed ("how did we do?")."""
    case = desk.listen(make_feedback(FeedbackKind.QUESTION))
    desk.acknowledge(case.id, by="amy")
    desk.conversation.await_customer(case.id, by="amy", question="Your order number?")
    for _ in range(30):
        clock.advance(days=1)
        desk.sweep()
        desk.outbox.dispatch()  # (it closes only once they were told it would)
    assert desk.get(case.id).is_closed
    assert desk.surveys.invite(CSAT, case_id=case.id).reason is Reason.NOT_A_REAL_CASE


def test_scenario_2_the_zero_nobody_read(desk: Desk, clock: ManualClock) -> None:
    first = desk.surveys.record_answer(
        LOG_OFF, customer="ann@example.com", channel=Channel.WEB_FORM, answer=0
    )
    assert first.recovery_case_id is not None
    recovery = desk.get(first.recovery_case_id)
    assert recovery.origin is not None
    assert recovery.origin.kind is OriginKind.RECOVERY
    assert recovery.origin.invitation_id == first.id
    assert recovery.channels == (Channel.SURVEY,)
    # Contact within 2 business days of 8 hours: Monday 09:00 -> Tuesday 17:00.
    assert recovery.due_at == START + timedelta(days=1, hours=8)
    normal = recovery.priority

    clock.advance(days=1)
    second = desk.surveys.record_answer(
        LOG_OFF, customer="ann@example.com", channel=Channel.WEB_FORM, answer=0,
        comment="Still nobody called",
    )  # fmt: skip
    assert second.recovery_case_id == recovery.id  # joined, not a duplicate
    joined = desk.get(recovery.id)
    assert len(joined.messages) == 2
    assert "Still nobody called" in joined.messages[1].text
    assert joined.priority is normal.raised()
    assert len(desk.cases_of("ann@example.com")) == 1

    clock.advance(hours=8, seconds=1)  # past the contact deadline: a human is told
    assert desk.sweep().escalated == ((recovery.id, 1),)


def test_scenario_4_the_contact_me_box(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier
) -> None:
    pizzas = [closed_case(desk, clock, customer="john@example.com") for _ in range(3)]
    invited = desk.surveys.invite(NPS, case_id=pizzas[-1])
    answered = desk.surveys.respond(token_of(invited), 7, contact_me=True)  # a passive, but ticked
    assert answered.recovery_case_id is not None
    recovery = desk.get(answered.recovery_case_id)
    assert recovery.origin is not None
    assert recovery.origin.case_id == pizzas[-1]
    assert "asked to be contacted" in recovery.subject
    assert recovery.due_at is not None

    clock.advance(days=21)  # three weeks of silence do not pass unnoticed
    report = desk.sweep()
    assert (recovery.id, 1) in report.escalated
    desk.outbox.dispatch()
    assert any(m.purpose == "escalation" and m.case_id == recovery.id for m in notifier.sent)
    # The pattern: every case of this customer, the three complaints and the recovery.
    history = desk.cases_of("john@example.com")
    assert [c.id for c in history] == [*pizzas, recovery.id]
    assert [c.stage for c in history[:3]] == [Stage.CLOSED] * 3


# -- recovery -----------------------------------------------------------------------------


def test_recovery_figures_by_hand(desk: Desk, clock: ManualClock) -> None:
    since = clock.now()
    # ann: 0/10, contacted after 1 hour (in time), later answers 9: recovered.
    ann = desk.surveys.record_answer(
        LOG_OFF, customer="ann@example.com", channel=Channel.EMAIL, answer=0
    )
    # bob: 3/10, contacted after 3 business days (late), later answers 5: not recovered.
    bob = desk.surveys.record_answer(
        LOG_OFF, customer="bob@example.com", channel=Channel.EMAIL, answer=3
    )
    # cat: 10/10, nothing to recover.
    desk.surveys.record_answer(
        LOG_OFF, customer="cat@example.com", channel=Channel.EMAIL, answer=10
    )
    # dan: 2/10, acknowledged with the stock template only: never contacted (G3).
    dan = desk.surveys.record_answer(
        LOG_OFF, customer="dan@example.com", channel=Channel.EMAIL, answer=2
    )
    assert ann.recovery_case_id is not None
    assert bob.recovery_case_id is not None
    assert dan.recovery_case_id is not None
    desk.acknowledge(dan.recovery_case_id, by="amy")
    clock.advance(hours=1)
    desk.acknowledge(ann.recovery_case_id, by="amy")
    desk.conversation.reply(ann.recovery_case_id, "Ann, I am sorry. I have refunded you.", by="amy")
    clock.advance(days=3)  # Thursday 10:00: past bob's Tuesday 17:00 deadline
    desk.conversation.log_contact(
        bob.recovery_case_id, Channel.PHONE, "Called Bob; he is replacing the card", by="amy"
    )
    until = clock.now()
    clock.advance(days=40)
    desk.surveys.record_answer(LOG_OFF, customer="ann@example.com", channel=Channel.EMAIL, answer=9)
    desk.surveys.record_answer(LOG_OFF, customer="bob@example.com", channel=Channel.EMAIL, answer=5)

    figures = desk.reports.recovery(since, until).figures
    assert figures.answers == 4
    assert figures.needing_recovery == 3
    assert figures.contacted == 2
    assert figures.contacted_in_time == 1
    assert figures.close_the_loop_rate == pytest.approx(1 / 3)
    # Median of 1 hour and 3 days 1 hour.
    assert figures.time_to_contact_median == (timedelta(hours=1) + timedelta(days=3, hours=1)) / 2
    assert figures.detractors == 3
    assert figures.recovered == 1
    assert figures.recovery_rate == pytest.approx(1 / 3)
    assert "recovery rate 33%" in str(desk.reports.recovery(since, until))


def test_after_a_recovery_closes_a_re_survey_follows_the_rules(
    desk: Desk, clock: ManualClock
) -> None:
    case_id = closed_case(desk, clock)
    first = desk.surveys.respond(token_of(desk.surveys.invite(NPS, case_id=case_id)), 2)
    assert first.recovery_case_id is not None
    recovery_id = first.recovery_case_id
    assert desk.surveys.invite(NPS, case_id=recovery_id).reason is Reason.NEVER_ANSWERED
    desk.acknowledge(recovery_id, by="amy")
    desk.take_action(recovery_id, by="amy", summary="Called and refunded")
    desk.thank(recovery_id, by="amy")
    desk.explain(recovery_id, by="amy", what_failed="Courier", what_changes="New courier")
    assert desk.surveys.invite(NPS, case_id=recovery_id).reason is Reason.COOLDOWN
    clock.advance(days=91)
    again = desk.surveys.invite(NPS, case_id=recovery_id)
    assert again.allowed
    assert desk.surveys.respond(token_of(again), 9).recovery_case_id is None


def test_the_recovery_standard_can_be_replaced(store: CaseStore, clock: ManualClock) -> None:
    from closedloop import BusinessCalendar, Standard, Standards, Target

    fast = Standard(
        Target.ACKNOWLEDGE, timedelta(hours=1), BusinessCalendar.always_open(),
        origins={OriginKind.RECOVERY}, name="call back within the hour",
    )  # fmt: skip
    desk = Desk(
        store, RecordingNotifier(), clock=clock, policy=Policy(standards=Standards((fast,)))
    )
    answered = desk.surveys.record_answer(
        LOG_OFF, customer="ann@example.com", channel=Channel.EMAIL, answer=1
    )
    assert answered.recovery_case_id is not None
    assert desk.get(answered.recovery_case_id).due_at == clock.now() + timedelta(hours=1)
    ordinary = desk.listen(make_feedback())
    assert ordinary.due_at == START + timedelta(hours=4)  # other cases keep their standard


def test_the_survey_link_must_have_a_place_for_the_token() -> None:
    with pytest.raises(ValidationError, match=r"\{token\}"):
        Policy(survey_url="https://example.com/survey")


def test_priorities_keep_rising_with_more_low_scores(desk: Desk, clock: ManualClock) -> None:
    for _ in range(5):
        answered = desk.surveys.record_answer(
            LOG_OFF, customer="ann@example.com", channel=Channel.EMAIL, answer=0
        )
        clock.advance(minutes=5)
    assert answered.recovery_case_id is not None
    assert desk.get(answered.recovery_case_id).priority is Priority.URGENT


class InvitedMeanwhile(Burst, InMemoryStore):
    """Another writer right after each read of a handle's invitations."""

    def invitations_of(self, customer: str) -> list[Invitation]:
        found = list(super().invitations_of(customer))
        self.after_read()
        return found


def test_two_invitations_at_the_same_time_ask_the_customer_once(clock: ManualClock) -> None:
    """Found by a newcomer's probe on PostgreSQL: simultaneous invites of one customer
    (26 trials in 30) each passed the cooldown, and several surveys went out (G4)."""
    store, notifier = InvitedMeanwhile(), RecordingNotifier()
    desk = Desk(store, notifier, clock=clock, policy=POLICY, ids=SequentialIds())
    desk.customers.link("mary@example.com", "@mary", by="crm")
    store.writers = [
        lambda: desk.surveys.invite(LOG_OFF, customer="@mary", channel=Channel.SOCIAL_MEDIA)
    ]
    ours = desk.surveys.invite(LOG_OFF, customer="mary@example.com", channel=Channel.EMAIL)
    assert store.writers == []
    assert not ours.allowed
    assert ours.invitation.status is InvitationStatus.WITHDRAWN
    asked = [i for i in desk.surveys.of_customer("mary@example.com") if i.is_open]
    assert len(asked) == 1
    desk.outbox.dispatch()
    assert notifier.purposes().count("survey_invitation") == 1
