"""The ASGI example, driven through Starlette's TestClient: a signed webhook opens a case,
an agent takes it through LATTE with the version they saw, the jobs run, the report reads."""

from __future__ import annotations

import importlib.util
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the ASGI example needs starlette (the test extra has it)")
if not any(importlib.util.find_spec(client) for client in ("httpx2", "httpx")):
    pytest.skip("starlette's TestClient needs httpx2 (test extra)", allow_module_level=True)

with warnings.catch_warnings():  # an older client than starlette prefers still drives it
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    TestClient = pytest.importorskip(
        "starlette.testclient", reason="starlette's TestClient needs httpx2 (the test extra has it)"
    ).TestClient

from closedloop import SQLiteStore, sign_webhook
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START

# Loaded under a name of its own: examples/helpdesk has an app.py too.
_spec = importlib.util.spec_from_file_location(
    "asgi_example_app", Path(__file__).resolve().parents[1] / "examples" / "asgi" / "app.py"
)
assert _spec is not None
assert _spec.loader is not None
_example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_example)
make_app = _example.make_app

FORGED = "whsec_" + "bm90LXRoZS1zZWNyZXQtd2Utc2hhcmUtd2l0aC15b3U="
SECRET = "whsec_" + "c2VjcmV0LWZvci10aGUtYXNnaS1leGFtcGxlLXRlc3Q="


class Client:
    def __init__(self, http: Any, clock: ManualClock, notifier: RecordingNotifier) -> None:
        self.http, self.clock, self.notifier = http, clock, notifier

    def webhook(self, delivery: str, payload: dict[str, object], secret: str = SECRET) -> Any:
        body = json.dumps(payload).encode()
        headers = sign_webhook(delivery, body, secret, at=self.clock.now())
        return self.http.post("/webhooks/feedback", content=body, headers=headers)

    def step(self, case_id: str, step: str, **body: object) -> Any:
        return self.http.post(f"/cases/{case_id}/{step}", json=body)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    clock, notifier = ManualClock(START), RecordingNotifier()
    with SQLiteStore(tmp_path / "asgi.db") as store:
        app = make_app(store, notifier, webhook_secret=SECRET, clock=clock, max_workers=4)
        with TestClient(app) as http:  # runs the lifespan: AsyncDesk closes at the end
            yield Client(http, clock, notifier)
        assert app.state.adesk.closed


def test_a_webhook_opens_a_case_and_an_agent_closes_the_loop(client: Client) -> None:
    answer = client.webhook(
        "msg_1", {"customer": "mary@example.com", "text": "My sofa arrived torn"}
    )
    assert answer.status_code == 202
    case_id = answer.json()["case_id"]
    again = client.webhook(
        "msg_1", {"customer": "mary@example.com", "text": "My sofa arrived torn"}
    )
    assert again.json() == {"case_id": case_id}  # a redelivery makes no second case

    case = client.http.get(f"/cases/{case_id}").json()
    assert case["stage"] == "listened"
    assert case["next_steps"] == ["acknowledge"]
    assert case["deadlines"][0]["rag"] == "green"

    version = case["version"]
    for step, fields in [
        ("acknowledge", {}),
        ("take_action", {"summary": "A new cover is on its way"}),
        ("thank", {}),
        (
            "explain",
            {"what_failed": "Packing tore the fabric", "what_changes": "Corners are padded now"},
        ),
    ]:
        client.clock.advance(hours=1)
        answer = client.step(case_id, step, by="sam", expected_version=version, **fields)
        assert answer.status_code == 200, answer.text
        version = answer.json()["version"]
    assert answer.json()["stage"] == "closed"

    jobs = client.http.post("/jobs").json()
    assert jobs["sent"] == 3
    assert [m.purpose for m in client.notifier.sent] == ["acknowledgement", "thanks", "explanation"]

    report = client.http.get("/report", params={"format": "text"})
    assert report.status_code == 200
    assert "cases opened 1; loop closed 1" in report.text
    assert client.http.get("/report").headers["content-type"].startswith("text/html")


def test_stale_versions_impossible_steps_and_bad_requests_get_their_status(client: Client) -> None:
    case_id = client.webhook("msg_2", {"customer": "ann@example.com", "text": "Cold pizza"}).json()[
        "case_id"
    ]
    assert client.step(case_id, "acknowledge", by="sam", expected_version=1).status_code == 200
    stale = client.step(case_id, "acknowledge", by="kim", expected_version=1)
    assert stale.status_code == 409
    assert stale.json()["error"] == "ConcurrencyError"
    too_soon = client.step(
        case_id, "explain", by="sam", expected_version=2, what_failed="x", what_changes="y"
    )
    assert too_soon.status_code == 409
    assert too_soon.json()["error"] == "StepNotAllowedError"
    assert client.step(case_id, "thank", by="sam").status_code == 422  # no version sent
    assert client.step(case_id, "dance", by="sam", expected_version=2).status_code == 422
    no_summary = client.step(case_id, "take_action", by="sam", expected_version=2)
    assert no_summary.status_code == 422  # it was a 500 (found by a newcomer's probe)
    assert "summary" in no_summary.json()["message"]
    # Found by a newcomer's probe: an empty summary was a 409, and "by": null was stored as
    # the name "None".
    blank = client.step(case_id, "take_action", by="sam", expected_version=2, summary="")
    assert (blank.status_code, blank.json()["error"]) == (422, "StepRefusedError")
    nobody = client.step(case_id, "take_action", by=None, expected_version=2, summary="Refund")
    assert nobody.status_code == 422
    assert client.http.get("/cases/nope").status_code == 404
    forged = client.webhook("msg_3", {"customer": "eve@example.com", "text": "x"}, secret=FORGED)
    assert forged.status_code == 401
    not_feedback = client.webhook("msg_4", {"text": "no customer"})
    assert not_feedback.status_code == 400
    reply = client.http.post(f"/cases/{case_id}/reply", json={"text": "On it", "by": "sam"})
    assert reply.status_code == 200
