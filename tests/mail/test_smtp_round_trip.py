"""Through real SMTP: the acknowledgement leaves by SmtpNotifier, the customer's mail program
answers it, and the answer (or the bounce) arrives at an SMTP server that hands it to
desk.inbox."""

from __future__ import annotations

import email
import email.policy
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from closedloop import Delivery, Desk, Receipt, Received, read_email
from closedloop.testing import InMemoryStore, ManualClock, SequentialIds
from tests.adapters.test_smtp_notifier import Server, free_port, server, smtp_notifier
from tests.helpers import START, make_feedback
from tests.mail import corpus

__all__ = ["server"]  # the fixture, imported for pytest


class Inbound:
    """An aiosmtpd handler that gives every message it accepts to ``desk.inbox``."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.receipts: list[Receipt] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.receipts.append(self.desk.inbox.receive(read_email(envelope.content)))
        return "250 OK"


@pytest.fixture
def outbound(server: Server) -> Server:
    """Where SmtpNotifier sends (test_smtp_notifier's recording server)."""
    return server


@pytest.fixture
def desk(outbound: Server) -> Desk:
    store = InMemoryStore()
    return Desk(store, smtp_notifier(outbound.port), clock=ManualClock(START), ids=SequentialIds())


@pytest.fixture
def inbound(desk: Desk) -> Iterator[tuple[Inbound, int]]:
    handler = Inbound(desk)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _send(port: int, raw: bytes, sender: str = "ann@example.com") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.sendmail(sender, ["replies@acme.example"], raw)


def _acknowledgement(desk: Desk, outbound: Server) -> EmailMessage:
    case = desk.listen(make_feedback(customer="ann@example.com", text="My table is scratched"))
    desk.acknowledge(case.id, by="amy")
    desk.outbox.dispatch()
    (sent,) = outbound.handler.messages()
    return sent


def _answer(sent: EmailMessage, text: str) -> bytes:
    """What a mail program sends when Ann presses Reply: the subject with "Re:", the
    original's Message-ID in In-Reply-To and References, the old text quoted."""
    reply = EmailMessage(policy=email.policy.SMTP)
    reply["From"] = "Ann Example <ann@example.com>"
    reply["To"] = str(sent["Reply-To"] or sent["From"])
    reply["Subject"] = f"Re: {sent['Subject']}"
    reply["Message-ID"] = "<answer-1@mail.example.com>"
    reply["In-Reply-To"] = str(sent["Message-ID"])
    reply["References"] = str(sent["Message-ID"])
    body = sent.get_body(("plain",))
    assert body is not None
    quoted = "\n".join(f"> {line}" for line in body.get_content().splitlines())
    reply.set_content(f"{text}\n\nOn Mon, 23 Nov 2026 at 09:00, Acme Care wrote:\n{quoted}\n")
    return reply.as_bytes()


def test_a_reply_by_smtp_joins_the_case_its_acknowledgement_was_about(
    desk: Desk, outbound: Server, inbound: tuple[Inbound, int]
) -> None:
    handler, port = inbound
    sent = _acknowledgement(desk, outbound)
    _send(port, _answer(sent, "It is the left side of the table."))
    (receipt,) = handler.receipts
    assert receipt.outcome is Received.REPLY
    assert receipt.case is not None
    assert [m.text for m in receipt.case.messages] == [
        "My table is scratched",
        "It is the left side of the table.",
    ]


def test_a_bounce_by_smtp_makes_the_acknowledgement_a_dead_letter(
    desk: Desk, outbound: Server, inbound: tuple[Inbound, int]
) -> None:
    handler, port = inbound
    sent = _acknowledgement(desk, outbound)
    _send(port, corpus.bounce(sent), sender="")
    (receipt,) = handler.receipts
    assert receipt.outcome is Received.BOUNCE
    (dead,) = desk.outbox.dead_letters()
    assert (dead.key, dead.status) == (str(sent["X-Closedloop-Key"]), Delivery.DEAD)


def test_an_out_of_office_by_smtp_changes_nothing(
    desk: Desk, outbound: Server, inbound: tuple[Inbound, int]
) -> None:
    handler, port = inbound
    sent = _acknowledgement(desk, outbound)
    away = email.message_from_bytes(_answer(sent, "I am away."), policy=email.policy.SMTP)
    away["Auto-Submitted"] = "auto-replied"
    _send(port, away.as_bytes())
    (receipt,) = handler.receipts
    assert receipt.outcome is Received.AUTO_REPLY
    assert receipt.case is not None
    assert len(desk.get(receipt.case.id).messages) == 1
