"""WebhookNotifier: POST each notification to your application as JSON, signed per Standard
Webhooks (:mod:`closedloop.adapters.notify.signatures`).

The JSON a :class:`WebhookNotifier` sends (stable; fields are only ever added)::

    {"key": "case-1/2/acknowledgement",    # the idempotency key; also the webhook-id
     "case_id": "case-1",                  # "" for a survey invitation without a case
     "invitation_id": null,                # the survey invitation, if any
     "to": "mary@example.com",             # the customer or staff member it is for
     "channel": "web_form",                # where the reply should go
     "purpose": "acknowledgement",
     "subject": "...", "body": "...",
     "created_at": "2026-11-23T09:20:00+00:00"}
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http.client import HTTPException
from typing import Any

from closedloop.adapters.notify.signatures import Secret, secret_key, sign_webhook
from closedloop.domain.errors import NotifierError, ValidationError
from closedloop.domain.hostevents.envelope import HostEvent
from closedloop.domain.outbox.notification import Notification

__all__ = ["WebhookNotifier", "notification_payload"]


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

    It is an event handler too (``Desk(..., events=Subscribe(webhook))``): each host event
    is POSTed as its JSON (:meth:`~closedloop.HostEvent.to_dict`), its ``webhook-id`` the
    event's ``id``, signed and retried the same way.
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
            raise ValidationError.of("url", f"webhook url must be http:// or https://, got {url!r}")
        if timeout <= 0:
            raise ValidationError.of(
                "timeout", f"timeout must be a positive number of seconds, got {timeout}"
            )
        self.url = url
        """Where notifications are POSTed (http or https)."""
        self.timeout = timeout
        """Seconds a delivery may take."""
        self.clock = clock
        """Gives the signing time in unix seconds; None for `time.time`."""
        self.headers = dict(headers or {})
        """Extra headers sent with every request."""
        self._key = secret_key(secret)
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
        return self._signed(notification.key, body)

    def event_request(self, event: HostEvent) -> urllib.request.Request:
        """The signed request for a host event, without sending it."""
        return self._signed(event.id, event.to_json().encode("utf-8"))

    def _signed(self, key: str, body: bytes) -> urllib.request.Request:
        now = (self.clock if self.clock is not None else time.time)()
        signed = sign_webhook(key, body, self._key, at=datetime.fromtimestamp(int(now), UTC))
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
        self._post(notification.key, self.request(notification))

    def handle_event(self, event: HostEvent) -> None:
        """POST the host event; raise :class:`~closedloop.NotifierError` unless a 2xx
        answer came back."""
        self._post(event.id, self.event_request(event))

    def _post(self, key: str, request: urllib.request.Request) -> None:
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as exc:
            exc.close()
            raise NotifierError(key, f"{self.url} answered HTTP {exc.code} {exc.reason}") from exc
        except (OSError, HTTPException) as exc:  # refused, reset, timed out, garbled
            raise NotifierError(
                key, f"POST {self.url} failed: {type(exc).__name__}: {exc}"
            ) from exc
        if not 200 <= status < 300:
            raise NotifierError(key, f"{self.url} answered HTTP {status}")
