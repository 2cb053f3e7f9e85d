"""desk.inbox.receive on every store: replies join their case, new mail opens one, automatic
replies change nothing, bounces mark the message that bounced."""

from __future__ import annotations

import logging

import pytest

from closedloop import (
    Case,
    Delivery,
    Desk,
    EmailFormatError,
    Limits,
    Policy,
    Received,
    Survey,
    SurveyKind,
    ValidationError,
    read_email,
)
from closedloop.adapters.notify.smtp import message_id_for
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback
from tests.mail import corpus

ANN = "ann@example.com"
SURVEY = Survey("after-case", SurveyKind.CSAT, "How did we do?")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def desk(every_store: CaseStore, clock: ManualClock) -> Desk:
    return Desk(every_store, RecordingNotifier(), clock=clock, ids=SequentialIds())


def _acknowledged(desk: Desk, customer: str = ANN) -> tuple[Case, str]:
    """A case of ``customer`` acknowledged, and the Message-ID its acknowledgement had."""
    case = desk.listen(make_feedback(customer=customer))
    case = desk.acknowledge(case.id, by="amy")
    (sent,) = [k for k in desk.outbox.dispatch().sent if k.startswith(f"{case.id}/")]
    return case, message_id_for(sent, "acme.example")


def _reply(in_reply_to: str | None, text: str = "It is still broken.", **kw: str) -> bytes:
    return bytes(
        corpus.plain(
            text,
            sender=kw.pop("sender", "Ann <ann@example.com>"),
            in_reply_to=in_reply_to,
            references=in_reply_to,
            message_id=kw.pop("message_id", "<r1@mail.example.com>"),
            **kw,
        )
    )


def test_a_reply_joins_the_case_it_answers(desk: Desk) -> None:
    case, message_id = _acknowledged(desk)
    receipt = desk.inbox.receive(read_email(_reply(message_id)))
    assert receipt.outcome is Received.REPLY
    assert receipt.case is not None
    assert receipt.case.id == case.id
    assert [m.text for m in desk.get(case.id).messages][-1] == "It is still broken."


def test_the_same_reply_received_twice_joins_once(desk: Desk) -> None:
    case, message_id = _acknowledged(desk)
    for _ in range(2):
        desk.inbox.receive(read_email(_reply(message_id)))
    assert len(desk.get(case.id).messages) == 2


def test_mail_that_answers_nothing_opens_a_case(desk: Desk) -> None:
    receipt = desk.inbox.receive(read_email(_reply(None, "My sofa never came.")))
    assert receipt.outcome is Received.NEW_CASE
    assert receipt.case is not None
    assert (receipt.case.customer, receipt.case.messages[0].text) == (ANN, "My sofa never came.")
    assert receipt.case.messages[0].external_id == "<r1@mail.example.com>"


def test_a_reply_from_someone_else_never_joins_the_case(desk: Desk) -> None:
    case, message_id = _acknowledged(desk)
    forged = read_email(_reply(message_id, sender="eve@example.net"))
    receipt = desk.inbox.receive(forged)
    assert receipt.outcome is Received.NEW_CASE
    assert receipt.case is not None
    assert receipt.case.customer == "eve@example.net"
    assert len(desk.get(case.id).messages) == 1


def test_a_reply_from_a_linked_address_joins_the_case(desk: Desk) -> None:
    case, message_id = _acknowledged(desk)
    desk.customers.link(ANN, "ann.work@example.org", by="amy")
    receipt = desk.inbox.receive(read_email(_reply(message_id, sender="ann.work@example.org")))
    assert (receipt.outcome, receipt.case and receipt.case.id) == (Received.REPLY, case.id)


def test_a_case_named_in_the_subject_threads_only_the_customers_own_mail(desk: Desk) -> None:
    case, _ = _acknowledged(desk)
    subject = f"Re: your order [case {case.id}]"
    own = desk.inbox.receive(read_email(_reply(None, subject=subject)))
    assert (own.outcome, own.case and own.case.id) == (Received.REPLY, case.id)
    other = desk.inbox.receive(
        read_email(_reply(None, subject=subject, sender="eve@example.net", message_id="<e@x>"))
    )
    assert other.outcome is Received.NEW_CASE
    missing = desk.inbox.receive(
        read_email(_reply(None, subject="Re: [case nope]", message_id="<m@x>"))
    )
    assert missing.outcome is Received.NEW_CASE


def test_a_reply_to_a_closed_case_reopens_it_within_the_window(desk: Desk) -> None:
    case, message_id = _acknowledged(desk)
    desk.take_action(case.id, by="amy", summary="Sent a new leg")
    desk.thank(case.id, by="amy")
    closed = desk.explain(
        case.id, by="amy", what_failed="The courier", what_changes="We changed couriers"
    )
    assert not closed.is_active
    receipt = desk.inbox.receive(read_email(_reply(message_id)))
    assert receipt.outcome is Received.REPLY
    assert receipt.case is not None
    assert receipt.case.is_active


def test_an_automatic_reply_stops_no_clock_and_reopens_nothing(desk: Desk) -> None:
    case, message_id = _acknowledged(desk)
    waiting = desk.conversation.await_customer(case.id, by="amy", question="Which leg?")
    away = read_email(_reply(message_id, "I am away.", Auto_Submitted="auto-replied"))
    receipt = desk.inbox.receive(away)
    assert (receipt.outcome, receipt.case and receipt.case.id) == (Received.AUTO_REPLY, case.id)
    after = desk.get(case.id)
    assert (after.version, after.awaiting_customer) == (waiting.version, True)
    # The customer's own answer, though, starts the clocks again.
    desk.inbox.receive(read_email(_reply(message_id, "The front left.", message_id="<r2@x>")))
    assert not desk.get(case.id).awaiting_customer


def _bounce_of(desk: Desk, case: Case, **kw: str) -> tuple[str, bytes]:
    key = f"{case.id}/{case.version}/acknowledgement"
    sent = corpus.plain(
        corpus.ACK, sender=corpus.ACME, message_id=message_id_for(key, "acme.example")
    )
    sent.replace_header("To", ANN)
    if kw.pop("with_key", "yes") == "yes":
        sent["X-Closedloop-Key"] = key
    return key, corpus.bounce(sent, **kw)


@pytest.mark.parametrize("with_key", ["yes", "no"])
def test_a_permanent_bounce_makes_the_message_a_dead_letter(desk: Desk, with_key: str) -> None:
    case, _ = _acknowledged(desk)
    key, raw = _bounce_of(desk, case, with_key=with_key)
    receipt = desk.inbox.receive(read_email(raw))
    assert (receipt.outcome, receipt.key, receipt.case and receipt.case.id) == (
        Received.BOUNCE,
        key,
        case.id,
    )
    (dead,) = desk.outbox.dead_letters()
    assert (dead.key, dead.status) == (key, Delivery.DEAD)
    assert dead.last_error is not None
    assert dead.last_error.startswith("bounced (permanent): 5.1.1")


def test_a_bounce_after_an_erasure_stores_nothing_of_the_customer(
    desk: Desk, every_store: CaseStore
) -> None:
    """Found by a newcomer's probe: the server's diagnostic, naming her address, became the
    dead letter's last error after she was erased."""
    case, _ = _acknowledged(desk)
    key, raw = _bounce_of(desk, case)
    desk.customers.erase(ANN)

    assert desk.inbox.receive(read_email(raw)).outcome is Received.BOUNCE

    message = every_store.outbox_message(key)
    assert (message.status, message.last_error) == (Delivery.DEAD, "[erased]")
    assert ANN not in repr(message)


def test_a_temporary_failure_is_sent_again_and_a_delay_changes_nothing(
    desk: Desk, every_store: CaseStore, clock: ManualClock
) -> None:
    case, _ = _acknowledged(desk)
    key, delayed = _bounce_of(desk, case, action="delayed", status="4.4.7")
    assert desk.inbox.receive(read_email(delayed)).outcome is Received.BOUNCE
    assert every_store.outbox_message(key).status is Delivery.SENT
    _, failed = _bounce_of(desk, case, status="4.2.2", diagnostic="smtp; 452 mailbox full")
    desk.inbox.receive(read_email(failed))
    message = every_store.outbox_message(key)
    assert (message.status, message.last_error) == (
        Delivery.PENDING,
        "bounced (temporary): 4.2.2 452 mailbox full",
    )
    assert desk.outbox.dispatch().sent == ()  # not before the retry policy's first delay
    clock.advance(hours=1)
    assert desk.outbox.dispatch().sent == (key,)


def test_a_bounce_of_nothing_we_sent_changes_nothing(desk: Desk) -> None:
    _acknowledged(desk)
    stranger = corpus.plain("hi", sender=corpus.ACME, message_id="<not-ours@acme.example>")
    stranger.replace_header("To", ANN)
    receipt = desk.inbox.receive(read_email(corpus.bounce(stranger)))
    assert (receipt.outcome, receipt.case, receipt.key) == (Received.UNMATCHED_BOUNCE, None, None)
    assert desk.outbox.dead_letters() == []


def test_receive_takes_only_what_read_email_gives(desk: Desk) -> None:
    with pytest.raises(ValidationError, match="read_email"):
        desk.inbox.receive(b"From: ann@example.com")  # type: ignore[arg-type]


def test_a_reply_after_the_reopen_window_opens_a_follow_up(desk: Desk, clock: ManualClock) -> None:
    case, message_id = _acknowledged(desk)
    desk.take_action(case.id, by="amy", summary="Sent a new leg")
    desk.thank(case.id, by="amy")
    desk.explain(case.id, by="amy", what_failed="The courier", what_changes="We changed couriers")
    clock.advance(days=400)
    receipt = desk.inbox.receive(read_email(_reply(message_id)))
    assert receipt.outcome is Received.REPLY
    assert receipt.case is not None
    assert receipt.case.id != case.id
    assert receipt.case.origin is not None
    assert receipt.case.origin.case_id == case.id


def test_inbound_email_is_logged_without_text_or_addresses(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    case, message_id = _acknowledged(desk)
    with caplog.at_level(logging.DEBUG, logger="closedloop.inbox"):
        desk.inbox.receive(read_email(_reply(message_id, "My secret zebra order")))
        _, raw = _bounce_of(desk, case)
        desk.inbox.receive(read_email(raw))
    records = [r for r in caplog.records if r.name == "closedloop.inbox"]
    assert [(r.levelname, r.outcome) for r in records] == [  # type: ignore[attr-defined]
        ("DEBUG", "reply"),
        ("WARNING", "bounce"),
    ]
    assert records[1].notification_key == f"{case.id}/{case.version}/acknowledgement"  # type: ignore[attr-defined]
    for record in records:
        shown = record.getMessage() + repr(vars(record))
        for private in (ANN, "zebra", corpus.ACK):  # words no timestamp or id can contain
            assert private not in shown


def test_mail_too_long_for_the_limits_is_taken_in_cut_not_refused(desk: Desk) -> None:
    huge = "<" + "x" * 300 + "@mail.example.com>"
    raw = bytes(corpus.plain("Broken. " * 8000, subject="Sofa " * 100, message_id=huge))
    receipt = desk.inbox.receive(read_email(raw))
    assert receipt.outcome is Received.NEW_CASE
    assert receipt.case is not None
    message = receipt.case.messages[0]
    assert len(message.text) <= desk.policy.limits.text
    assert message.text.endswith("more characters not kept]")
    assert message.subject is not None
    assert len(message.subject) <= desk.policy.limits.subject
    assert message.external_id is not None
    assert message.external_id.startswith("sha256:")
    again = desk.inbox.receive(read_email(raw))  # the same email: the same case
    assert again.case is not None
    assert again.case.id == receipt.case.id


@pytest.mark.parametrize("key", [64, 20])
def test_a_long_message_id_is_kept_within_a_small_key_limit(
    every_store: CaseStore, clock: ManualClock, key: int
) -> None:
    """Found by a newcomer's probe: with ``Limits(key=64)`` the digest (71 characters) was
    itself refused, and the mail lost."""
    policy = Policy(limits=Limits(key=key))
    desk = Desk(every_store, RecordingNotifier(), clock=clock, policy=policy)
    raw = bytes(corpus.plain("Broken.", message_id="<" + "x" * 300 + "@mail.example.com>"))

    receipt = desk.inbox.receive(read_email(raw))

    assert receipt.case is not None
    external_id = receipt.case.messages[0].external_id
    assert external_id is not None
    assert len(external_id) <= key
    again = desk.inbox.receive(read_email(raw))
    assert again.case is not None
    assert again.case.id == receipt.case.id


def test_a_reply_from_the_address_in_capitals_still_threads(desk: Desk) -> None:
    case, message_id = _acknowledged(desk)
    shouted = read_email(_reply(message_id, sender="Ann <Ann@Example.COM>"))
    assert shouted.sender == ANN
    receipt = desk.inbox.receive(shouted)
    assert (receipt.outcome, receipt.case and receipt.case.id) == (Received.REPLY, case.id)


def _invited(desk: Desk) -> tuple[Case, str]:
    """A closed case of Ann's, her survey invitation about it sent: (case, its key)."""
    case, _ = _acknowledged(desk)
    desk.take_action(case.id, by="amy", summary="Replaced")
    desk.thank(case.id, by="amy")
    desk.explain(case.id, by="amy", what_failed="Packing", what_changes="Guards")
    invited = desk.surveys.invite(SURVEY, case_id=case.id)
    assert invited.token is not None
    (key,) = [k for k in desk.outbox.dispatch().sent if k.endswith("/survey_invitation")]
    return desk.get(case.id), key


def test_a_reply_to_a_survey_invitation_joins_the_case_it_asked_about(desk: Desk) -> None:
    case, key = _invited(desk)
    reply = read_email(_reply(message_id_for(key, "acme.example"), "Still wobbly, 3/10"))
    receipt = desk.inbox.receive(reply)
    assert (receipt.outcome, receipt.case and receipt.case.id) == (Received.REPLY, case.id)


def test_a_survey_invitation_that_bounces_for_good_is_withdrawn(
    desk: Desk, every_store: CaseStore, clock: ManualClock
) -> None:
    _, key = _invited(desk)
    invitation_id = key.split("/")[0]
    sent = corpus.plain("Survey", sender=corpus.ACME, message_id=message_id_for(key, "x"))
    sent.replace_header("To", ANN)
    sent["X-Closedloop-Key"] = key
    desk.inbox.receive(read_email(corpus.bounce(sent)))
    assert every_store.invitation(invitation_id).status.value == "withdrawn"
    clock.advance(days=4)  # past remind_after (3 days), before expiry (7)
    desk.sweep()
    assert not [k for k in desk.outbox.dispatch().sent if "survey" in k]  # no reminder


def test_keep_attachments_takes_only_true_or_false() -> None:
    with pytest.raises(EmailFormatError, match="keep_attachments"):
        read_email(_reply(None), keep_attachments="yes")  # type: ignore[arg-type]
