"""Standard Webhooks signatures (https://www.standardwebhooks.com/), for webhooks both ways.

Every request carries three headers: ``webhook-id`` (the delivery id, the same on every
retry), ``webhook-timestamp`` (unix seconds) and ``webhook-signature``: ``v1,`` and the
base64 HMAC-SHA256, keyed by the secret, of ``"{webhook-id}.{webhook-timestamp}.{body}"``
with the two headers' text exactly as sent. The secret is 24 to 64 bytes, or the Standard
Webhooks string ``whsec_`` + base64 of those bytes.

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

from closedloop.domain.checks import MAX_KEY, require_aware
from closedloop.domain.errors import (
    ValidationError,
    WebhookSignatureError,
    WebhookTimestampError,
)

__all__ = [
    "MAX_TOLERANCE",
    "SECRET_BYTES",
    "Secret",
    "WebhookDelivery",
    "secret_key",
    "sign_webhook",
    "verify_webhook",
]

#: A webhook secret: raw bytes, or ``"whsec_" + base64(bytes)``.
Secret = bytes | str

_PREFIX = "whsec_"
#: Standard Webhooks: a symmetric secret is 24 to 64 random bytes.
SECRET_BYTES = (24, 64)
#: The widest replay window :func:`verify_webhook` takes; wider ones defeat its purpose.
MAX_TOLERANCE = timedelta(days=1)
# Unix seconds have 12 digits until the year 33658; allow zero padding, refuse the absurd.
_MAX_TIMESTAMP_CHARS = 32


def secret_key(secret: Secret) -> bytes:
    """The key bytes of ``secret``; a :class:`~closedloop.ValidationError` if it is malformed
    or not 24 to 64 bytes long (Standard Webhooks)."""
    if isinstance(secret, bytes | bytearray):
        key = bytes(secret)
    elif isinstance(secret, str) and secret.startswith(_PREFIX):
        try:
            key = base64.b64decode(secret[len(_PREFIX) :], validate=True)
        except binascii.Error as exc:
            raise ValidationError.of(
                "secret",
                "a webhook secret string must be 'whsec_' followed by base64; "
                "the part after 'whsec_' is not valid base64",
            ) from exc
    else:
        got = (
            "a str without the whsec_ prefix" if isinstance(secret, str) else type(secret).__name__
        )
        raise ValidationError.of(
            "secret", f"a webhook secret must be bytes or a 'whsec_<base64>' string, got {got}"
        )
    low, high = SECRET_BYTES
    if not key:
        raise ValidationError.of(
            "secret", f"a webhook secret must not be empty; use {low} to {high} random bytes"
        )
    if not low <= len(key) <= high:
        raise ValidationError.of(
            "secret",
            f"a webhook secret must be {low} to {high} bytes (Standard Webhooks), got "
            f"{len(key)}; make one with 'whsec_' + base64 of secrets.token_bytes(32)",
        )
    return key


def _check_tolerance(tolerance: object) -> int:
    if (
        not isinstance(tolerance, timedelta)
        or not timedelta(seconds=1) <= tolerance <= MAX_TOLERANCE
    ):
        raise ValidationError.of(
            "tolerance",
            f"tolerance must be a timedelta from 1 second to {MAX_TOLERANCE} (the replay "
            f"window; Standard Webhooks suggests 5 minutes), got {tolerance!r}",
        )
    return int(tolerance.total_seconds())


def _signature(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def _unix(at: object, field: str) -> int:
    return int(require_aware(field, at).timestamp())


def short_repr(value: str) -> str:
    """``repr(value)``, cut short if long: error messages may quote what a sender sent."""
    return repr(value) if len(value) <= 40 else f"{value[:20]!r}... ({len(value)} characters)"


def sign_webhook(webhook_id: str, body: bytes, secret: Secret, *, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for sending ``body`` as delivery ``webhook_id``,
    signed at ``at`` (timezone-aware; sent as whole unix seconds)."""
    if not isinstance(webhook_id, str) or not webhook_id or any(c in webhook_id for c in "\r\n"):
        raise ValidationError.of(
            "webhook_id", f"webhook_id must be a non-empty single line, got {webhook_id!r}"
        )
    if not isinstance(body, bytes | bytearray):
        raise ValidationError.of(
            "body", f"body must be bytes, got {type(body).__name__}; encode it first"
        )
    unix = _unix(at, "at")
    if unix < 0:
        raise ValidationError.of(
            "at", f"at must not be before 1970 (a webhook timestamp is unix seconds), got {at}"
        )
    timestamp = str(unix)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1,"
        + _signature(secret_key(secret), webhook_id, timestamp, bytes(body)),
    }


@attrs.frozen
class WebhookDelivery:
    """A webhook whose signature and timestamp checked out."""

    id: str
    """The `webhook-id` header: the sender's id for the delivery, the same on every retry."""
    signed_at: datetime
    """When it was signed (the `webhook-timestamp` header), in UTC."""
    body: bytes
    """The request body, exactly as signed."""


def _pairs(headers: object) -> list[tuple[object, object]]:
    """The (name, value) pairs of ``headers``: a dict, or any mapping-like headers object."""
    items = getattr(headers, "items", None)
    try:
        if not callable(items):
            raise TypeError
        return [(key, value) for key, value in items()]
    except (TypeError, ValueError):
        raise WebhookSignatureError(
            "headers must map header names to their text (a dict, or your framework's "
            f"headers object), got {type(headers).__name__}"
        ) from None


def _header(pairs: list[tuple[object, object]], name: str) -> str:
    values = set()
    for key, value in pairs:
        label = key.decode("latin-1") if isinstance(key, bytes | bytearray) else key
        if not isinstance(label, str) or label.lower() != name:
            continue
        if not isinstance(value, str):
            raise WebhookSignatureError(
                f"the {name} header is {type(value).__name__}, not str; "
                "pass the request's headers decoded as text (latin-1 for raw bytes)"
            )
        values.add(value.strip())
    if not values:
        raise WebhookSignatureError(
            f"the {name} header is missing; a signed webhook carries webhook-id, "
            "webhook-timestamp and webhook-signature (Standard Webhooks)"
        )
    if len(values) > 1:
        raise WebhookSignatureError(f"the {name} header was sent more than once, differently")
    (value,) = values
    if not value:
        raise WebhookSignatureError(f"the {name} header is empty")
    if any(c in value for c in "\r\n"):
        raise WebhookSignatureError(f"the {name} header holds a line break")
    return value


def _matches(signatures: str, expected: bytes) -> bool:
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
    return matched


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    secret: Secret,
    *,
    now: datetime,
    tolerance: timedelta = timedelta(minutes=5),
) -> WebhookDelivery:
    """Check a signed webhook; return its delivery id and signing time, or raise.

    ``headers`` are looked up case-insensitively, their values text; ``body`` must be the raw
    bytes received (not re-encoded JSON). The signature covers the headers' text as sent and
    must match one of the space-separated ``v1,`` signatures (compared in constant time):
    otherwise, or when a header is missing or malformed, :class:`~closedloop.WebhookSignatureError`.
    A correctly signed webhook whose timestamp is more than ``tolerance`` (1 second to 1 day)
    before or after ``now`` raises :class:`~closedloop.WebhookTimestampError` (a replay, or a
    skewed clock). A secret or tolerance that cannot work raises
    :class:`~closedloop.ValidationError`.
    """
    limit = _check_tolerance(tolerance)
    now_unix = _unix(now, "now")
    key = secret_key(secret)
    if not isinstance(body, bytes | bytearray):
        raise WebhookSignatureError(
            f"the body must be the raw bytes received, got {type(body).__name__}; "
            "decoding or re-encoding it can change what was signed"
        )
    pairs = _pairs(headers)
    webhook_id = _header(pairs, "webhook-id")
    raw_timestamp = _header(pairs, "webhook-timestamp")
    signatures = _header(pairs, "webhook-signature")
    if len(webhook_id) > MAX_KEY:
        raise WebhookSignatureError(
            f"webhook-id is {len(webhook_id)} characters long; closedloop keeps it as the "
            f"feedback's external id, which may have at most {MAX_KEY}"
        )
    if (
        not raw_timestamp.isascii()
        or not raw_timestamp.isdigit()
        or len(raw_timestamp) > _MAX_TIMESTAMP_CHARS
    ):
        raise WebhookSignatureError(
            f"webhook-timestamp must be whole unix seconds (at most {_MAX_TIMESTAMP_CHARS} "
            f"digits), got {short_repr(raw_timestamp)}"
        )
    expected = _signature(key, webhook_id, raw_timestamp, bytes(body)).encode("ascii")
    if not _matches(signatures, expected):
        raise WebhookSignatureError(
            "no webhook signature matches the body; check that the secret is the one "
            "the sender signs with and that the body is the raw bytes received"
        )
    timestamp = int(raw_timestamp)
    if abs(now_unix - timestamp) > limit:
        raise WebhookTimestampError(timestamp, now_unix, limit)
    try:
        signed_at = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, ValueError, OSError) as exc:  # within a day of year 1 or 9999
        raise WebhookTimestampError(timestamp, now_unix, limit) from exc
    return WebhookDelivery(id=webhook_id, signed_at=signed_at, body=bytes(body))
