"""Webhooks at their edges: what is signed, which secrets and tolerances work, and careless
input that must be refused with a closedloop error rather than crash or dead-letter later."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import pytest

from closedloop import (
    Desk,
    SmtpNotifier,
    ValidationError,
    WebhookNotifier,
    WebhookPayloadError,
    WebhookSignatureError,
    feedback_from_webhook,
    sign_webhook,
    verify_webhook,
)
from closedloop.testing import InMemoryStore, ManualClock
from tests.helpers import START

KEY = b"k" * 32
BODY = b'{"customer": "mary@example.com", "text": "The app logged me out twice"}'
UNIX = str(int(START.timestamp()))


def spec_headers(timestamp: str, body: bytes = BODY, webhook_id: str = "msg_1") -> dict[str, str]:
    """Headers as any Standard Webhooks sender makes them: the HMAC of the header text sent."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": f"v1,{digest}",
    }


# -- what the signature covers ----------------------------------------------------------


@pytest.mark.parametrize("signed", [True, False])
def test_a_timestamp_of_thousands_of_digits_is_a_webhook_error(signed: bool) -> None:
    timestamp = "1" * 4301  # int() of it raises ValueError (CPython's 4,300-digit limit)
    headers = (
        spec_headers(timestamp)
        if signed
        else {**spec_headers(UNIX), "webhook-timestamp": timestamp}
    )
    with pytest.raises(WebhookSignatureError, match="whole unix seconds") as caught:
        verify_webhook(headers, BODY, KEY, now=START)
    assert len(str(caught.value)) < 300  # the message does not quote 4,301 digits


def test_a_zero_padded_timestamp_signed_as_sent_is_taken() -> None:
    delivery = verify_webhook(spec_headers("000" + UNIX), BODY, KEY, now=START)
    assert delivery.signed_at == START


def test_padding_a_signed_timestamp_breaks_the_signature() -> None:
    headers = sign_webhook("msg_1", BODY, KEY, at=START)
    assert headers == spec_headers(UNIX)
    for padded in ("0" + UNIX, "00000" + UNIX):
        with pytest.raises(WebhookSignatureError, match="no webhook signature matches"):
            verify_webhook({**headers, "webhook-timestamp": padded}, BODY, KEY, now=START)


# -- secrets and tolerances -------------------------------------------------------------


def whsec(size: int) -> str:
    return "whsec_" + base64.b64encode(b"s" * size).decode()


@pytest.mark.parametrize(
    "secret",
    [b"s" * 23, whsec(23), b"s" * 65, whsec(65), whsec(1)],
    ids=["23 bytes", "whsec 23", "65 bytes", "whsec 65", "whsec 1"],
)
def test_a_secret_outside_24_to_64_bytes_is_refused_everywhere(secret: bytes | str) -> None:
    headers = spec_headers(UNIX)
    with pytest.raises(ValidationError, match="24 to 64 bytes"):
        verify_webhook(headers, BODY, secret, now=START)
    with pytest.raises(ValidationError, match="24 to 64 bytes"):
        sign_webhook("msg_1", BODY, secret, at=START)
    with pytest.raises(ValidationError, match="24 to 64 bytes"):
        WebhookNotifier("https://app.example/hooks", secret)


@pytest.mark.parametrize(
    "secret",
    [b"s" * 24, whsec(24), b"s" * 64, whsec(64)],
    ids=["24 bytes", "whsec 24", "64 bytes", "whsec 64"],
)
def test_secrets_of_24_and_64_bytes_are_taken(secret: bytes | str) -> None:
    headers = sign_webhook("msg_1", BODY, secret, at=START)
    assert verify_webhook(headers, BODY, secret, now=START).id == "msg_1"


@pytest.mark.parametrize(
    "tolerance",
    [
        timedelta(0),
        timedelta(minutes=-5),
        timedelta(milliseconds=500),
        timedelta(days=2),
        timedelta.max,
        300,
        "5m",
    ],
)
def test_a_tolerance_that_cannot_work_is_refused(tolerance: Any) -> None:
    headers = spec_headers(UNIX)
    with pytest.raises(ValidationError, match="tolerance must be a timedelta"):
        verify_webhook(headers, BODY, KEY, now=START, tolerance=tolerance)
    with pytest.raises(ValidationError, match="tolerance must be a timedelta"):
        feedback_from_webhook(headers, BODY, KEY, now=START, tolerance=tolerance)


def test_tolerances_of_one_second_and_one_day_are_taken() -> None:
    headers = spec_headers(UNIX)
    verify_webhook(
        headers, BODY, KEY, now=START + timedelta(seconds=1), tolerance=timedelta(seconds=1)
    )
    verify_webhook(headers, BODY, KEY, now=START - timedelta(days=1), tolerance=timedelta(days=1))


# -- careless input -----------------------------------------------------------------------


def test_a_str_body_is_a_webhook_error() -> None:
    with pytest.raises(WebhookSignatureError, match="raw bytes"):
        verify_webhook(spec_headers(UNIX), BODY.decode(), KEY, now=START)  # type: ignore[arg-type]
    with pytest.raises(WebhookSignatureError, match="raw bytes"):
        feedback_from_webhook(spec_headers(UNIX), BODY.decode(), KEY, now=START)  # type: ignore[arg-type]


def test_bytes_header_values_are_a_webhook_error() -> None:
    raw = {k.encode(): v.encode() for k, v in spec_headers(UNIX).items()}
    with pytest.raises(WebhookSignatureError, match="not str"):
        verify_webhook(raw, BODY, KEY, now=START)  # type: ignore[arg-type]
    values = {k: v.encode() for k, v in spec_headers(UNIX).items()}
    with pytest.raises(WebhookSignatureError, match="not str"):
        feedback_from_webhook(values, BODY, KEY, now=START)  # type: ignore[arg-type]


@pytest.mark.parametrize("headers", [None, "webhook-id: msg_1", [("webhook-id", "msg_1")], 7])
def test_headers_that_are_no_mapping_are_a_webhook_error(headers: Any) -> None:
    """Before: AttributeError ('NoneType' object has no attribute 'items')."""
    with pytest.raises(WebhookSignatureError, match="headers must map header names"):
        verify_webhook(headers, BODY, KEY, now=START)
    with pytest.raises(WebhookSignatureError, match="headers must map header names"):
        feedback_from_webhook(headers, BODY, KEY, now=START)


@pytest.mark.parametrize(
    ("webhook_id", "match"), [("m" * 257, "257 characters"), ("msg\n1", "line break")]
)
def test_a_webhook_id_closedloop_cannot_keep_is_a_signature_error(
    webhook_id: str, match: str
) -> None:
    """Before: it verified, and feedback_from_webhook blamed the body."""
    headers = spec_headers(UNIX, webhook_id=webhook_id)
    with pytest.raises(WebhookSignatureError, match=match):
        feedback_from_webhook(headers, BODY, KEY, now=START)


def test_a_webhook_id_of_256_characters_is_taken() -> None:
    headers = spec_headers(UNIX, webhook_id="m" * 256)
    assert feedback_from_webhook(headers, BODY, KEY, now=START).external_id == "m" * 256


def test_sign_webhook_refuses_an_instant_no_unix_timestamp_can_carry() -> None:
    """Before: 1960 gave a negative timestamp its own verify_webhook refused."""
    with pytest.raises(ValidationError, match="before 1970"):
        sign_webhook("msg_1", BODY, KEY, at=START.replace(year=1960))
    with pytest.raises(ValidationError, match="years 1900 to 2999"):
        sign_webhook("msg_1", BODY, KEY, at=START.replace(year=1))


def test_a_subject_that_would_break_an_email_makes_no_case() -> None:
    """Before: the case was made and its acknowledgement became a dead letter at dispatch."""
    body = json.dumps({"customer": "m@example.com", "text": "hi", "subject": "Hi\r\nBcc: x@y"})
    store = InMemoryStore()
    desk = Desk(
        store, SmtpNotifier("127.0.0.1", 9, sender="care@example.com"), clock=ManualClock(START)
    )
    with pytest.raises(WebhookPayloadError):
        desk.listen(
            feedback_from_webhook(spec_headers(UNIX, body.encode()), body.encode(), KEY, now=START)
        )
    assert desk.cases_of("m@example.com") == []
