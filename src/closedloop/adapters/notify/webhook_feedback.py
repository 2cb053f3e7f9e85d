"""Feedback from a signed webhook: :func:`feedback_from_webhook`.

It checks the request (:func:`~closedloop.adapters.notify.signatures.verify_webhook`) and turns
its JSON into :class:`~closedloop.Feedback` whose ``external_id`` is the delivery id, so a
redelivered webhook makes no second case.

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

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from closedloop.adapters.notify.signatures import Secret, short_repr, verify_webhook
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.errors import ValidationError, WebhookPayloadError

__all__ = ["feedback_from_webhook"]

_FEEDBACK_FIELDS = frozenset({"customer", "text", "score", "kind", "subject", "received_at"})


def _payload_error(problem: str, field: str = "body") -> WebhookPayloadError:
    return WebhookPayloadError.of(
        field,
        f"webhook body {problem}; send a JSON object like "
        '{"customer": "mary@example.com", "text": "...", "kind": "complaint", '
        '"score": 3, "received_at": "2026-11-23T09:00:00+00:00"} '
        "(customer required; text or score)",
    )


# A score is 0 to 10; a longer number is a mistake, and past 4,300 digits int() raises.
_MAX_NUMBER_CHARS = 20
# Fields that end up in a one-line place (an email header, a log line).
_SINGLE_LINE = frozenset({"customer", "subject", "kind", "received_at"})


def _optional_str(data: Mapping[str, Any], field: str) -> str | None:
    value = data.get(field)
    if value is not None and not isinstance(value, str):
        raise _payload_error(f"has {field!r} as {type(value).__name__}, not a string")
    if value is not None and field in _SINGLE_LINE and not value.isprintable():
        raise _payload_error(f"has {field!r} with a line break or control character")
    return value


def _number(text: str) -> int:
    if len(text) > _MAX_NUMBER_CHARS:
        raise _payload_error(f"has a number of {len(text)} digits")
    return int(text)


def _constant(name: str) -> float:
    raise _payload_error(f"has {name}, which is not JSON")


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"), parse_int=_number, parse_constant=_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _payload_error(f"is not UTF-8 JSON ({exc})") from exc
    except RecursionError as exc:
        raise _payload_error("nests too deeply") from exc
    if not isinstance(data, dict):
        raise _payload_error(f"is a JSON {type(data).__name__}, not an object")
    return data


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
    ``received_at`` defaults to ``now``. A body that is not that JSON, or not feedback
    closedloop takes (a score out of range, a line break in the subject or customer), raises
    :class:`~closedloop.WebhookPayloadError` (a :class:`~closedloop.WebhookError` and a
    :class:`~closedloop.ValidationError`).
    """
    delivery = verify_webhook(headers, body, secret, now=now, tolerance=tolerance)
    data = _json_object(delivery.body)
    unknown = sorted(set(data) - _FEEDBACK_FIELDS)
    if unknown:
        raise _payload_error(f"has fields closedloop does not read: {', '.join(unknown)}")
    customer = _optional_str(data, "customer")
    if customer is None:
        raise _payload_error("has no 'customer'")
    kind_name = _optional_str(data, "kind")
    if kind_name is None:
        kind_name = FeedbackKind.COMPLAINT.value
    try:
        kind = FeedbackKind(kind_name)
    except ValueError as exc:
        choices = ", ".join(k.value for k in FeedbackKind)
        raise _payload_error(f"has kind {short_repr(kind_name)}; kind is one of {choices}") from exc
    received = _optional_str(data, "received_at")
    if received is None:
        received_at = now
    else:
        try:
            received_at = datetime.fromisoformat(received)
        except ValueError as exc:
            raise _payload_error(f"has received_at {short_repr(received)}, not ISO-8601") from exc
        if received_at.tzinfo is None:
            raise _payload_error(
                f"has received_at {short_repr(received)} without a UTC offset; add one, e.g. +00:00"
            )
    try:
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
    except ValidationError as exc:  # the body's fault, unless the channel argument is
        field = "channel" if exc.field == "channel" else "body"
        raise _payload_error(f"is not feedback closedloop takes ({exc})", field) from exc
