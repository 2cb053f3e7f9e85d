"""SmtpNotifier against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from closedloop import (
    Channel,
    Desk,
    Notification,
    NotifierError,
    SmtpNotifier,
    UndeliverableError,
    ValidationError,
)
from closedloop.testing import InMemoryStore, ManualClock, SequentialIds
from tests.helpers import make_feedback


class Recorder:
    """An aiosmtpd handler: keeps every message, or refuses recipients while told to."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.refuse = False

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.envelopes:
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """A startable, stoppable aiosmtpd server on a fixed port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = Recorder()
        self._controller: Controller | None = None

    def start(self) -> None:
        assert self._controller is None
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def server() -> Iterator[Server]:
    server = Server()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def smtp_notifier(port: int, **kwargs: Any) -> SmtpNotifier:
    return SmtpNotifier(
        "127.0.0.1",
        port,
        sender="Acme Care <care@acme.example>",
        reply_to="replies@acme.example",
        timeout=5,
        local_hostname="test.local",
        **kwargs,
    )


def make_desk(notifier: SmtpNotifier, store: InMemoryStore, clock: ManualClock) -> Desk:
    return Desk(store, notifier, clock=clock, ids=SequentialIds())


def acknowledged(desk: Desk, text: str = "The Leeds store staff were rude to me") -> str:
    case = desk.listen(make_feedback(text=text))
    desk.acknowledge(case.id, by="Amy")
    return f"{case.id}/2/acknowledgement"


def notification(
    key: str = "case-1/2/acknowledgement", to: str = "mary@example.com"
) -> Notification:
    return Notification(
        key=key,
        case_id="case-1",
        to=to,
        channel=Channel.EMAIL,
        purpose="acknowledgement",
        subject="We have your complaint",
        body="Hello <Mary> & co.\n\nWe are on it.",
        created_at=datetime(2026, 11, 23, 9, tzinfo=UTC),
    )


def test_an_acknowledgement_arrives_as_a_two_part_email(
    server: Server, store: InMemoryStore, clock: ManualClock
) -> None:
    desk = make_desk(smtp_notifier(server.port), store, clock)
    key = acknowledged(desk, text="My <b>refund</b> & receipt never arrived")
    assert desk.outbox.dispatch().sent == (key,)

    (envelope,) = server.handler.envelopes
    assert envelope.mail_from == "care@acme.example"
    assert envelope.rcpt_tos == ["mary@example.com"]
    (message,) = server.handler.messages()
    assert message["From"] == "Acme Care <care@acme.example>"
    assert message["To"] == "mary@example.com"
    assert message["Reply-To"] == "replies@acme.example"
    assert "My <b>refund</b> & receipt never arrived" in message["Subject"]
    assert message["X-Closedloop-Key"] == key
    assert message.get_content_type() == "multipart/alternative"
    text_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert text_part is not None
    assert html_part is not None
    text = text_part.get_content()
    page = html_part.get_content()
    assert isinstance(text, str)
    assert isinstance(page, str)
    assert "My <b>refund</b> & receipt never arrived" in text
    assert "My &lt;b&gt;refund&lt;/b&gt; &amp; receipt never arrived" in page
    assert "<b>refund" not in page
    assert page.count("<p>") >= 2  # paragraphs, not one blob


def test_the_message_id_is_derived_from_the_key(server: Server) -> None:
    notifier = smtp_notifier(server.port)
    notifier.send(notification("case-1/2/acknowledgement"))
    notifier.send(notification("case-1/2/acknowledgement"))  # a redelivery
    notifier.send(notification("case-1/5/thanks"))
    first, again, other = server.handler.messages()
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"].startswith("<")
    assert first["Message-ID"].endswith("@acme.example>")


def test_html_part_escapes_and_keeps_paragraphs(server: Server) -> None:
    smtp_notifier(server.port).send(notification())
    (message,) = server.handler.messages()
    html_part = message.get_body(("html",))
    assert html_part is not None
    page = html_part.get_content()
    assert "<p>Hello &lt;Mary&gt; &amp; co.</p>" in page
    assert "<p>We are on it.</p>" in page


def test_a_name_is_mapped_to_an_address(server: Server) -> None:
    staff = {"Amy Lee": "amy@acme.example"}
    notifier = smtp_notifier(server.port, address_of=staff.get)
    notifier.send(notification(to="Amy Lee"))
    (envelope,) = server.handler.envelopes
    assert envelope.rcpt_tos == ["amy@acme.example"]


@pytest.mark.parametrize("address_of", [None, {"Bob": "bob@acme.example"}.get])
def test_a_name_without_an_address_is_refused_clearly(address_of: Any) -> None:
    notifier = smtp_notifier(free_port(), address_of=address_of)
    with pytest.raises(UndeliverableError, match="'Amy Lee' is not an email address") as caught:
        notifier.send(notification(to="Amy Lee"))
    assert "address_of" in str(caught.value)
    assert caught.value.key == "case-1/2/acknowledgement"


def test_a_refused_recipient_is_retried_until_the_server_accepts(
    server: Server, store: InMemoryStore, clock: ManualClock
) -> None:
    desk = make_desk(smtp_notifier(server.port), store, clock)
    key = acknowledged(desk)
    server.handler.refuse = True
    report = desk.outbox.dispatch()
    assert report.retrying == (key,)
    pending = store.outbox_message(key)
    assert pending.sent_at is None
    assert pending.last_error is not None
    assert "NotifierError" in pending.last_error
    assert "550" in pending.last_error
    assert server.handler.envelopes == []

    server.handler.refuse = False
    assert desk.outbox.dispatch().sent == ()  # not before its retry time
    assert pending.next_attempt_at is not None
    clock.set(pending.next_attempt_at)
    assert desk.outbox.dispatch().sent == (key,)
    assert len(server.handler.envelopes) == 1


def test_a_stopped_server_is_retried_not_lost(
    server: Server, store: InMemoryStore, clock: ManualClock
) -> None:
    desk = make_desk(smtp_notifier(server.port), store, clock)
    key = acknowledged(desk)
    server.stop()
    assert desk.outbox.dispatch().retrying == (key,)
    server.start()
    message = store.outbox_message(key)
    assert message.next_attempt_at is not None
    clock.set(message.next_attempt_at)
    assert desk.outbox.dispatch().sent == (key,)
    assert len(server.handler.envelopes) == 1


@pytest.fixture
def hang_up_port() -> Iterator[int]:
    """A server that accepts each connection and closes it at once."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


def test_a_dropped_connection_raises_with_the_cause(hang_up_port: int) -> None:
    with pytest.raises(NotifierError) as caught:
        smtp_notifier(hang_up_port).send(notification())
    assert isinstance(caught.value.__cause__, OSError)  # SMTPServerDisconnected


def test_a_dropped_connection_is_retried_by_dispatch(
    hang_up_port: int, store: InMemoryStore, clock: ManualClock
) -> None:
    desk = make_desk(smtp_notifier(hang_up_port), store, clock)
    key = acknowledged(desk)
    report = desk.outbox.dispatch()
    assert report.retrying == (key,)
    assert report.sent == ()
    message = store.outbox_message(key)
    assert message.last_error is not None
    assert "SMTPServerDisconnected" in message.last_error


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sender": "not an address"}, "sender must be an email address"),
        ({"sender": "a@b.example", "starttls": True, "ssl": True}, "not both"),
        ({"sender": "a@b.example", "username": "u"}, "username and password"),
        ({"sender": "a@b.example", "timeout": 0}, "timeout"),
        ({"sender": "a@b.example", "reply_to": "nobody"}, "reply_to"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SmtpNotifier("127.0.0.1", 25, **kwargs)
