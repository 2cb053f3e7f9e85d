"""The customer's side of the example helpdesk: the status page a link in the acknowledgement
opens, and inbound email (replies, out-of-office messages, bounces) posted by your mail
provider as a signed webhook whose body is the raw message."""

from __future__ import annotations

import html
import json
import urllib.parse
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler

from closedloop import (
    CustomerView,
    Desk,
    LifecycleError,
    StatusLinkError,
    WebhookError,
    read_email,
    verify_webhook,
)

Send = Callable[[BaseHTTPRequestHandler, HTTPStatus, bytes, str, "str | None"], None]

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}"
    "li{margin:.4rem 0}.you{color:#1b4f8a}.muted{color:#555}textarea{width:100%}"
)


def _page(title: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
        f"content='width=device-width'><title>{html.escape(title)}</title><style>{_STYLE}"
        f"</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode()


def _when(at: datetime | None) -> str:
    return "" if at is None else f"{at:%A %d %B %Y, %H:%M %Z}"


def status_html(view: CustomerView, token: str, note: str = "") -> bytes:
    """The status page: where the case is, who has it, what happens next, the story."""
    e = html.escape
    story = "".join(
        f"<li class='{'you' if entry.by_customer else 'us'}'><span class='muted'>"
        f"{entry.at:%d %b %H:%M}</span> {e(entry.what)}"
        + (f"<br>{e(entry.text)}" if entry.text else "")
        + "</li>"
        for entry in view.entries
    )
    promises = "".join(
        f"<li>{e(p.what)}, by {_when(p.due_by)}: "
        + ("kept" if p.kept_at is not None else "open")
        + (" (late)" if p.late else "")
        + "</li>"
        for p in view.promises
    )
    action = f"/status/{urllib.parse.quote(token, safe='')}"
    next_line = (
        f"<p><b>Next:</b> {e(view.next_step)}"
        + (f" by {_when(view.next_by)}" if view.next_by else "")
        + "</p>"
        if view.next_step
        else ""
    )
    forms = ""
    if view.open:
        forms = (
            f"<form method='post' action='{action}'><p><label>Write to us<br>"
            "<textarea name='text' rows='3' required></textarea></label></p>"
            "<button name='do' value='write'>Send</button></form>"
        )
    elif view.reopen_until is not None:
        forms = (
            f"<form method='post' action='{action}'><p><label>Not resolved? Tell us why "
            f"(until {_when(view.reopen_until)})<br><textarea name='text' rows='3' required>"
            "</textarea></label></p><button name='do' value='not_resolved'>Not resolved"
            "</button></form>"
        )
    body = (
        (f"<p class='note'>{e(note)}</p>" if note else "")
        + f"<p><b>Your reference:</b> {e(view.reference)}<br><b>About:</b> {e(view.matter)}</p>"
        + f"<p><b>Where it is:</b> {e(view.stage)}<br><b>Who has it:</b> {e(view.who)}</p>"
        + next_line
        + (f"<h2>Promises</h2><ul>{promises}</ul>" if promises else "")
        + f"<h2>So far</h2><ul>{story}</ul>{forms}"
        + f"<p class='muted'>This link works until {_when(view.expires_at)}.</p>"
    )
    return _page("Your case", body)


def _invalid(request: BaseHTTPRequestHandler, error: StatusLinkError, send: Send) -> None:
    """A link forged, cut short, expired or revoked: say why, show nothing of any case."""
    body = _page("Link not valid", f"<p>{html.escape(str(error))}</p>")
    send(request, HTTPStatus.NOT_FOUND, body, "text/html; charset=utf-8", None)


def status_get(desk: Desk, request: BaseHTTPRequestHandler, token: str, send: Send) -> None:
    try:
        view = desk.portal.view(token)
    except StatusLinkError as error:
        _invalid(request, error, send)
        return
    send(request, HTTPStatus.OK, status_html(view, token), "text/html; charset=utf-8", None)


def status_post(
    desk: Desk, request: BaseHTTPRequestHandler, token: str, form: dict[str, str], send: Send
) -> None:
    text = form.get("text", "").strip()
    try:
        if form.get("do") == "not_resolved":
            view = desk.portal.not_resolved(token, text or "Not resolved")
            note = "Thank you: we have reopened your case."
        else:
            view = desk.portal.write(token, text)
            note = "Thank you: we have your message."
    except StatusLinkError as error:
        _invalid(request, error, send)
        return
    except LifecycleError as error:
        view = desk.portal.view(token)
        send(
            request,
            HTTPStatus.CONFLICT,
            status_html(view, token, str(error)),
            "text/html; charset=utf-8",
            None,
        )
        return
    send(request, HTTPStatus.OK, status_html(view, token, note), "text/html; charset=utf-8", None)


def email_webhook(
    desk: Desk,
    request: BaseHTTPRequestHandler,
    body: bytes,
    secret: str | bytes,
    now: datetime,
    send: Send,
) -> None:
    """A raw email (RFC 5322 bytes) posted by the mail provider, signed like other webhooks."""
    try:
        delivery = verify_webhook(dict(request.headers.items()), body, secret, now=now)
    except WebhookError as error:
        send(request, HTTPStatus.UNAUTHORIZED, str(error).encode(), "text/plain", None)
        return
    receipt = desk.inbox.receive(read_email(delivery.body))
    answer = {
        "outcome": receipt.outcome.value,
        "case_id": receipt.case.id if receipt.case is not None else None,
        "key": receipt.key,
    }
    send(request, HTTPStatus.ACCEPTED, json.dumps(answer).encode(), "application/json", None)
