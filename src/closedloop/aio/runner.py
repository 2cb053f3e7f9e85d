"""What every async call shares: a bounded pool of threads the sync Desk runs on, and the
typed helper that turns a sync method into an awaitable one with the same signature."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor, ThreadPoolExecutor
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
    ``asyncio.to_thread`` does. An ``executor`` given by the host is used as it is and left
    open by :meth:`aclose`.
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

    async def run(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """``fn(*args, **kwargs)`` on a worker thread; its result, or its exception."""
        if self.closed:
            raise RuntimeError("this AsyncDesk is closed (aclose() was called); make a new one")
        context = contextvars.copy_context()

        def call() -> R:
            return context.run(fn, *args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    async def aclose(self) -> None:
        """Refuse new calls, and wait for the ones already queued or running to end."""
        if self.closed:
            return
        self.closed = True
        if self.owned:
            await asyncio.get_running_loop().run_in_executor(
                None, functools.partial(self.executor.shutdown, wait=True)
            )


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
