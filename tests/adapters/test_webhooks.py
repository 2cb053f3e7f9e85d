"""WebhookNotifier against a real HTTP server; verify_webhook and feedback_from_webhook."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import (
    Channel,
    Desk,
    FeedbackKind,
    Notification,
    NotifierError,
    ValidationError,
    WebhookError,
    WebhookNotifier,
    WebhookPayloadError,
    WebhookSignatureError,
    WebhookTimestampError,
    feedback_from_webhook,
    sign_webhook,
    verify_webhook,
)
from closedloop.testing import InMemoryStore, ManualClock, SequentialIds
from tests.helpers import START, make_feedback

SECRET = b"a very secret key of 32 bytes!!!"
WHSEC = "whsec_" + base64.b64encode(SECRET).decode()
SIGNED_AT = START.timestamp()  # the notifier's clock, in unix seconds


class Received:
    """What the test server was sent, and how it should answer."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 204
        self.stall = False
        self.release = threading.Event()  # wakes a stalled handler at teardown


def handler_for(received: Received) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if received.stall:
                received.release.wait(30)
                return  # the client gave up long ago; answer nothing
            received.requests.append((self.path, dict(self.headers.items()), body))
            self.send_response(received.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads
    block_on_close = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is part of the test


@pytest.fixture
def received() -> Received:
    return Received()


@contextmanager
def serving(received: Received, path: str) -> Iterator[str]:
    """A receiver on 127.0.0.1 recording into ``received``: the URL of ``path`` on it."""
    server = Server(("127.0.0.1", 0), handler_for(received))
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        received.release.set()
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def url(received: Received) -> Iterator[str]:
    with serving(received, "/hooks/closedloop") as found:
        yield found


def webhook_notifier(url: str, **kwargs: Any) -> WebhookNotifier:
    return WebhookNotifier(url, WHSEC, timeout=5, clock=lambda: SIGNED_AT, **kwargs)


def notification(key: str = "case-1/2/acknowledgement") -> Notification:
    return Notification(
        key=key,
        case_id="case-1",
        to="mary@example.com",
        channel=Channel.WEB_FORM,
        purpose="acknowledgement",
        subject="We have your complaint",
        body="Hello Mary — we are on it.",
        created_at=datetime(2026, 11, 23, 9, 20, tzinfo=UTC),
    )


def make_desk(notifier: WebhookNotifier, store: InMemoryStore, clock: ManualClock) -> Desk:
    return Desk(store, notifier, clock=clock, ids=SequentialIds())


# -- WebhookNotifier -------------------------------------------------------------------


def test_posts_the_documented_json_signed(url: str, received: Received) -> None:
    webhook_notifier(url).send(notification())
    ((path, headers, body),) = received.requests
    assert path == "/hooks/closedloop"
    assert json.loads(body) == {
        "key": "case-1/2/acknowledgement",
        "case_id": "case-1",
        "invitation_id": None,
        "to": "mary@example.com",
        "channel": "web_form",
        "purpose": "acknowledgement",
        "subject": "We have your complaint",
        "body": "Hello Mary — we are on it.",
        "created_at": "2026-11-23T09:20:00+00:00",
    }
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower["content-type"] == "application/json"
    assert lower["webhook-id"] == "case-1/2/acknowledgement"
    assert lower["webhook-timestamp"] == str(int(SIGNED_AT))
    assert lower["webhook-signature"].startswith("v1,")
    assert (
        lower["webhook-signature"]
        == sign_webhook("case-1/2/acknowledgement", body, SECRET, at=START)["webhook-signature"]
    )
    delivery = verify_webhook(headers, body, WHSEC, now=START + timedelta(seconds=3))
    assert delivery.id == "case-1/2/acknowledgement"
    assert delivery.signed_at == START


def test_a_desk_delivers_through_the_webhook(
    url: str, received: Received, store: InMemoryStore, clock: ManualClock
) -> None:
    desk = make_desk(webhook_notifier(url), store, clock)
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="Amy")
    assert desk.outbox.dispatch().sent == (f"{case.id}/2/acknowledgement",)
    ((_, headers, body),) = received.requests
    assert json.loads(body)["purpose"] == "acknowledgement"
    verify_webhook(headers, body, SECRET, now=START)


def test_a_500_is_retried_and_later_delivered(
    url: str, received: Received, store: InMemoryStore, clock: ManualClock
) -> None:
    desk = make_desk(webhook_notifier(url), store, clock)
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="Amy")
    key = f"{case.id}/2/acknowledgement"
    received.status = 500
    assert desk.outbox.dispatch().retrying == (key,)
    message = store.outbox_message(key)
    assert message.last_error is not None
    assert "HTTP 500" in message.last_error
    received.status = 200
    assert message.next_attempt_at is not None
    clock.set(message.next_attempt_at)
    assert desk.outbox.dispatch().sent == (key,)
    assert [json.loads(b)["key"] for _, _, b in received.requests] == [key, key]


def test_no_answer_within_the_timeout_is_retried_and_later_delivered(
    url: str, received: Received, store: InMemoryStore, clock: ManualClock
) -> None:
    notifier = WebhookNotifier(url, SECRET, timeout=0.2)
    desk = make_desk(notifier, store, clock)
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="Amy")
    key = f"{case.id}/2/acknowledgement"
    received.stall = True
    assert desk.outbox.dispatch().retrying == (key,)
    message = store.outbox_message(key)
    assert message.last_error is not None
    assert "timed out" in message.last_error
    received.stall = False
    assert message.next_attempt_at is not None
    clock.set(message.next_attempt_at)
    assert desk.outbox.dispatch().sent == (key,)
    assert len(received.requests) == 1


def test_a_refused_connection_raises_notifier_error() -> None:
    with socket.socket() as sock:  # a port nothing listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NotifierError, match="failed") as caught:
        webhook_notifier(f"http://127.0.0.1:{port}/").send(notification())
    assert isinstance(caught.value.__cause__, OSError)


def test_a_redirect_is_a_failure_not_a_success(url: str, received: Received) -> None:
    received.status = 302
    with pytest.raises(NotifierError, match="HTTP 302"):
        webhook_notifier(url).send(notification())


@pytest.mark.parametrize(
    ("url", "secret", "message"),
    [
        ("file:///etc/passwd", SECRET, "http:// or https://"),
        ("http://example.com/", "not-a-whsec", "whsec_"),
        ("http://example.com/", "whsec_***", "base64"),
        ("http://example.com/", b"", "empty"),
    ],
)
def test_bad_settings_are_refused(url: str, secret: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WebhookNotifier(url, secret)


# -- verify_webhook ---------------------------------------------------------------------

BODY = b'{"customer": "mary@example.com", "text": "The app logged me out twice"}'


def signed(body: bytes = BODY, webhook_id: str = "msg_1", at: datetime = START) -> dict[str, str]:
    return sign_webhook(webhook_id, body, SECRET, at=at)


def test_headers_are_found_whatever_their_case() -> None:
    headers = {k.upper(): v for k, v in signed().items()}
    assert verify_webhook(headers, BODY, SECRET, now=START).id == "msg_1"


def test_any_of_several_signatures_may_match() -> None:
    headers = signed()
    other = sign_webhook("msg_1", BODY, b"the previous secret, 32 bytes...", at=START)
    headers["webhook-signature"] = (
        f"v1a,c29tZXRoaW5n {other['webhook-signature']} {headers['webhook-signature']}"
    )
    assert verify_webhook(headers, BODY, SECRET, now=START).id == "msg_1"


def test_a_tampered_body_is_refused() -> None:
    with pytest.raises(WebhookSignatureError, match="no webhook signature matches"):
        verify_webhook(signed(), BODY.replace(b"twice", b"twice!"), SECRET, now=START)


def test_the_wrong_secret_is_refused() -> None:
    with pytest.raises(WebhookSignatureError):
        verify_webhook(signed(), BODY, b"another secret of 32 bytes!!!!!!", now=START)


def test_a_changed_id_or_timestamp_is_refused() -> None:
    headers = signed()
    with pytest.raises(WebhookSignatureError):
        verify_webhook({**headers, "webhook-id": "msg_2"}, BODY, SECRET, now=START)
    later = str(int(headers["webhook-timestamp"]) + 1)
    with pytest.raises(WebhookSignatureError):
        verify_webhook({**headers, "webhook-timestamp": later}, BODY, SECRET, now=START)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused(missing: str) -> None:
    headers = {k: v for k, v in signed().items() if k != missing}
    with pytest.raises(WebhookSignatureError, match=missing):
        verify_webhook(headers, BODY, SECRET, now=START)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("webhook-timestamp", "1700000000.5"),
        ("webhook-timestamp", "yesterday"),
        ("webhook-signature", "v2,abc"),
        ("webhook-signature", "v1,"),
    ],
)
def test_malformed_headers_are_refused(header: str, value: str) -> None:
    with pytest.raises(WebhookSignatureError):
        verify_webhook({**signed(), header: value}, BODY, SECRET, now=START)


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_a_timestamp_outside_the_tolerance_is_refused(offset: timedelta) -> None:
    headers = signed(at=START + offset)
    with pytest.raises(WebhookTimestampError) as caught:
        verify_webhook(headers, BODY, SECRET, now=START)
    assert isinstance(caught.value, WebhookError)
    assert caught.value.tolerance == 300


@pytest.mark.parametrize("offset", [timedelta(minutes=-5), timedelta(minutes=5)])
def test_a_timestamp_at_the_edge_of_the_tolerance_is_taken(offset: timedelta) -> None:
    verify_webhook(signed(at=START + offset), BODY, SECRET, now=START)


def test_a_wider_tolerance_takes_an_older_webhook() -> None:
    headers = signed(at=START - timedelta(hours=1))
    verify_webhook(headers, BODY, SECRET, now=START, tolerance=timedelta(hours=2))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        verify_webhook(signed(), BODY, SECRET, now=datetime(2026, 11, 23, 9))
    with pytest.raises(ValidationError, match="timezone-aware"):
        sign_webhook("msg_1", BODY, SECRET, at=datetime(2026, 11, 23, 9))


@given(body=st.binary(max_size=512), webhook_id=st.text("abcdef_0123456789", min_size=1))
def test_sign_then_verify_round_trips(body: bytes, webhook_id: str) -> None:
    headers = sign_webhook(webhook_id, body, WHSEC, at=START)
    assert verify_webhook(headers, body, SECRET, now=START).body == body


@given(body=st.binary(min_size=1, max_size=256), data=st.data())
def test_flipping_any_byte_of_the_body_fails(body: bytes, data: st.DataObject) -> None:
    headers = sign_webhook("msg_1", body, SECRET, at=START)
    index = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    tampered = bytearray(body)
    tampered[index] ^= flip
    with pytest.raises(WebhookSignatureError):
        verify_webhook(headers, bytes(tampered), SECRET, now=START)


# -- feedback_from_webhook --------------------------------------------------------------


def test_feedback_from_a_webhook_carries_the_delivery_id() -> None:
    body = json.dumps(
        {
            "customer": "mary@example.com",
            "text": "My order arrived broken",
            "kind": "complaint",
            "score": 2,
            "subject": "Broken order",
            "received_at": "2026-11-23T08:55:00+01:00",
        }
    ).encode()
    feedback = feedback_from_webhook(
        signed(body, "msg_42"), body, SECRET, now=START, channel=Channel.CRM
    )
    assert feedback.customer == "mary@example.com"
    assert feedback.text == "My order arrived broken"
    assert feedback.kind is FeedbackKind.COMPLAINT
    assert feedback.score == 2
    assert feedback.subject == "Broken order"
    assert feedback.channel == Channel.CRM
    assert feedback.external_id == "msg_42"
    assert feedback.received_at == datetime(2026, 11, 23, 7, 55, tzinfo=UTC)


def test_received_at_defaults_to_now_and_kind_to_complaint() -> None:
    feedback = feedback_from_webhook(signed(), BODY, SECRET, now=START)
    assert feedback.received_at == START
    assert feedback.kind is FeedbackKind.COMPLAINT
    assert feedback.channel == Channel.WEB_FORM


def test_a_redelivered_webhook_makes_one_case(desk: Desk) -> None:
    headers = signed(webhook_id="msg_7")
    first = desk.listen(feedback_from_webhook(headers, BODY, SECRET, now=START))
    again = desk.listen(
        feedback_from_webhook(headers, BODY, SECRET, now=START + timedelta(minutes=1))
    )
    assert again.id == first.id
    assert len(desk.cases_of("mary@example.com")) == 1


def test_the_signature_is_checked_before_the_body_is_read() -> None:
    with pytest.raises(WebhookSignatureError):
        feedback_from_webhook(signed(), b"not json", SECRET, now=START)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "not UTF-8 JSON"),
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"[1, 2]", "not an object"),
        (b'{"text": "hi"}', "no 'customer'"),
        (b'{"customer": 7, "text": "hi"}', "not a string"),
        (b'{"customer": "m", "text": "hi", "kind": "rant"}', "kind is one of"),
        (b'{"customer": "m", "text": "hi", "received_at": "soon"}', "not ISO-8601"),
        (b'{"customer": "m", "text": "hi", "received_at": "2026-11-23T09:00"}', "offset"),
        (b'{"customer": "m", "txt": "hi"}', "does not read: txt"),
        # Signed, but careless: refused here, not a crash, nor a dead letter later.
        (b'{"customer": "m", "score": ' + b"7" * 5000 + b"}", "a number of 5000 digits"),
        (
            b'{"customer": "m", "text": "hi", "extra": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "nests too deeply",
        ),
        (b'{"customer": "m", "score": NaN}', "NaN"),
        (b'{"customer": "m", "text": "hi", "subject": "Hi\\r\\nBcc: x@example.com"}', "line break"),
        (b'{"customer": "m@example.com\\r\\nBcc: x@example.com", "text": "hi"}', "line break"),
        (b'{"customer": "m", "score": 11}', "score must be from 0 to 10"),
        (b'{"customer": "m", "score": "3"}', "score must be a whole number"),
        (b'{"customer": " ", "text": "hi"}', "customer must be a non-empty string"),
        (b'{"customer": "m", "text": "\\ud800"}', "not valid Unicode"),
    ],
)
def test_a_body_that_is_not_the_documented_json_is_refused(payload: bytes, message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message) as caught:
        feedback_from_webhook(signed(payload), payload, SECRET, now=START)
    assert isinstance(caught.value, ValidationError)
    assert len(str(caught.value)) < 1000  # whatever the sender sent


def test_feedback_rules_still_apply() -> None:
    payload = b'{"customer": "m", "score": 11}'
    with pytest.raises(ValidationError, match="score"):
        feedback_from_webhook(signed(payload), payload, SECRET, now=START)
