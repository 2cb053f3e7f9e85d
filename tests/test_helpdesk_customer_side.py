"""The example helpdesk's customer side, over real HTTP and SMTP: the acknowledgement leaves by
SMTP with a status link; the customer opens it, writes from it, answers the email (posted
back by the "mail provider" as a signed webhook) and says "not resolved"."""

from __future__ import annotations

import html
import re
import sys
import urllib.parse
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from closedloop import SQLiteStore, sign_webhook
from closedloop.testing import ManualClock
from tests.adapters.test_smtp_notifier import Server, server, smtp_notifier
from tests.helpers import START
from tests.mail import corpus
from tests.test_helpdesk_example import SECRET, Running

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "helpdesk"))
from app import Helpdesk

__all__ = ["server"]  # the SMTP server fixture, imported for pytest

STATUS_SECRET = "status-links-secret-for-the-example"


@pytest.fixture
def running(tmp_path: Path, server: Server) -> Iterator[tuple[Running, Server]]:
    clock = ManualClock(START)
    store = SQLiteStore(tmp_path / "helpdesk.db")
    app = Helpdesk(
        store, smtp_notifier(server.port), port=0, clock=clock, webhook_secret=SECRET,
        status_secret=STATUS_SECRET,
    )  # fmt: skip
    app.serve_in_background()
    try:
        yield Running(app, clock, None), server  # type: ignore[arg-type]
    finally:
        app.close()
        store.close()


def _acknowledged(helpdesk: Running, server: Server) -> tuple[str, EmailMessage, str]:
    """A complaint from the form, acknowledged by an agent, the email delivered by SMTP:
    (case id, the email, the status page path in it)."""
    helpdesk.call("/feedback", {"customer": "ann@example.com", "kind": "complaint",
                                "text": "My table arrived scratched"})  # fmt: skip
    (case,) = helpdesk.app.desk.unanswered()
    page = helpdesk.call(f"/cases/{case.id}")[1]
    version = re.search(r"name='expected_version' value='(\d+)'", page)
    assert version is not None
    helpdesk.call(
        f"/cases/{case.id}/acknowledge", {"by": "Amy Lee", "expected_version": version[1]}
    )
    helpdesk.app.tick()
    (sent,) = server.handler.messages()
    body = sent.get_body(("plain",))
    assert body is not None
    link = re.search(r"Follow your case here: (\S+)", body.get_content())
    assert link is not None
    path = urllib.parse.urlsplit(link[1]).path
    return case.id, sent, path


def test_the_acknowledgement_links_to_a_status_page_the_customer_can_write_from(
    running: tuple[Running, Server],
) -> None:
    helpdesk, server = running
    case_id, _, path = _acknowledged(helpdesk, server)
    status, page = helpdesk.call(path)
    assert status == 200
    text = html.unescape(page)
    assert "We are working on it" in text
    assert "Amy" in text
    assert "Amy Lee" not in text
    assert "My table arrived scratched" in text
    status, page = helpdesk.call(path, {"do": "write", "text": "It is the left side"})
    assert (status, "we have your message" in page) == (200, True)
    assert helpdesk.app.desk.get(case_id).messages[-1].text == "It is the left side"
    assert helpdesk.call(path + "x")[0] == 404  # a changed link shows nothing


def test_a_reply_to_the_email_joins_the_case_through_the_inbound_webhook(
    running: tuple[Running, Server],
) -> None:
    helpdesk, server = running
    case_id, sent, path = _acknowledged(helpdesk, server)
    reply = corpus.gmail("The scratch is 10 cm long.", in_reply_to=str(sent["Message-ID"]))
    raw = reply.as_bytes()
    headers = sign_webhook("in_1", raw, SECRET, at=helpdesk.clock.now())
    status, answer = helpdesk.call("/webhooks/email", data=raw, headers=headers)
    assert status == 202
    assert '"outcome": "reply"' in answer
    assert case_id in answer
    assert helpdesk.app.desk.get(case_id).messages[-1].text == "The scratch is 10 cm long."
    assert "The scratch is 10 cm long." in html.unescape(helpdesk.call(path)[1])
    unsigned = helpdesk.call("/webhooks/email", data=raw, headers={})
    assert unsigned[0] == 401


def test_a_closed_case_can_be_reopened_from_its_page(running: tuple[Running, Server]) -> None:
    helpdesk, server = running
    case_id, _, path = _acknowledged(helpdesk, server)
    desk = helpdesk.app.desk
    desk.take_action(case_id, by="amy", summary="New top fitted")
    desk.thank(case_id, by="amy")
    desk.explain(case_id, by="amy", what_failed="Packing", what_changes="Corner guards")
    page = html.unescape(helpdesk.call(path)[1])
    assert "Closed" in page
    assert "Not resolved" in page
    status, page = helpdesk.call(path, {"do": "not_resolved", "text": "Still scratched"})
    assert (status, "reopened" in page) == (200, True)
    assert desk.get(case_id).is_active
    status, page = helpdesk.call(path, {"do": "not_resolved", "text": "Again"})
    assert status == 409  # open now: the page says to write instead
