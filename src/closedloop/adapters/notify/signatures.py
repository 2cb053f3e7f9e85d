"""Standard Webhooks signatures (https://www.standardwebhooks.com/), for webhooks both ways.

Every request carries three headers: ``webhook-id`` (the delivery id, the same on every
retry), ``webhook-timestamp`` (unix seconds) and ``webhook-signature``: ``v1,`` and the
base64 HMAC-SHA256, keyed by the secret, of ``"{webhook-id}.{webhook-timestamp}.{body}"``.
The secret is bytes, or the Standard Webhooks string ``whsec_`` + base64 of those bytes.

:class:`~closedloop.adapters.notify.webhooks.WebhookNotifier` signs what it sends with
:func:`sign_webhook`; :func:`verify_webhook` checks a request that arrives, and
:func:`~closedloop.adapters.notify.webhook_feedback.feedback_from_webhook` reads feedback
from one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import attrs

from closedloop.domain.errors import (
    NaiveDatetimeError,
    ValidationError,
    WebhookSignatureError,
    WebhookTimestampError,
)

__all__ = ["Secret", "WebhookDelivery", "secret_key", "sign_webhook", "verify_webhook"]

#: A webhook secret: raw bytes, or ``"whsec_" + base64(bytes)``.
Secret = bytes | str

_PREFIX = "whsec_"


def secret_key(secret: Secret) -> bytes:
    """The key bytes of ``secret``; a :class:`~closedloop.ValidationError` if it is malformed."""
    if isinstance(secret, bytes | bytearray):
        key = bytes(secret)
    elif isinstance(secret, str) and secret.startswith(_PREFIX):
        try:
            key = base64.b64decode(secret[len(_PREFIX) :], validate=True)
        except binascii.Error as exc:
            raise ValidationError(
                "a webhook secret string must be 'whsec_' followed by base64; "
                "the part after 'whsec_' is not valid base64"
            ) from exc
    else:
        got = (
            "a str without the whsec_ prefix" if isinstance(secret, str) else type(secret).__name__
        )
        raise ValidationError(
            f"a webhook secret must be bytes or a 'whsec_<base64>' string, got {got}"
        )
    if not key:
        raise ValidationError("a webhook secret must not be empty; use 24 to 64 random bytes")
    return key


def _signature(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def _unix(at: datetime, field: str) -> int:
    if at.tzinfo is None or at.utcoffset() is None:
        raise NaiveDatetimeError(field)
    return int(at.timestamp())


def sign_webhook(webhook_id: str, body: bytes, secret: Secret, *, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for sending ``body`` as delivery ``webhook_id``,
    signed at ``at`` (timezone-aware; sent as whole unix seconds)."""
    if not webhook_id or any(c in webhook_id for c in "\r\n"):
        raise ValidationError(f"webhook_id must be a non-empty single line, got {webhook_id!r}")
    timestamp = _unix(at, "at")
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + _signature(secret_key(secret), webhook_id, timestamp, body),
    }


@attrs.frozen
class WebhookDelivery:
    """A webhook whose signature and timestamp checked out."""

    id: str
    signed_at: datetime
    body: bytes


def _header(headers: Mapping[str, str], name: str) -> str:
    values = {v for k, v in headers.items() if k.lower() == name}
    if not values:
        raise WebhookSignatureError(
            f"the {name} header is missing; a signed webhook carries webhook-id, "
            "webhook-timestamp and webhook-signature (Standard Webhooks)"
        )
    if len(values) > 1:
        raise WebhookSignatureError(f"the {name} header was sent more than once, differently")
    (value,) = values
    value = value.strip()
    if not value:
        raise WebhookSignatureError(f"the {name} header is empty")
    return value


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    secret: Secret,
    *,
    now: datetime,
    tolerance: timedelta = timedelta(minutes=5),
) -> WebhookDelivery:
    """Check a signed webhook; return its delivery id and signing time, or raise.

    ``headers`` are looked up case-insensitively; ``body`` must be the raw bytes received
    (not re-encoded JSON). The signature must match one of the space-separated ``v1,``
    signatures (compared in constant time): otherwise, or when a header is missing,
    :class:`~closedloop.WebhookSignatureError`. A correctly signed webhook whose timestamp
    is more than ``tolerance`` before or after ``now`` raises
    :class:`~closedloop.WebhookTimestampError` (a replay, or a skewed clock).
    """
    now_unix = _unix(now, "now")
    key = secret_key(secret)
    webhook_id = _header(headers, "webhook-id")
    raw_timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not raw_timestamp.isascii() or not raw_timestamp.isdigit():
        raise WebhookSignatureError(
            f"webhook-timestamp must be whole unix seconds, got {raw_timestamp!r}"
        )
    timestamp = int(raw_timestamp)
    expected = _signature(key, webhook_id, timestamp, body).encode("ascii")
    candidates = [
        s.removeprefix("v1,").encode("ascii", "replace")
        for s in signatures.split()
        if s.startswith("v1,")
    ]
    if not candidates:
        raise WebhookSignatureError(
            "webhook-signature has no 'v1,<base64>' signature; only v1 (HMAC-SHA256) is supported"
        )
    matched = False
    for candidate in candidates:  # compare with every one: no early exit on a match
        matched |= hmac.compare_digest(candidate, expected)
    if not matched:
        raise WebhookSignatureError(
            "no webhook signature matches the body; check that the secret is the one "
            "the sender signs with and that the body is the raw bytes received"
        )
    limit = int(tolerance.total_seconds())
    if abs(now_unix - timestamp) > limit:
        raise WebhookTimestampError(timestamp, now_unix, limit)
    return WebhookDelivery(
        id=webhook_id, signed_at=datetime.fromtimestamp(timestamp, UTC), body=body
    )
