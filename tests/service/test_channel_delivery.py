"""Delivery that fits the channel: a notifier per channel, no written message to a phone
caller unless they have a written address linked, and short texts for text messages."""

from __future__ import annotations

import attrs
import pytest

from closedloop import (
    Channel,
    Delivery,
    Desk,
    Feedback,
    NotifierRouter,
    Policy,
    Received,
    Templates,
    ValidationError,
    read_email,
)
from closedloop.adapters.notify.smtp import message_id_for
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START

PHONE = "+447700900123"
SMS = Channel.custom("sms")


def feedback(customer: str, channel: Channel, text: str = "My boiler is broken") -> Feedback:
    return Feedback(customer=customer, channel=channel, received_at=START, text=text)


def make_desk(store: CaseStore, notifier: RecordingNotifier, **policy: object) -> Desk:
    return Desk(
        store, notifier, clock=ManualClock(START), ids=SequentialIds(),
        policy=Policy(**policy),  # type: ignore[arg-type]
    )  # fmt: skip


def test_the_router_sends_each_message_by_its_channels_notifier() -> None:
    email, sms, other = RecordingNotifier(), RecordingNotifier(), RecordingNotifier()
    router = NotifierRouter({Channel.EMAIL: email, "sms": sms}, default=other)
    desk = make_desk(InMemoryStore(), RecordingNotifier(), channels=(SMS,))
    desk = Desk(desk._ctx.store, router, clock=ManualClock(START), policy=desk.policy)
    for customer, channel in (("ann@example.com", Channel.EMAIL), ("+4477", SMS),
                              ("ann@example.com", Channel.WEB_FORM)):  # fmt: skip
        desk.acknowledge(desk.listen(feedback(customer, channel)).id, by="amy")
    assert len(desk.outbox.dispatch().sent) == 3
    assert [n.channel for n in email.sent] == [Channel.EMAIL]
    assert [n.channel for n in sms.sent] == [SMS]
    assert [n.channel for n in other.sent] == [Channel.WEB_FORM]
    assert router.notifier_for(Channel.CHAT) is other


def test_a_channel_without_a_notifier_is_a_dead_letter_that_says_so() -> None:
    store = InMemoryStore()
    router = NotifierRouter({Channel.EMAIL: RecordingNotifier()})
    desk = Desk(store, router, clock=ManualClock(START))
    desk.acknowledge(desk.listen(feedback("ann@example.com", Channel.CHAT)).id, by="amy")
    report = desk.outbox.dispatch()
    assert report.dead != ()
    (dead,) = desk.outbox.dead_letters()
    assert dead.status is Delivery.DEAD
    assert dead.last_error is not None
    assert "no notifier for channel 'chat'" in dead.last_error


def test_a_router_needs_notifiers() -> None:
    with pytest.raises(ValidationError, match="notifier"):
        NotifierRouter({Channel.EMAIL: "smtp.example.com"})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="default"):
        NotifierRouter({}, default=42)  # type: ignore[arg-type]


def test_a_phone_caller_with_no_written_address_is_not_written_to(every_store: CaseStore) -> None:
    notifier = RecordingNotifier()
    desk = make_desk(every_store, notifier)
    case = desk.acknowledge(desk.listen(feedback(PHONE, Channel.PHONE)).id, by="amy")
    assert case.stage.value == "acknowledged"  # the step is taken (on the phone) ...
    assert desk.outbox.dispatch().sent == ()  # ... and nothing is written to a phone
    assert notifier.sent == []


def test_a_phone_caller_with_an_address_linked_is_written_to_there(every_store: CaseStore) -> None:
    notifier = RecordingNotifier()
    desk = make_desk(every_store, notifier)
    desk.customers.link(PHONE, "ann@example.com", by="crm")
    case = desk.acknowledge(desk.listen(feedback(PHONE, Channel.PHONE)).id, by="amy")
    (key,) = desk.outbox.dispatch().sent
    (sent,) = notifier.sent
    assert (sent.to, sent.channel, sent.purpose) == (
        "ann@example.com",
        Channel.EMAIL,
        "acknowledgement",
    )
    assert key == f"{case.id}/{case.version}/acknowledgement"  # the customer's key, as ever
    # Her answer to that email threads onto the phone case.
    raw = (
        f"From: ann@example.com\r\nMessage-ID: <a1@x>\r\nIn-Reply-To: "
        f"{message_id_for(key, 'acme.example')}\r\n\r\nIt is the pilot light.\r\n"
    ).encode()
    receipt = desk.inbox.receive(read_email(raw))
    assert (receipt.outcome, receipt.case and receipt.case.id) == (Received.REPLY, case.id)


def test_the_host_says_which_handles_take_which_written_channel(every_store: CaseStore) -> None:
    notifier = RecordingNotifier()
    desk = make_desk(
        every_store, notifier, channels=(SMS,),
        written_channel=lambda handle: SMS if handle.startswith("+") else Channel.EMAIL,
    )  # fmt: skip
    desk.acknowledge(desk.listen(feedback(PHONE, Channel.PHONE)).id, by="amy")
    desk.outbox.dispatch()
    assert [(n.to, n.channel) for n in notifier.sent] == [(PHONE, SMS)]


def test_texts_use_short_templates_shortened_in_their_free_text(every_store: CaseStore) -> None:
    notifier = RecordingNotifier()
    desk = make_desk(
        every_store,
        notifier,
        channels=(SMS,),
        channel_templates={SMS: Templates.short(max_length=120)},
    )
    matter = "My boiler " + "and every radiator upstairs " * 5
    desk.acknowledge(desk.listen(feedback("+4477", SMS, matter)).id, by="amy")
    desk.acknowledge(desk.listen(feedback("bob@example.com", Channel.EMAIL)).id, by="amy")
    desk.outbox.dispatch()
    text, mail = notifier.sent
    assert text.channel == SMS
    assert len(text.body) <= 120
    assert text.body.startswith('We have your message about "My boiler')
    assert '…". You hear from us by Wednesday 25 November 2026, 17:00 UTC. Ref case-1' in text.body
    assert mail.body.startswith("Hello,")  # email keeps the policy's own templates


def test_the_templates_own_words_dates_and_references_are_never_cut(
    every_store: CaseStore,
) -> None:
    notifier = RecordingNotifier()
    desk = make_desk(
        every_store, notifier, channels=(SMS,),
        channel_templates={SMS: Templates.short(max_length=20)},
    )  # fmt: skip
    desk.acknowledge(desk.listen(feedback("+4477", SMS)).id, by="amy")
    desk.outbox.dispatch()
    (text,) = notifier.sent
    assert text.body == (
        'We have your message about "…". You hear from us by Wednesday 25 November 2026, '
        "17:00 UTC. Ref case-1"
    )  # longer than 20: only the matter could give way


def test_a_length_too_small_or_templates_not_templates_are_refused() -> None:
    with pytest.raises(ValidationError, match="at least 20"):
        Templates(max_length=5)
    with pytest.raises(ValidationError, match="channel_templates"):
        Policy(channel_templates={SMS: "short"})  # type: ignore[dict-item]


def test_a_short_text_keeps_its_link_reference_and_date_whole(every_store: CaseStore) -> None:
    from closedloop import StatusLinks

    notifier = RecordingNotifier()
    links = StatusLinks(secret="s" * 32, url="https://help.acme.example/status/{token}")
    text = attrs.evolve(
        Templates.short(),
        acknowledgement='About "$matter", ref $case_id, by $next_contact: $status_link',
    )
    desk = make_desk(every_store, notifier, channels=(SMS,), channel_templates={SMS: text},
                     status_links=links)  # fmt: skip
    long = "My boiler " + "and every radiator upstairs " * 8
    case = desk.acknowledge(desk.listen(feedback("+4477", SMS, long)).id, by="amy")
    desk.outbox.dispatch()
    (sent,) = notifier.sent
    link = sent.body.rsplit(": ", 1)[1]
    token = link.removeprefix("https://help.acme.example/status/")
    assert desk.portal.view(token).reference == case.id  # the link works
    assert f"ref {case.id}," in sent.body
    # The matter gave way first; what is left is one character over, which the text keeps
    # rather than cut the link.
    assert sent.body.startswith('About "…", ref')
    assert len(sent.body) == 161


def test_a_router_refuses_what_is_not_a_table_of_notifiers() -> None:
    with pytest.raises(ValidationError, match="routes"):
        NotifierRouter(None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="routes"):
        NotifierRouter([(Channel.EMAIL, RecordingNotifier())])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="routed twice"):
        NotifierRouter({Channel.EMAIL: RecordingNotifier(), "email": RecordingNotifier()})
