"""The example helpdesk, driven over real HTTP: the form, signed webhooks, an agent taking a
case through LATTE, stale versions, impossible steps, the jobs and the report."""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from closedloop import SQLiteStore, sign_webhook
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "helpdesk"))
from app import Helpdesk

SECRET = "whsec_" + "c2VjcmV0LWZvci10aGUtaGVscGRlc2stZXhhbXBsZQ=="


class Running:
    def __init__(self, app: Helpdesk, clock: ManualClock, notifier: RecordingNotifier) -> None:
        self.app, self.clock, self.notifier = app, clock, notifier

    def call(
        self, path: str, form: dict[str, str] | None = None, *, data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:  # fmt: skip
        body = urllib.parse.urlencode(form).encode() if form is not None else data
        request = urllib.request.Request(self.app.url + path, data=body, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode()

    def webhook(
        self, delivery: str, payload: dict[str, object], secret: str = SECRET
    ) -> tuple[int, str]:
        body = json.dumps(payload).encode()
        headers = sign_webhook(delivery, body, secret, at=self.clock.now())
        headers["Content-Type"] = "application/json"
        return self.call("/webhooks/feedback", data=body, headers=headers)


@pytest.fixture
def helpdesk(tmp_path: Path) -> Iterator[Running]:
    clock = ManualClock(START)
    notifier = RecordingNotifier()
    store = SQLiteStore(tmp_path / "helpdesk.db")
    app = Helpdesk(store, notifier, port=0, clock=clock, webhook_secret=SECRET)
    app.serve_in_background()
    try:
        yield Running(app, clock, notifier)
    finally:
        app.close()
        store.close()


def version_on(page: str) -> str:
    found = re.search(r"name='expected_version' value='(\d+)'", page)
    assert found is not None, page
    return found.group(1)


def test_the_form_opens_a_case_and_says_when_the_customer_hears_back(helpdesk: Running) -> None:
    status, page = helpdesk.call(
        "/feedback", {"customer": "mary@example.com", "kind": "complaint", "text": "Torn sofa"}
    )
    assert status == 201
    assert "You will hear from us by Monday 23 November, 13:00 UTC" in page
    status, cases = helpdesk.call("/")
    assert (status, "Torn sofa" in cases, "1 unanswered" in cases) == (200, True, True)


def test_an_agent_takes_a_case_through_latte(helpdesk: Running) -> None:
    status, answer = helpdesk.webhook("msg_1", {"customer": "bob@example.com", "text": "Late"})
    assert status == 202
    case_id = json.loads(answer)["case_id"]
    page = helpdesk.call(f"/cases/{case_id}")[1]
    for step, fields in (
        ("acknowledge", {}),
        ("take_action", {"summary": "Sent a new one"}),
        ("thank", {}),
        ("explain", {"what_failed": "Courier", "what_changes": "New courier",
                     "root_cause": "courier"}),
    ):  # fmt: skip
        form = {"by": "amy", "expected_version": version_on(page), **fields}
        status, page = helpdesk.call(f"/cases/{case_id}/{step}", form)
        assert status == 200, page  # redirected back to the case
    assert "closed" in page
    next_steps = re.findall(r"action='/cases/[^/]+/(\w+)'", page)
    assert next_steps == ["reopen"]  # the loop is closed; only the customer can reopen it
    assert helpdesk.app.tick() == (0, 3)
    assert [n.purpose for n in helpdesk.notifier.sent] == [
        "acknowledgement", "thanks", "explanation",
    ]  # fmt: skip


def test_a_redelivered_webhook_makes_one_case_and_a_bad_one_none(helpdesk: Running) -> None:
    payload = {"customer": "bob@example.com", "text": "Late"}
    first = json.loads(helpdesk.webhook("msg_7", payload)[1])["case_id"]
    assert json.loads(helpdesk.webhook("msg_7", payload)[1])["case_id"] == first
    status, text = helpdesk.webhook(
        "msg_8", payload, secret="whsec_" + "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZw=="
    )
    assert status == 401
    assert "signature" in text
    status, _ = helpdesk.webhook("msg_9", {"nobody": True})
    assert status == 400
    assert "1 unanswered" in helpdesk.call("/")[1]


def test_a_stale_version_is_a_conflict_and_an_impossible_step_a_clear_error(
    helpdesk: Running,
) -> None:
    case_id = json.loads(helpdesk.webhook("msg_1", {"customer": "b@example.com", "text": "x"})[1])[
        "case_id"
    ]
    seen = int(version_on(helpdesk.call(f"/cases/{case_id}")[1]))  # opened, given to amy
    form = {"expected_version": str(seen)}
    assert helpdesk.call(f"/cases/{case_id}/acknowledge", form)[0] == 200
    status, page = helpdesk.call(f"/cases/{case_id}/thank", form)
    assert status == 409
    assert f"was expected at version {seen} but it is at version {seen + 1}" in page
    status, page = helpdesk.call(f"/cases/{case_id}/explain", {"expected_version": str(seen + 1)})
    assert status == 400
    assert "Traceback" not in page
    assert helpdesk.call("/cases/nope")[0] == 404
    assert helpdesk.call(f"/cases/{case_id}/fly", {"expected_version": str(seen + 1)})[0] == 400


def test_the_jobs_escalate_late_cases_and_the_report_shows_them(helpdesk: Running) -> None:
    helpdesk.webhook("msg_1", {"customer": "bob@example.com", "text": "Nobody answers"})
    helpdesk.clock.advance(timedelta(days=2))
    escalated, sent = helpdesk.app.tick()
    assert escalated == 1
    assert sent >= 1  # the alert to the first rung of the ladder
    status, report = helpdesk.call("/report")
    assert status == 200
    assert 'data-rag="red"' in report


def test_the_timer_runs_the_jobs(helpdesk: Running) -> None:
    helpdesk.webhook("msg_1", {"customer": "bob@example.com", "text": "Nobody answers"})
    helpdesk.clock.advance(timedelta(days=2))
    helpdesk.app.start_timer(0.01)
    for _ in range(500):
        if helpdesk.notifier.sent:
            break
        helpdesk.app._stop.wait(0.01)
    assert [n.purpose for n in helpdesk.notifier.sent][:1] == ["escalation"]


def test_with_smtp_staff_alerts_go_to_the_staff_mailbox() -> None:
    """Found by a newcomer's probe: --smtp gave no address_of, so every escalation to the
    ladder's roles (team-lead, ...) became a dead letter."""
    import argparse

    from app import _notifier

    from closedloop import Channel, Notification, SmtpNotifier

    def alert(to: str) -> Notification:
        return Notification(
            key=f"k-{to}", case_id="c", to=to, channel=Channel.EMAIL, purpose="escalation",
            subject="s", body="b", created_at=START,
        )  # fmt: skip

    for staff, expected in ((None, "support@shop.example"), ("leads@shop.example",) * 2):
        args = argparse.Namespace(smtp="127.0.0.1:2525", sender="support@shop.example",
                                  staff=staff, webhook_url=None)  # fmt: skip
        notifier = _notifier(args)
        assert isinstance(notifier, SmtpNotifier)
        for role in ("team-lead", "head-of-service-quality", "executive"):
            assert notifier.recipient(alert(role)) == expected
        assert notifier.recipient(alert("ann@example.com")) == "ann@example.com"
