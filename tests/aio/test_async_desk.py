"""AsyncDesk: every call of the Desk and its areas, awaitable, with the same results and
errors, never run on the event loop's thread."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import inspect
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import Any

import pytest

from closedloop import (
    CaseNotFoundError,
    ClosedLoopError,
    ConcurrencyError,
    Desk,
    Notification,
    Queue,
    Stage,
    StepNotAllowedError,
    ValidationError,
)
from closedloop.aio import AsyncDesk
from closedloop.domain.change import Write
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback

AREAS = [
    name
    for name, member in vars(Desk).items()
    if isinstance(member, cached_property) and not name.startswith("_")
]


def _public_methods(cls: type) -> list[str]:
    return [name for name, _ in inspect.getmembers(cls, inspect.isfunction) if name[0] != "_"]


def _desk(store: InMemoryStore | None = None) -> Desk:
    return Desk(
        store if store is not None else InMemoryStore(),
        RecordingNotifier(),
        clock=ManualClock(START),
        ids=SequentialIds(),
    )


def _run(body: Callable[[AsyncDesk], Coroutine[Any, Any, Any]], desk: Desk | None = None) -> Any:
    async def main() -> Any:
        async with AsyncDesk(desk if desk is not None else _desk()) as adesk:
            return await body(adesk)

    return asyncio.run(main())


def test_every_public_call_of_the_desk_and_its_areas_has_an_awaitable_counterpart() -> None:
    desk = _desk()
    adesk = AsyncDesk(desk)
    pairs: list[tuple[str, object, object]] = [("desk", desk, adesk)]
    pairs += [(f"desk.{area}", getattr(desk, area), getattr(adesk, area)) for area in AREAS]
    assert len(pairs) == 12  # the desk and its eleven areas
    missing, extra = [], []
    for path, sync, aio in pairs:
        for name in _public_methods(type(sync)):
            counterpart = getattr(aio, name, None)
            same = inspect.iscoroutinefunction(counterpart) and inspect.signature(
                counterpart
            ) == inspect.signature(getattr(sync, name))
            if not same:
                missing.append(f"{path}.{name}")
        own = {"aclose", "closed", "desk"} if aio is adesk else set()
        for name in dir(type(aio)):
            if not name.startswith("_") and not hasattr(sync, name) and name not in own:
                extra.append(f"{path}.{name}")
    assert missing == []
    assert extra == []
    assert adesk.policy is desk.policy
    assert adesk.desk is desk


def test_calls_run_on_the_pool_never_on_the_loop_thread() -> None:
    threads: set[int] = set()
    names: set[str] = set()

    class Recording(InMemoryStore):
        def get(self, case_id: str) -> Any:
            threads.add(threading.get_ident())
            names.add(threading.current_thread().name)
            return super().get(case_id)

        def commit(self, change: Write) -> None:
            threads.add(threading.get_ident())
            super().commit(change)

    async def body(adesk: AsyncDesk) -> int:
        case = await adesk.listen(make_feedback())
        await asyncio.gather(*(adesk.get(case.id) for _ in range(20)))
        await adesk.acknowledge(case.id, by="amy")
        await adesk.conversation.note(case.id, "called back", by="amy")
        return threading.get_ident()

    loop_thread = _run(body, _desk(Recording()))
    assert threads
    assert loop_thread not in threads
    assert all(name.startswith("closedloop-aio") for name in names)


def test_results_and_errors_are_the_sync_desks() -> None:
    """The same script on two identical desks, one called directly and one awaited."""

    def script(call: Callable[..., Any]) -> list[object]:
        seen: list[object] = []
        for path, args, kwargs in [
            ("listen", (make_feedback(),), {}),
            ("thank", ("case-1",), {"by": "amy"}),  # StepNotAllowedError
            ("acknowledge", ("case-1",), {"by": "amy", "expected_version": 7}),  # stale
            ("acknowledge", ("case-1",), {"by": "amy"}),
            ("get", ("case-404",), {}),  # CaseNotFoundError
            ("conversation.reply", ("case-1", ""), {"by": "amy"}),  # ValidationError
            ("conversation.reply", ("case-1", "On it"), {"by": "amy"}),
            ("queue", (Queue.IN_PROGRESS,), {}),
            ("outbox.dispatch", (), {}),
            ("standards.status", ("case-1",), {}),
            ("customers.link", ("mary@example.com", "+441130000000"), {"by": "amy"}),
            ("customers.cases", ("mary@example.com",), {}),
            ("sweep", (), {}),
        ]:
            try:
                seen.append(call(path, *args, **kwargs))
            except ClosedLoopError as error:
                seen.append((type(error), str(error)))
        return seen

    def resolve(root: object, path: str) -> Any:
        for part in path.split("."):
            root = getattr(root, part)
        return root

    sync_desk = _desk()
    expected = script(lambda path, *a, **k: resolve(sync_desk, path)(*a, **k))

    async def body(adesk: AsyncDesk) -> list[object]:
        loop = asyncio.get_running_loop()

        def call(path: str, *args: Any, **kwargs: Any) -> Any:
            # the script is sync; each awaited call is driven from a worker of its own
            return asyncio.run_coroutine_threadsafe(
                resolve(adesk, path)(*args, **kwargs), loop
            ).result()

        return await asyncio.to_thread(script, call)

    got = _run(body)
    assert got == expected
    kinds = {item[0] for item in got if isinstance(item, tuple) and len(item) == 2}
    assert {StepNotAllowedError, ConcurrencyError, CaseNotFoundError, ValidationError} <= kinds


def test_the_callers_context_variables_reach_the_store() -> None:
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    seen: list[str] = []

    class Recording(InMemoryStore):
        def commit(self, change: Write) -> None:
            seen.append(request_id.get("none"))
            super().commit(change)

    async def handle(adesk: AsyncDesk, rid: str) -> None:
        request_id.set(rid)
        await adesk.listen(make_feedback(customer=f"{rid}@example.com"))

    async def body(adesk: AsyncDesk) -> None:
        await asyncio.gather(*(handle(adesk, f"r{n}") for n in range(5)))

    _run(body, _desk(Recording()))
    assert sorted(seen) == ["r0", "r1", "r2", "r3", "r4"]


def test_a_closed_desk_refuses_calls_and_closing_twice_is_harmless() -> None:
    async def main() -> None:
        adesk = AsyncDesk(_desk(), max_workers=2)
        case = await adesk.listen(make_feedback())
        await adesk.aclose()
        await adesk.aclose()
        assert adesk.closed
        with pytest.raises(RuntimeError, match="AsyncDesk is closed"):
            await adesk.get(case.id)
        with pytest.raises(RuntimeError, match="AsyncDesk is closed"):
            await adesk.outbox.dispatch()
        assert adesk.desk.get(case.id).id == case.id  # the store is the host's, still open

    asyncio.run(main())


def test_aclose_leaves_the_hosts_executor_open_and_waits_for_running_calls() -> None:
    with ThreadPoolExecutor(2) as executor:

        async def main() -> None:
            adesk = AsyncDesk(_desk(), executor=executor)
            calls = [
                asyncio.ensure_future(adesk.listen(make_feedback(customer=f"c{n}")))
                for n in range(10)
            ]
            await asyncio.sleep(0)
            await adesk.aclose()
            await asyncio.gather(*calls)  # the ten queued before aclose all ran
            assert len(adesk.desk.unanswered()) == 10

        asyncio.run(main())
        assert executor.submit(lambda: 1).result() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_workers": 0}, "max_workers"),
        ({"max_workers": 2000}, "max_workers"),
        ({"max_workers": True}, "max_workers"),
        ({"max_workers": "8"}, "max_workers"),
        ({"executor": object()}, "executor"),
    ],
)
def test_bad_settings_are_refused_with_the_field_named(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AsyncDesk(_desk(), **kwargs)
    assert caught.value.field == field


def test_only_a_desk_can_be_wrapped() -> None:
    with pytest.raises(ValidationError, match="build one with Desk"):
        AsyncDesk(InMemoryStore())  # type: ignore[arg-type]


def test_a_cancelled_call_still_completes_all_or_nothing() -> None:
    """A request abandoned while its step runs: the step commits, and aclose waits for it."""
    entered, release = threading.Event(), threading.Event()

    class Slow(InMemoryStore):
        def commit(self, change: Write) -> None:
            entered.set()
            release.wait(10)
            super().commit(change)

    desk = _desk(Slow())

    async def main() -> None:
        adesk = AsyncDesk(desk)
        call = asyncio.ensure_future(adesk.listen(make_feedback()))
        await asyncio.to_thread(entered.wait, 10)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        release.set()
        await adesk.aclose()

    asyncio.run(main())
    assert [case.id for case in desk.unanswered()] == ["case-1"]


def _slow_mail_desk() -> tuple[Desk, threading.Event, threading.Event]:
    """A desk whose deliveries set ``entered`` and then wait for ``release``: a dispatch
    holds a worker for as long as the test likes."""
    entered, release = threading.Event(), threading.Event()

    class SlowMail:
        def send(self, notification: Notification) -> None:
            entered.set()
            release.wait(10)

    desk = Desk(InMemoryStore(), SlowMail(), clock=ManualClock(START), ids=SequentialIds())
    return desk, entered, release


@pytest.mark.parametrize("hosts_executor", [False, True], ids=["own-pool", "hosts-executor"])
def test_a_call_cancelled_while_queued_still_runs_and_aclose_waits_for_it(
    hosts_executor: bool,
) -> None:
    """A step queued behind a slow delivery on the only worker, its request abandoned before
    it started: it runs all the same (run_in_executor would drop it), and aclose waits."""
    desk, entered, release = _slow_mail_desk()

    async def main(executor: ThreadPoolExecutor | None) -> None:
        adesk = AsyncDesk(desk, executor=executor) if executor else AsyncDesk(desk, max_workers=1)
        case = await adesk.listen(make_feedback())
        await adesk.acknowledge(case.id, by="amy")
        busy = asyncio.ensure_future(adesk.outbox.dispatch())
        await asyncio.to_thread(entered.wait, 10)  # the only worker is delivering
        step = asyncio.ensure_future(adesk.take_action(case.id, by="amy", summary="Refunded"))
        await asyncio.sleep(0)  # the step is made, and queued behind the delivery
        step.cancel()
        with pytest.raises(asyncio.CancelledError):
            await step
        release.set()
        await adesk.aclose()
        assert desk.get(case.id).stage is Stage.ACTION_TAKEN
        assert (await busy).sent

    if hosts_executor:
        with ThreadPoolExecutor(1) as executor:
            asyncio.run(main(executor))
    else:
        asyncio.run(main(None))


def test_a_cancelled_call_that_fails_logs_no_unretrieved_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nobody awaits the error of an abandoned call: asyncio must not log it as never
    retrieved (the shield around the call leaves that to us)."""
    desk, entered, release = _slow_mail_desk()

    async def main() -> None:
        async with AsyncDesk(desk, max_workers=1) as adesk:
            case = await adesk.listen(make_feedback())
            await adesk.acknowledge(case.id, by="amy")
            busy = asyncio.ensure_future(adesk.outbox.dispatch())
            await asyncio.to_thread(entered.wait, 10)
            lookup = asyncio.ensure_future(adesk.get("case-404"))
            await asyncio.sleep(0)
            lookup.cancel()
            await asyncio.gather(lookup, return_exceptions=True)
            release.set()
            await busy

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        asyncio.run(main())
        gc.collect()
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []
