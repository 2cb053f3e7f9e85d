"""Webhooks both ways, signed per Standard Webhooks (https://www.standardwebhooks.com/).

Out: :class:`WebhookNotifier` POSTs each notification to your application as JSON.
In: :func:`verify_webhook` checks a signed request, and :func:`feedback_from_webhook` turns
one into :class:`~closedloop.Feedback` whose ``external_id`` is the delivery id, so a
redelivered webhook makes no second case.

Every request carries three headers: ``webhook-id`` (the delivery id, the same on every
retry), ``webhook-timestamp`` (unix seconds) and ``webhook-signature``: ``v1,`` and the
base64 HMAC-SHA256, keyed by the secret, of ``"{webhook-id}.{webhook-timestamp}.{body}"``.
The secret is bytes, or the Standard Webhooks string ``whsec_`` + base64 of those bytes.

The JSON a :class:`WebhookNotifier` sends (stable; fields are only ever added)::

    {"key": "case-1/2/acknowledgement",    # the idempotency key; also the webhook-id
     "case_id": "case-1",                  # "" for a survey invitation without a case
     "invitation_id": null,                # the survey invitation, if any
     "to": "mary@example.com",             # the customer or staff member it is for
     "channel": "web_form",                # where the reply should go
     "purpose": "acknowledgement",
     "subject": "...", "body": "...",
     "created_at": "2026-11-23T09:20:00+00:00"}

The JSON :func:`feedback_from_webhook` reads::

    {"customer": "mary@example.com",       # required
     "text": "...",                        # text or score, or both
     "score": 3,                           # optional, 0..10
     "kind": "complaint",                  # optional: complaint (default), question,
                                           #   suggestion, compliment
     "subject": "...",                     # optional
     "received_at": "2026-11-23T09:00:00+00:00"}  # optional, with an offset; default: now
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from http.client import HTTPException
from typing import Any

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.errors import (
    NaiveDatetimeError,
    NotifierError,
    ValidationError,
    WebhookPayloadError,
    WebhookSignatureError,
    WebhookTimestampError,
)
from closedloop.domain.outbox.notification import Notification

__all__ = [
    "WebhookDelivery",
    "WebhookNotifier",
    "feedback_from_webhook",
    "notification_payload",
    "sign_webhook",
    "verify_webhook",
]

#: A webhook secret: raw bytes, or ``"whsec_" + base64(bytes)``.
Secret = bytes | str

_PREFIX = "whsec_"
_FEEDBACK_FIELDS = frozenset({"customer", "text", "score", "kind", "subject", "received_at"})


def _secret_bytes(secret: Secret) -> bytes:
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
        "webhook-signature": "v1," + _signature(_secret_bytes(secret), webhook_id, timestamp, body),
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
    key = _secret_bytes(secret)
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


def _payload_error(problem: str) -> WebhookPayloadError:
    return WebhookPayloadError(
        f"webhook body {problem}; send a JSON object like "
        '{"customer": "mary@example.com", "text": "...", "kind": "complaint", '
        '"score": 3, "received_at": "2026-11-23T09:00:00+00:00"} '
        "(customer required; text or score)"
    )


def _optional_str(data: Mapping[str, Any], field: str) -> str | None:
    value = data.get(field)
    if value is not None and not isinstance(value, str):
        raise _payload_error(f"has {field!r} as {type(value).__name__}, not a string")
    return value


def feedback_from_webhook(
    headers: Mapping[str, str],
    body: bytes,
    secret: Secret,
    *,
    now: datetime,
    channel: Channel = Channel.WEB_FORM,
    tolerance: timedelta = timedelta(minutes=5),
) -> Feedback:
    """Verify a signed webhook (:func:`verify_webhook`) and read the feedback it carries.

    The body is the JSON object described in this module's documentation. The feedback's
    ``external_id`` is the ``webhook-id``, so ``Desk.listen`` returns the same case when the
    sender redelivers. ``channel`` is where the feedback arrived (and where replies go);
    ``received_at`` defaults to ``now``. A body that is not that JSON raises
    :class:`~closedloop.WebhookPayloadError` (a :class:`~closedloop.ValidationError`).
    """
    delivery = verify_webhook(headers, body, secret, now=now, tolerance=tolerance)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _payload_error(f"is not UTF-8 JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise _payload_error(f"is a JSON {type(data).__name__}, not an object")
    unknown = sorted(set(data) - _FEEDBACK_FIELDS)
    if unknown:
        raise _payload_error(f"has fields closedloop does not read: {', '.join(unknown)}")
    customer = _optional_str(data, "customer")
    if customer is None:
        raise _payload_error("has no 'customer'")
    kind_name = _optional_str(data, "kind")
    try:
        kind = FeedbackKind(kind_name) if kind_name is not None else FeedbackKind.COMPLAINT
    except ValueError as exc:
        choices = ", ".join(k.value for k in FeedbackKind)
        raise _payload_error(f"has kind {kind_name!r}; kind is one of {choices}") from exc
    received = _optional_str(data, "received_at")
    if received is None:
        received_at = now
    else:
        try:
            received_at = datetime.fromisoformat(received)
        except ValueError as exc:
            raise _payload_error(f"has received_at {received!r}, not ISO-8601") from exc
        if received_at.tzinfo is None:
            raise _payload_error(
                f"has received_at {received!r} without a UTC offset; add one, e.g. +00:00"
            )
    return Feedback(
        customer=customer,
        channel=channel,
        received_at=received_at,
        text=_optional_str(data, "text") or "",
        kind=kind,
        score=data.get("score"),
        external_id=delivery.id,
        subject=_optional_str(data, "subject"),
    )


def notification_payload(notification: Notification) -> dict[str, str | None]:
    """The JSON object :class:`WebhookNotifier` sends for ``notification``."""
    return {
        "key": notification.key,
        "case_id": notification.case_id,
        "invitation_id": notification.invitation_id,
        "to": notification.to,
        "channel": notification.channel.name,
        "purpose": notification.purpose,
        "subject": notification.subject,
        "body": notification.body,
        "created_at": notification.created_at.isoformat(),
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would turn a redirected POST into a bodiless GET and call it a success.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookNotifier:
    """A :class:`~closedloop.ports.Notifier` that POSTs each notification to ``url`` as
    JSON (:func:`notification_payload`), signed with ``secret`` per Standard Webhooks.

    The ``webhook-id`` is the notification's idempotency key, the same on every retry:
    drop repeats by it. Any response other than 2xx (redirects included), a refused
    connection or no answer within ``timeout`` seconds raises
    :class:`~closedloop.NotifierError`, and the outbox retries. ``clock`` gives the
    signing time in unix seconds (``time.time`` unless told otherwise).
    """

    def __init__(
        self,
        url: str,
        secret: Secret,
        *,
        timeout: float = 10.0,
        clock: Callable[[], float] | None = None,
        headers: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise ValidationError(f"webhook url must be http:// or https://, got {url!r}")
        if timeout <= 0:
            raise ValidationError(f"timeout must be a positive number of seconds, got {timeout}")
        self.url = url
        self.timeout = timeout
        self.clock = clock
        self.headers = dict(headers or {})
        self._key = _secret_bytes(secret)
        handlers: list[urllib.request.BaseHandler] = [_NoRedirects()]
        if ssl_context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=ssl_context))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        return f"WebhookNotifier({self.url!r})"

    def request(self, notification: Notification) -> urllib.request.Request:
        """The signed request for ``notification``, without sending it."""
        body = json.dumps(
            notification_payload(notification), ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
        now = (self.clock if self.clock is not None else time.time)()
        signed = sign_webhook(
            notification.key, body, self._key, at=datetime.fromtimestamp(int(now), UTC)
        )
        headers = {
            **self.headers,
            "Content-Type": "application/json",
            "User-Agent": "closedloop",
            **signed,
        }
        return urllib.request.Request(self.url, data=body, headers=headers, method="POST")

    def send(self, notification: Notification) -> None:
        """POST ``notification``; raise :class:`~closedloop.NotifierError` unless a 2xx
        answer came back."""
        request = self.request(notification)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as exc:
            exc.close()
            raise NotifierError(
                notification.key, f"{self.url} answered HTTP {exc.code} {exc.reason}"
            ) from exc
        except (OSError, HTTPException) as exc:  # refused, reset, timed out, garbled
            raise NotifierError(
                notification.key, f"POST {self.url} failed: {type(exc).__name__}: {exc}"
            ) from exc
        if not 200 <= status < 300:
            raise NotifierError(notification.key, f"{self.url} answered HTTP {status}")
