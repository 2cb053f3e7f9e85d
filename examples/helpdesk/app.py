"""A small helpdesk on closedloop, with nothing but the standard library.

Customers write through a web form or a signed webhook; agents take each case through
Listen, Acknowledge, Take action, Thank, Explain; a timer sweeps late cases and dispatches
the outbox; /report shows where standards are broken. Run it:

    python app.py --db helpdesk.db --port 8000
"""

from __future__ import annotations

import argparse
import html
import json
import os
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import attrs
import customer_side
import queue_pages
from staff_pages import STEP_FIELDS, error_page, page, quoted, step_form

from closedloop import (
    CaseNotFoundError,
    Channel,
    ClosedLoopError,
    ConcurrencyError,
    Desk,
    Feedback,
    FeedbackKind,
    Notifier,
    Policy,
    SmtpNotifier,
    SQLiteStore,
    StatusLinks,
    Step,
    Templates,
    ValidationError,
    WebhookError,
    WebhookNotifier,
    WebhookPayloadError,
    feedback_from_webhook,
)
from closedloop.adapters.notify.log import LogNotifier
from closedloop.insights import render_html
from closedloop.ports import Clock


class Helpdesk:
    """The app: a Desk, an HTTP server in front of it, and a timer for the jobs."""

    def __init__(
        self,
        store: SQLiteStore,
        notifier: Notifier,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        clock: Clock | None = None,
        webhook_secret: str | bytes | None = None,
        status_secret: str | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.webhook_secret = webhook_secret
        self.server = ThreadingHTTPServer((host, port), self._handler())
        policy = Policy()
        if status_secret is not None:  # acknowledgements carry a link to /status/<token>
            links = StatusLinks(secret=status_secret, url=f"{self.url}/status/{{token}}")
            text = Templates().acknowledgement + "\nFollow your case here: $status_link\n"
            policy = Policy(status_links=links, templates=Templates(acknowledgement=text))
        policy = attrs.evolve(policy, teams=queue_pages.TEAMS, assignment=queue_pages.ASSIGNMENT)
        self.desk = Desk(store, notifier, clock=clock, policy=policy)
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = self.server.server_address[0]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{self.server.server_port}"

    def now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    # -- the jobs ----------------------------------------------------------------------

    def tick(self) -> tuple[int, int]:
        """Sweep late cases, then deliver the outbox: (escalated, sent)."""
        swept = self.desk.sweep()
        sent = self.desk.outbox.dispatch()
        return len(swept.escalated), len(sent.sent)

    def start_timer(self, every: float) -> None:
        """Run :meth:`tick` every ``every`` seconds in a background thread."""

        def loop() -> None:
            while not self._stop.wait(every):
                try:
                    self.tick()
                except ClosedLoopError as error:  # keep the timer alive; say why
                    print(f"tick failed: {error}", flush=True)

        self._timer = threading.Thread(target=loop, name="closedloop-jobs", daemon=True)
        self._timer.start()

    def serve_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
        if self._timer is not None:
            self._timer.join()

    # -- HTTP --------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        app = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet by default
                return

            def do_GET(self) -> None:
                app.route(self, "GET")

            def do_POST(self) -> None:
                app.route(self, "POST")

        return Handler

    def route(self, request: BaseHTTPRequestHandler, method: str) -> None:
        path = urllib.parse.urlsplit(request.path).path.rstrip("/") or "/"
        parts = path.strip("/").split("/")
        routes: dict[tuple[str, str], Callable[[BaseHTTPRequestHandler], None]] = {
            ("GET", "/"): self.cases_page,
            ("GET", "/feedback"): self.feedback_form,
            ("POST", "/feedback"): self.feedback_posted,
            ("POST", "/webhooks/feedback"): self.webhook,
            ("POST", "/webhooks/email"): self.email,
            ("GET", "/report"): self.report,
        }
        try:
            if (method, path) in routes:
                routes[method, path](request)
            elif len(parts) == 2 and parts[0] == "status":
                self.status(request, method, urllib.parse.unquote(parts[1]))
            elif method == "GET" and len(parts) == 2 and parts[0] == "cases":
                self.case_page(request, parts[1])
            elif method == "POST" and len(parts) == 3 and parts[0] == "cases":
                self.step(request, parts[1], parts[2])
            else:
                self.send(request, HTTPStatus.NOT_FOUND, page("Not found", ""))
        except CaseNotFoundError as error:
            self.send(request, HTTPStatus.NOT_FOUND, error_page(error))
        except ConcurrencyError as error:
            self.send(request, HTTPStatus.CONFLICT, error_page(error))
        except ClosedLoopError as error:
            self.send(request, HTTPStatus.BAD_REQUEST, error_page(error))

    @staticmethod
    def send(
        request: BaseHTTPRequestHandler,
        status: HTTPStatus,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        location: str | None = None,
    ) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        if location is not None:
            request.send_header("Location", location)
        request.end_headers()
        request.wfile.write(body)

    @staticmethod
    def body(request: BaseHTTPRequestHandler) -> bytes:
        return request.rfile.read(int(request.headers.get("Content-Length") or 0))

    def form(self, request: BaseHTTPRequestHandler) -> dict[str, str]:
        fields = urllib.parse.parse_qs(self.body(request).decode(), keep_blank_values=True)
        return {name: values[-1].strip() for name, values in fields.items()}

    # -- pages -------------------------------------------------------------------------

    def cases_page(self, request: BaseHTTPRequestHandler) -> None:
        unanswered = len(self.desk.unanswered())
        query = urllib.parse.urlsplit(request.path).query
        body = f"<p>{unanswered} unanswered.</p>{queue_pages.case_list(self.desk, query)}"
        self.send(request, HTTPStatus.OK, page("Open cases", body))

    def feedback_form(self, request: BaseHTTPRequestHandler) -> None:
        kinds = "".join(f"<option>{k.value}</option>" for k in FeedbackKind)
        topics = "".join(f"<option>{t}</option>" for t in queue_pages.TOPICS)
        body = (
            "<form method='post' action='/feedback'>"
            "<p><label>Your email <input name='customer' required></label></p>"
            f"<p><label>About <select name='kind'>{kinds}</select></label> <label>Topic "
            f"<select name='topic'>{topics}</select></label></p>"
            "<p><label>Message<br><textarea name='text' rows='5' cols='60' required>"
            "</textarea></label></p><p><button>Send</button></p></form>"
        )
        self.send(request, HTTPStatus.OK, page("Tell us", body))

    def feedback_posted(self, request: BaseHTTPRequestHandler) -> None:
        form = self.form(request)
        try:
            kind = FeedbackKind(form.get("kind", "complaint"))
        except ValueError:
            raise ValidationError(f"unknown kind {form.get('kind')!r}") from None
        case = self.desk.listen(
            Feedback(
                customer=form.get("customer", ""), channel=Channel.WEB_FORM,
                received_at=self.now(), text=form.get("text", ""), kind=kind,
                tags=[form["topic"]] if form.get("topic") else [],
            )
        )  # fmt: skip
        due = [d.due_at for d in self.desk.standards.deadlines(case.id) if d.due_at is not None]
        when = f" You will hear from us by {min(due):%A %d %B, %H:%M %Z}." if due else ""
        body = f"<p>Thank you: we have your message (case {html.escape(case.id)}).{when}</p>"
        self.send(request, HTTPStatus.CREATED, page("Thank you", body))

    def webhook(self, request: BaseHTTPRequestHandler) -> None:
        if self.webhook_secret is None:
            raise ValidationError("this helpdesk takes no webhooks: start it with a secret")
        try:
            feedback = feedback_from_webhook(
                dict(request.headers.items()), self.body(request), self.webhook_secret,
                now=self.now(),
            )  # fmt: skip
        except WebhookPayloadError as error:  # signed, but not feedback: a bad request
            self.send(request, HTTPStatus.BAD_REQUEST, str(error).encode(), "text/plain")
            return
        except WebhookError as error:  # not signed by the sender we trust
            self.send(request, HTTPStatus.UNAUTHORIZED, str(error).encode(), "text/plain")
            return
        case = self.desk.listen(feedback)  # a redelivery returns the same case
        answer = json.dumps({"case_id": case.id}).encode()
        self.send(request, HTTPStatus.ACCEPTED, answer, "application/json")

    def email(self, request: BaseHTTPRequestHandler) -> None:
        if self.webhook_secret is None:
            raise ValidationError("this helpdesk takes no webhooks: start it with a secret")
        body = self.body(request)
        customer_side.email_webhook(
            self.desk, request, body, self.webhook_secret, self.now(), self.send
        )

    def status(self, request: BaseHTTPRequestHandler, method: str, token: str) -> None:
        if method == "GET":
            customer_side.status_get(self.desk, request, token, self.send)
        else:
            customer_side.status_post(self.desk, request, token, self.form(request), self.send)

    def case_page(self, request: BaseHTTPRequestHandler, case_id: str) -> None:
        case = self.desk.get(case_id)
        history = "".join(
            f"<tr><td>{e.at:%Y-%m-%d %H:%M}</td><td>{type(e).__name__}</td>"
            f"<td>{html.escape(e.by)}</td></tr>"
            for e in case.events
        )
        deadlines = "".join(
            f"<li class='{d.rag.value}'>{d.target.value}: due "
            f"{'(waiting for the customer)' if d.due_at is None else f'{d.due_at:%Y-%m-%d %H:%M}'}"
            f" — {d.rag.value.upper()}</li>"
            for d in self.desk.standards.deadlines(case_id)
        )
        forms = "".join(
            step_form(case.id, case.version, step)
            for step in case.allowed_steps()
            if step in STEP_FIELDS
        )
        messages = "".join(
            f"<blockquote>{html.escape(m.text)} <small>({m.channel.name})</small></blockquote>"
            for m in case.messages
        )
        body = (
            f"<p>{html.escape(case.customer)} · {case.kind.value} · "
            f"{case.stage.name.lower()} · team {html.escape(case.team or 'none')} · owner "
            f"{html.escape(case.owner or 'nobody')} · version {case.version}</p>{messages}"
            f"<h2>Deadlines</h2><ul>{deadlines or '<li>none: the loop is closed</li>'}</ul>"
            f"<h2>Next steps</h2>{forms or '<p>None.</p>'}{queue_pages.hand_off_form(case)}"
            f"<h2>History</h2><table>{history}</table>"
        )
        self.send(request, HTTPStatus.OK, page(case.subject, body))

    def step(self, request: BaseHTTPRequestHandler, case_id: str, name: str) -> None:
        if name == "hand_off":
            queue_pages.hand_off(self.desk, case_id, self.form(request))
            self.send(request, HTTPStatus.SEE_OTHER, b"", location=f"/cases/{quoted(case_id)}")
            return
        try:
            step = Step(name)
        except ValueError:
            raise ValidationError(f"unknown step {name!r}") from None
        if step not in STEP_FIELDS:
            raise ValidationError(f"{name!r} is not a step agents take here")
        form = self.form(request)
        by = form.get("by") or "agent"
        try:
            version: int | None = int(form["expected_version"])
        except (KeyError, ValueError):
            raise ValidationError("the form must carry the version you saw") from None
        fields = {f: form.get(f, "") for f in STEP_FIELDS[step]}
        desk = self.desk
        if step is Step.ACKNOWLEDGE:
            desk.acknowledge(case_id, by=by, expected_version=version)
        elif step is Step.TAKE_ACTION:
            desk.take_action(case_id, by=by, summary=fields["summary"], expected_version=version)
        elif step is Step.DECLINE:
            desk.decline(
                case_id, by=by, reason=fields["reason"], category=fields["category"] or "other",
                asked=fields["asked"] or None, expected_version=version,
            )  # fmt: skip
        elif step is Step.THANK:
            desk.thank(case_id, by=by, expected_version=version)
        elif step is Step.EXPLAIN:
            desk.explain(
                case_id, by=by, what_failed=fields["what_failed"],
                what_changes=fields["what_changes"], root_cause=fields["root_cause"] or None,
                expected_version=version,
            )  # fmt: skip
        else:
            desk.reopen(case_id, reason=fields["reason"], by=by, expected_version=version)
        self.send(request, HTTPStatus.SEE_OTHER, b"", location=f"/cases/{quoted(case_id)}")

    def report(self, request: BaseHTTPRequestHandler) -> None:
        now = self.now()
        insights = self.desk.reports.insights(now - timedelta(days=30), now + timedelta(seconds=1))
        self.send(request, HTTPStatus.OK, render_html(insights, title="Helpdesk report").encode())


def _notifier(args: argparse.Namespace) -> Notifier:
    if args.smtp:
        host, _, port = args.smtp.partition(":")
        staff = args.staff or args.sender  # every staff role the ladder names, one mailbox
        return SmtpNotifier(
            host, int(port or 25), sender=args.sender, reply_to=args.sender,
            address_of=lambda role: staff,
        )  # fmt: skip
    if args.webhook_url:
        secret = os.environ.get("HELPDESK_NOTIFY_SECRET")
        if not secret:
            raise SystemExit("set HELPDESK_NOTIFY_SECRET (whsec_...) to sign outgoing webhooks")
        return WebhookNotifier(args.webhook_url, secret)
    return LogNotifier()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", type=Path, default=Path("helpdesk.db"), help="SQLite file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between jobs")
    parser.add_argument("--smtp", metavar="HOST:PORT", help="send email through this server")
    parser.add_argument("--sender", default="support@example.com", help="From and Reply-To")
    parser.add_argument("--staff", help="mailbox for escalations and staff alerts (--sender)")
    parser.add_argument("--webhook-url", help="POST notifications to your app instead")
    args = parser.parse_args(argv)
    secret = os.environ.get("HELPDESK_WEBHOOK_SECRET")
    status_secret = os.environ.get("HELPDESK_STATUS_SECRET")
    store = SQLiteStore(args.db)
    app = Helpdesk(
        store, _notifier(args), host=args.host, port=args.port, webhook_secret=secret,
        status_secret=status_secret,
    )  # fmt: skip
    app.start_timer(args.interval)
    print(f"helpdesk on {app.url} (database {args.db}); Ctrl-C to stop", flush=True)
    try:
        app.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
        store.close()


if __name__ == "__main__":
    main()
