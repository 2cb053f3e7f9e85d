"""A JSON helpdesk API on Starlette, awaiting closedloop through AsyncDesk.

Signed webhooks open cases (``POST /webhooks/feedback``); agents read a case
(``GET /cases/{id}``) and take each LATTE step (``POST /cases/{id}/{step}`` with the version
they saw); ``POST /jobs`` runs the sweep and delivers the outbox; ``GET /report`` is the
insights report of the last 30 days. No call blocks the event loop: every Desk call is
awaited on AsyncDesk's threads.

Run it:  python app.py --db asgi.db --port 8000   (needs starlette and uvicorn)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from closedloop import (
    Case,
    CaseNotFoundError,
    ClosedLoopError,
    ConcurrencyError,
    Desk,
    LifecycleError,
    Notifier,
    SQLiteStore,
    StepRefusedError,
    ValidationError,
    WebhookError,
    WebhookPayloadError,
    feedback_from_webhook,
)
from closedloop.aio import AsyncDesk
from closedloop.insights import render_html, render_text
from closedloop.ports import CaseStore, Clock

# What each step reads from the JSON body, beyond "by" and "expected_version".
_STEPS: dict[str, tuple[str, ...]] = {
    "acknowledge": (),
    "take_action": ("summary",),
    "decline": ("reason", "category"),
    "thank": (),
    "explain": ("what_failed", "what_changes", "root_cause"),
    "reopen": ("reason",),
}
# Those of them a step cannot do without.
_REQUIRED = {"take_action": ("summary",), "decline": ("reason",),
             "explain": ("what_failed", "what_changes"), "reopen": ("reason",)}  # fmt: skip


def make_app(
    store: CaseStore,
    notifier: Notifier,
    *,
    webhook_secret: str,
    clock: Clock | None = None,
    max_workers: int = 8,
    jobs_every: float | None = None,
) -> Starlette:
    """The app. ``jobs_every`` seconds: run the sweep and the outbox in the background."""
    desk = Desk(store, notifier, clock=clock)
    now: Callable[[], datetime] = clock.now if clock is not None else _utcnow
    adesk = AsyncDesk(desk, max_workers=max_workers)

    async def webhook(request: Request) -> Response:
        body = await request.body()
        try:
            feedback = feedback_from_webhook(request.headers, body, webhook_secret, now=now())
        except WebhookPayloadError as error:  # signed, but not feedback: a bad request
            return PlainTextResponse(str(error), status_code=400)
        except WebhookError as error:  # not signed by the sender we trust
            return PlainTextResponse(str(error), status_code=401)
        case = await adesk.listen(feedback)  # a redelivery returns the same case
        return JSONResponse({"case_id": case.id}, status_code=202)

    async def case(request: Request) -> Response:
        case_id = request.path_params["case_id"]
        found, deadlines = await asyncio.gather(
            adesk.get(case_id), adesk.standards.deadlines(case_id)
        )
        return JSONResponse(
            _case_json(found)
            | {
                "deadlines": [
                    {"target": d.target.value, "rag": d.rag.value, "due_at": _iso(d.due_at)}
                    for d in deadlines
                ]
            }
        )

    async def step(request: Request) -> Response:
        case_id, name = request.path_params["case_id"], request.path_params["step"]
        if name not in _STEPS:
            raise ValidationError(f"unknown step {name!r}; steps: {', '.join(_STEPS)}")
        data = await _json(request)
        version = data.get("expected_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValidationError("send the expected_version you saw (an integer)")
        missing = [f for f in _REQUIRED.get(name, ()) if data.get(f) is None]
        if missing:  # bad input: a 422 naming it, as the Desk's own ValidationErrors are
            raise ValidationError.of(missing[0], f"{name} needs {' and '.join(missing)}")
        fields = {f: data[f] for f in _STEPS[name] if data.get(f) is not None}
        take: Callable[..., Awaitable[Case]] = getattr(adesk, name)
        moved = await take(case_id, by=data.get("by", "agent"), expected_version=version, **fields)
        return JSONResponse(_case_json(moved))

    async def reply(request: Request) -> Response:
        data = await _json(request)
        moved = await adesk.conversation.reply(
            request.path_params["case_id"],
            data.get("text", ""),
            by=data.get("by", "agent"),
        )
        return JSONResponse(_case_json(moved))

    async def jobs(request: Request) -> Response:
        swept = await adesk.sweep()
        sent = await adesk.outbox.dispatch()
        return JSONResponse({"escalated": len(swept.escalated), "sent": len(sent.sent)})

    async def report(request: Request) -> Response:
        until = now()
        insights = await adesk.reports.insights(
            until - timedelta(days=30), until + timedelta(seconds=1)
        )
        if request.query_params.get("format") == "text":
            return PlainTextResponse(render_text(insights))
        return Response(render_html(insights, title="Helpdesk report"), media_type="text/html")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        timer = asyncio.create_task(_every(jobs_every, adesk)) if jobs_every else None
        try:
            yield
        finally:
            if timer is not None:
                timer.cancel()
            await adesk.aclose()  # waits for calls still running; the store is ours to close

    def errors(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
        async def handle(request: Request, error: Exception) -> Response:
            return JSONResponse({"error": type(error).__name__, "message": str(error)}, status)

        return handle

    app = Starlette(
        routes=[
            Route("/webhooks/feedback", webhook, methods=["POST"]),
            Route("/cases/{case_id}", case),
            Route("/cases/{case_id}/reply", reply, methods=["POST"]),
            Route("/cases/{case_id}/{step}", step, methods=["POST"]),
            Route("/jobs", jobs, methods=["POST"]),
            Route("/report", report),
        ],
        lifespan=lifespan,
        exception_handlers={
            CaseNotFoundError: errors(404),
            ConcurrencyError: errors(409),  # someone changed the case: reload, try again
            StepRefusedError: errors(422),  # the step refused what was sent (an empty summary)
            LifecycleError: errors(409),  # a step not allowed at this stage
            ValidationError: errors(422),
            ClosedLoopError: errors(500),
        },
    )
    app.state.adesk = adesk
    return app


async def _every(seconds: float, adesk: AsyncDesk) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await adesk.sweep()
            await adesk.outbox.dispatch()
        except ClosedLoopError as error:  # keep the timer alive; say why
            print(f"jobs failed: {error}")


async def _json(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise ValidationError("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ValidationError("the body must be a JSON object")
    return data


def _case_json(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "customer": case.customer,
        "stage": case.stage.value,
        "version": case.version,
        "owner": case.owner,
        "next_steps": [s.value for s in case.allowed_steps()],
    }


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _utcnow() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


def main() -> None:
    import uvicorn

    from closedloop.adapters.notify.log import LogNotifier

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="asgi.db")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between jobs")
    args = parser.parse_args()
    secret = os.environ["HELPDESK_WEBHOOK_SECRET"]
    with SQLiteStore(args.db) as store:
        app = make_app(store, LogNotifier(), webhook_secret=secret, jobs_every=args.interval)
        uvicorn.run(app, host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
