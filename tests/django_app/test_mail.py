"""DjangoMailNotifier: closedloop's mail through the project's EMAIL_BACKEND, with the same
headers as SmtpNotifier; a message it cannot build is undeliverable, a failing backend is a
NotifierError the outbox retries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closedloop import Channel, NotifierError, SmtpNotifier, UndeliverableError, ValidationError
from closedloop.domain.outbox.notification import Notification
from tests.helpers import START, make_feedback

pytestmark = pytest.mark.usefixtures("tenant")


def notification(to: str = "mary@example.com", subject: str = "About your order") -> Notification:
    return Notification(
        key="case-one/2/acknowledgement",
        case_id="case-one",
        to=to,
        channel=Channel.EMAIL,
        purpose="acknowledgement",
        subject=subject,
        body="Hello Mary,\n\nWe are on it.",
        created_at=START,
    )


def test_a_notification_is_one_email_with_smtp_notifiers_headers() -> None:
    from django.core import mail

    from closedloop.contrib.django import DjangoMailNotifier

    DjangoMailNotifier(reply_to="help@shop.example").send(notification())
    [sent] = mail.outbox
    smtp = SmtpNotifier("unused", sender="Care <care@shop.example>", reply_to="help@shop.example")
    expected = smtp.message(notification())
    built = sent.message()
    for header in ("From", "To", "Reply-To", "Subject", "Date", "Message-ID", "X-Closedloop-Key"):
        assert built[header] == expected[header], header
    assert sent.body == "Hello Mary,\n\nWe are on it."
    [(html, kind)] = sent.alternatives
    assert kind == "text/html"
    assert "<p>Hello Mary,</p>" in html


def test_the_message_id_is_the_same_on_every_redelivery() -> None:
    from django.core import mail

    from closedloop.contrib.django import DjangoMailNotifier

    notifier = DjangoMailNotifier(from_email="care@other.example")
    notifier.send(notification())
    notifier.send(notification())
    first, second = (m.message()["Message-ID"] for m in mail.outbox)
    assert first == second
    assert first.endswith("@other.example>")
    assert mail.outbox[0].from_email == "care@other.example"


def test_a_name_is_mapped_to_an_address_or_the_message_is_undeliverable() -> None:
    from django.core import mail

    from closedloop.contrib.django import DjangoMailNotifier

    with pytest.raises(UndeliverableError, match=r'set CLOSEDLOOP\["ADDRESS_OF"\]'):
        DjangoMailNotifier().send(notification(to="team lead"))
    addresses = {"team lead": "lead@shop.example"}
    DjangoMailNotifier(address_of=addresses.get).send(notification(to="team lead"))
    assert [m.to for m in mail.outbox] == [["lead@shop.example"]]


def test_a_header_the_mail_system_refuses_is_undeliverable_not_retried() -> None:
    from django.core import mail

    from closedloop.contrib.django import DjangoMailNotifier

    with pytest.raises(UndeliverableError, match="cannot build the email"):
        DjangoMailNotifier().send(notification(subject="Hello\nBcc: everyone@example.com"))
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("backend", "said"),
    [("BrokenBackend", "the mail server is down"), ("SilentBackend", "sent 0 of 1")],
)
def test_a_failing_backend_is_a_notifier_error(backend: str, said: str) -> None:
    from closedloop.contrib.django import DjangoMailNotifier

    notifier = DjangoMailNotifier(backend=f"tests.django_app.support.{backend}")
    with pytest.raises(NotifierError, match=said) as raised:
        notifier.send(notification())
    assert not isinstance(raised.value, UndeliverableError)


@pytest.mark.parametrize(
    ("backend", "said"),
    [
        ("RefusingBackend", "550 5.1.1 mailbox unavailable"),
        ("RejectingBackend", "554 5.7.1 message refused as spam"),
    ],
)
def test_a_permanent_smtp_refusal_is_undeliverable_not_retried(backend: str, said: str) -> None:
    from closedloop.contrib.django import DjangoMailNotifier

    notifier = DjangoMailNotifier(backend=f"tests.django_app.support.{backend}")
    with pytest.raises(UndeliverableError, match=f"refused it for good: .*{said}"):
        notifier.send(notification())


def test_a_temporary_smtp_refusal_is_retried() -> None:
    from closedloop.contrib.django import DjangoMailNotifier

    notifier = DjangoMailNotifier(backend="tests.django_app.support.BusyBackend")
    with pytest.raises(NotifierError, match="try later") as raised:
        notifier.send(notification())
    assert not isinstance(raised.value, UndeliverableError)


def test_the_project_backend_is_read_when_sending() -> None:
    from django.test import override_settings

    from closedloop.contrib.django import DjangoMailNotifier

    notifier = DjangoMailNotifier()
    with (
        override_settings(EMAIL_BACKEND="tests.django_app.support.BrokenBackend"),
        pytest.raises(NotifierError),
    ):
        notifier.send(notification())


@pytest.mark.parametrize("field", ["from_email", "reply_to"])
def test_an_address_that_is_none_is_refused(field: str) -> None:
    from closedloop.contrib.django import DjangoMailNotifier

    with pytest.raises(ValidationError, match="email address") as raised:
        DjangoMailNotifier(**{field: "the care team"})
    assert raised.value.field == field


def test_the_desk_delivers_through_django_mail_and_retries_a_failure() -> None:
    from django.core import mail
    from django.test import override_settings

    from closedloop.contrib.django import desk
    from tests.django_app.support import CLOCK

    case = desk().listen(make_feedback())
    desk().acknowledge(case.id, by="amy")
    with override_settings(EMAIL_BACKEND="tests.django_app.support.BrokenBackend"):
        report = desk().outbox.dispatch()
    assert report.sent == ()
    assert len(report.retrying) == 1
    assert mail.outbox == []
    CLOCK.advance(timedelta(hours=1))
    report = desk().outbox.dispatch()
    assert len(report.sent) == 1
    [sent] = mail.outbox
    assert sent.to == ["mary@example.com"]
    assert sent.extra_headers["X-Closedloop-Key"] == report.sent[0]
