"""AsyncDesk: every call of a :class:`~closedloop.Desk`, awaitable from an asyncio app."""

from __future__ import annotations

from concurrent.futures import Executor
from functools import cached_property
from types import TracebackType
from typing import Self

from closedloop.aio.areas import (
    AsyncConversation,
    AsyncCustomers,
    AsyncInbox,
    AsyncOutbox,
    AsyncPortal,
    AsyncPromises,
    AsyncQueues,
    AsyncReports,
    AsyncStandards,
    AsyncSurveys,
    AsyncTeams,
)
from closedloop.aio.runner import Runner, Wrapper, awaitable
from closedloop.domain.errors import ValidationError
from closedloop.service.desk import Desk
from closedloop.service.policy import Policy

__all__ = ["AsyncDesk"]


class AsyncDesk(Wrapper[Desk]):
    """A :class:`~closedloop.Desk` for asyncio hosts (FastAPI, Starlette, aiohttp): every
    call of the desk and its areas, ``await adesk.listen(...)``,
    ``await adesk.conversation.reply(...)``, with the same parameters, results and errors,
    run on a pool of at most ``max_workers`` threads so the event loop never waits on the
    store.

    The desk's store is called from several threads at once: ``SQLiteStore``,
    ``PostgresStore`` and ``InMemoryStore`` are safe so (SQLite serialises on its one
    connection; PostgreSQL lends each thread a connection of its own, so keep
    ``max_workers`` at most the store's ``max_connections``). For a store of your own that
    is not, pass ``max_workers=1``: its calls then run one at a time, on one thread. Or
    pass an ``executor`` of your own, which :meth:`aclose` leaves open.

    A call whose task is cancelled stops being awaited, not being run: a step already on
    its thread still commits. Close with :meth:`aclose` or ``async with``; the store stays
    open (it is the host's to close).
    """

    def __init__(
        self, desk: Desk, *, max_workers: int = 8, executor: Executor | None = None
    ) -> None:
        if not isinstance(desk, Desk):
            raise ValidationError.of(
                "desk",
                f"AsyncDesk wraps a closedloop Desk, got {type(desk).__name__}; "
                "build one with Desk(store, notifier, ...) first",
            )
        super().__init__(desk, Runner(max_workers, executor))

    @property
    def desk(self) -> Desk:
        """The sync desk every call runs on (for a sync caller: a job, a script, a test)."""
        return self._target

    @property
    def policy(self) -> Policy:
        """The policy the desk runs."""
        return self._target.policy

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called; calls after it raise ``RuntimeError``."""
        return self._runner.closed

    # -- the areas ------------------------------------------------------------------------

    @cached_property
    def conversation(self) -> AsyncConversation:
        """``desk.conversation``, awaitable."""
        return AsyncConversation(self._target.conversation, self._runner)

    @cached_property
    def standards(self) -> AsyncStandards:
        """``desk.standards``, awaitable."""
        return AsyncStandards(self._target.standards, self._runner)

    @cached_property
    def promises(self) -> AsyncPromises:
        """``desk.promises``, awaitable."""
        return AsyncPromises(self._target.promises, self._runner)

    @cached_property
    def surveys(self) -> AsyncSurveys:
        """``desk.surveys``, awaitable."""
        return AsyncSurveys(self._target.surveys, self._runner)

    @cached_property
    def customers(self) -> AsyncCustomers:
        """``desk.customers``, awaitable."""
        return AsyncCustomers(self._target.customers, self._runner)

    @cached_property
    def queues(self) -> AsyncQueues:
        """``desk.queues``, awaitable."""
        return AsyncQueues(self._target.queues, self._runner)

    @cached_property
    def teams(self) -> AsyncTeams:
        """``desk.teams``, awaitable."""
        return AsyncTeams(self._target.teams, self._runner)

    @cached_property
    def portal(self) -> AsyncPortal:
        """``desk.portal``, awaitable."""
        return AsyncPortal(self._target.portal, self._runner)

    @cached_property
    def inbox(self) -> AsyncInbox:
        """``desk.inbox``, awaitable."""
        return AsyncInbox(self._target.inbox, self._runner)

    @cached_property
    def outbox(self) -> AsyncOutbox:
        """``desk.outbox``, awaitable."""
        return AsyncOutbox(self._target.outbox, self._runner)

    @cached_property
    def reports(self) -> AsyncReports:
        """``desk.reports``, awaitable."""
        return AsyncReports(self._target.reports, self._runner)

    # -- the desk's own calls ---------------------------------------------------------------

    get = awaitable(Desk.get)
    """``desk.get``, awaited."""
    cases_of = awaitable(Desk.cases_of)
    """``desk.cases_of``, awaited."""
    unanswered = awaitable(Desk.unanswered)
    """``desk.unanswered``, awaited."""
    queue = awaitable(Desk.queue)
    """``desk.queue``, awaited."""
    listen = awaitable(Desk.listen)
    """``desk.listen``, awaited."""
    listen_many = awaitable(Desk.listen_many)
    """``desk.listen_many``, awaited."""
    acknowledge = awaitable(Desk.acknowledge)
    """``desk.acknowledge``, awaited."""
    take_action = awaitable(Desk.take_action)
    """``desk.take_action``, awaited."""
    decline = awaitable(Desk.decline)
    """``desk.decline``, awaited."""
    thank = awaitable(Desk.thank)
    """``desk.thank``, awaited."""
    explain = awaitable(Desk.explain)
    """``desk.explain``, awaited."""
    reopen = awaitable(Desk.reopen)
    """``desk.reopen``, awaited."""
    assign = awaitable(Desk.assign)
    """``desk.assign``, awaited."""
    sweep = awaitable(Desk.sweep)
    """``desk.sweep``, awaited."""
    health = awaitable(Desk.health)
    """``desk.health``, awaited."""

    # -- closing ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Refuse new calls and wait for those queued or running to end; then shut the
        threads down (an ``executor`` you passed stays open). Closing twice is harmless."""
        await self._runner.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncDesk({self._target!r})"
