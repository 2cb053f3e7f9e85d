"""One customer is one customer: ``desk.surveys.invite`` and ``record_answer`` take a handle
as ``customer``, and refuse a customer's id, storing nothing (found by a newcomer's probe:
the id was taken as a handle, so the invitation was emailed to "crm-1", the cooldown their
handles share was skipped, and a low score opened a recovery case their history missed)."""

from __future__ import annotations

import pytest

from closedloop import Channel, Desk, Policy, Reason, Survey, SurveyKind, ValidationError
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback

ANN, PHONE = "ann@example.com", "+441"
QUARTERLY = Survey("quarterly", SurveyKind.NPS, "How likely are you to recommend us?")


def make_desk(store: CaseStore, notifier: RecordingNotifier) -> Desk:
    policy = Policy(survey_url="https://example.com/s/{token}")
    return Desk(store, notifier, clock=ManualClock(START), policy=policy)


def nothing_stored(desk: Desk, notifier: RecordingNotifier) -> None:
    assert desk.surveys.of_customer("crm-1") == []
    assert desk.customers.cases("crm-1") == []
    desk.outbox.dispatch()
    assert notifier.sent == []


def test_an_invitation_to_a_customer_id_is_refused_and_their_handle_is_asked_once(
    every_store: CaseStore,
) -> None:
    notifier = RecordingNotifier()
    desk = make_desk(every_store, notifier)
    desk.customers.link(ANN, PHONE, customer="crm-1", by="crm-sync")

    with pytest.raises(ValidationError, match="customer id, not a handle") as caught:
        desk.surveys.invite(QUARTERLY, customer="crm-1", channel=Channel.EMAIL)

    assert caught.value.field == "customer"
    nothing_stored(desk, notifier)
    assert desk.surveys.invite(QUARTERLY, customer=ANN, channel=Channel.EMAIL).allowed
    again = desk.surveys.invite(QUARTERLY, customer=PHONE, channel=Channel.CHAT)
    assert again.reason is Reason.COOLDOWN


def test_an_invitation_about_a_case_refuses_a_customer_id_given_as_customer(
    every_store: CaseStore,
) -> None:
    notifier = RecordingNotifier()
    desk = make_desk(every_store, notifier)
    desk.customers.link(ANN, customer="crm-1", by="crm-sync")
    case = desk.listen(make_feedback(customer=ANN))

    with pytest.raises(ValidationError, match="customer id, not a handle"):
        desk.surveys.invite(QUARTERLY, case_id=case.id, customer="crm-1")

    assert desk.surveys.of_customer(ANN) == []


def test_an_answer_recorded_for_a_customer_id_is_refused(every_store: CaseStore) -> None:
    notifier = RecordingNotifier()
    desk = make_desk(every_store, notifier)
    desk.customers.link(ANN, PHONE, customer="crm-1", by="crm-sync")

    with pytest.raises(ValidationError, match="customer id, not a handle") as caught:
        desk.surveys.record_answer(QUARTERLY, customer="crm-1", channel=Channel.EMAIL, answer=1)

    assert caught.value.field == "customer"
    nothing_stored(desk, notifier)
    low = desk.surveys.record_answer(QUARTERLY, customer=ANN, channel=Channel.EMAIL, answer=1)
    assert [c.id for c in desk.customers.cases("crm-1")] == [low.recovery_case_id]


def test_a_handle_that_is_also_a_customer_id_is_a_handle(every_store: CaseStore) -> None:
    # A CRM keying its customers by email address.
    notifier = RecordingNotifier()
    desk = make_desk(every_store, notifier)
    desk.customers.link(ANN, PHONE, customer=ANN, by="crm-sync")

    invited = desk.surveys.invite(QUARTERLY, customer=ANN, channel=Channel.EMAIL)
    answered = desk.surveys.record_answer(
        QUARTERLY, customer=ANN, channel=Channel.EMAIL, answer=1, external_id="kiosk-1"
    )

    assert invited.allowed
    assert invited.invitation.customer == ANN
    assert answered.recovery_case_id is not None
    assert len(desk.surveys.of_customer(PHONE)) == 2
