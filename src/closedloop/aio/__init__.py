"""closedloop for asyncio hosts: :class:`AsyncDesk` runs every call of a Desk and its areas
on a bounded pool of threads, so FastAPI, Starlette or aiohttp can ``await`` them without
blocking the event loop. See ``docs/async.md``."""

from closedloop.aio.areas import (
    AsyncConversation,
    AsyncCustomers,
    AsyncInbox,
    AsyncOutbox,
    AsyncPortal,
    AsyncPromises,
    AsyncReports,
    AsyncStandards,
    AsyncSurveys,
)
from closedloop.aio.desk import AsyncDesk

__all__ = [
    "AsyncConversation",
    "AsyncCustomers",
    "AsyncDesk",
    "AsyncInbox",
    "AsyncOutbox",
    "AsyncPortal",
    "AsyncPromises",
    "AsyncReports",
    "AsyncStandards",
    "AsyncSurveys",
]
