"""What every async call shares: a bounded pool of threads the sync Desk runs on, and the
typed helper that turns a sync method into an awaitable one with the same signature."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, overload

from closedloop.domain.errors import ValidationError

__all__ = ["Runner", "Wrapper", "awaitable"]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")


class Runner:
    """Runs sync calls on at most ``max_workers`` threads and awaits them on the loop.

    Calls beyond ``max_workers`` wait their turn in the pool's queue; none runs on the loop's
    thread. Each call runs in a copy of the caller's ``contextvars`` context, as
    ``asyncio.to_thread`` does. A call, once made, runs to its end even if the task awaiting
    it is cancelled, queued or not: the task stops waiting, and :meth:`aclose` waits for the
    call. An ``executor`` given by the host is used as it is and left open by :meth:`aclose`.
    """

    def __init__(self, max_workers: int, executor: Executor | None) -> None:
        if executor is None:
            if isinstance(max_workers, bool) or not isinstance(max_workers, int):
                raise ValidationError.of(
                    "max_workers", f"max_workers must be an int, got {max_workers!r}"
                )
            if not 1 <= max_workers <= 1024:
                raise ValidationError.of(
                    "max_workers",
                    f"max_workers must be 1 to 1024 threads, got {max_workers}; use 1 for a "
                    "store that must be called from one thread at a time",
                )
            executor = ThreadPoolExecutor(max_workers, thread_name_prefix="closedloop-aio")
            self.owned = True
        elif not isinstance(executor, Executor):
            raise ValidationError.of(
                "executor",
                f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}",
            )
        else:
            self.owned = False
        self.executor = executor
        self.closed = False
        self._calls: set[Future[Any]] = set()  # made and not yet ended, for aclose
        self._lock = threading.Lock()

    async def run(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """``fn(*args, **kwargs)`` on a worker thread; its result, or its exception."""
        if self.closed:
            raise RuntimeError("this AsyncDesk is closed (aclose() was called); make a new one")
        context = contextvars.copy_context()

        def call() -> R:
            return context.run(fn, *args, **kwargs)

        future = self.executor.submit(call)
        with self._lock:
            self._calls.add(future)
        future.add_done_callback(self._ended)
        # Shielded: run_in_executor would cancel a call still queued when its task is
        # cancelled, so a step the caller made would silently never happen.
        waited = asyncio.wrap_future(future)
        waited.add_done_callback(_retrieved)
        return await asyncio.shield(waited)

    def _ended(self, future: Future[Any]) -> None:
        with self._lock:
            self._calls.discard(future)

    async def aclose(self) -> None:
        """Refuse new calls, and wait for the ones already queued or running to end (those
        whose awaiting task was cancelled too)."""
        if self.closed:
            return
        self.closed = True
        with self._lock:
            calls = list(self._calls)
        loop = asyncio.get_running_loop()
        if self.owned:
            await loop.run_in_executor(None, functools.partial(self.executor.shutdown, wait=True))
        elif calls:
            await loop.run_in_executor(None, wait_for, calls)


def _retrieved(waited: asyncio.Future[Any]) -> None:
    """Mark the error of a call nobody awaits any more (its task was cancelled) as seen, as
    ``run_in_executor`` left it: else asyncio logs "Future exception was never retrieved"."""
    if not waited.cancelled():
        waited.exception()


class Wrapper(Generic[S]):
    """An async view of a sync object ``S`` (the Desk, or one of its areas)."""

    def __init__(self, target: S, runner: Runner) -> None:
        self._target = target
        self._runner = runner


class awaitable(Generic[S, P, R]):
    """``name = awaitable(Sync.name)`` in the body of a :class:`Wrapper` of ``Sync``: the
    attribute is an ``async`` function with the sync method's parameters (for mypy too), which
    runs ``Sync.name`` on the runner's threads and returns its result or raises its error."""

    def __init__(self, method: Callable[Concatenate[S, P], R]) -> None:
        self.method = method
        self.name: str = method.__name__
        self.__doc__ = method.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        if name != self.name:
            raise TypeError(f"{owner.__name__}.{name} wraps {self.name}: give it the same name")

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(
        self, obj: Wrapper[S], owner: type | None = None
    ) -> Callable[P, Coroutine[Any, Any, R]]: ...
    def __get__(
        self, obj: Wrapper[S] | None, owner: type | None = None
    ) -> Self | Callable[P, Coroutine[Any, Any, R]]:
        if obj is None:
            return self
        bound: Callable[P, R] = getattr(obj._target, self.name)
        runner = obj._runner

        @functools.wraps(bound)
        async def call(*args: P.args, **kwargs: P.kwargs) -> R:
            return await runner.run(bound, *args, **kwargs)

        return call
