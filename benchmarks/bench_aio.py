"""AsyncDesk from an asyncio app: how long the event loop stalls and how many requests a
second get through, against the sync Desk, in the same run, on the same kind of store.

One request is what a web handler does: listen to a piece of feedback, acknowledge it and
add a note (three store transactions). A ticker task sleeps 1 ms at a time and records the
longest gap between its ticks: the loop's worst stall. Three ways, each on a fresh store:

- the sync Desk in a plain loop, no asyncio (the baseline throughput);
- the sync Desk called straight from async handlers (the mistake AsyncDesk exists for);
- AsyncDesk, the same handlers awaiting it.

SQLite on a temporary file (WAL, synchronous=FULL), and PostgreSQL when
CLOSEDLOOP_TEST_POSTGRES_DSN is set.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench_postgres import drop, schema
from bench_sqlite import NOW, feedback

from closedloop import Desk
from closedloop.aio import AsyncDesk
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier

CONCURRENCY = 32  # requests in flight at once, as a busy web server has


def request_sync(desk: Desk, i: int) -> None:
    case = desk.listen(feedback(i))
    desk.acknowledge(case.id, by="amy")
    desk.conversation.note(case.id, "called the customer", by="amy")


async def request_async(adesk: AsyncDesk, i: int) -> None:
    case = await adesk.listen(feedback(i))
    await adesk.acknowledge(case.id, by="amy")
    await adesk.conversation.note(case.id, "called the customer", by="amy")


async def blocking_handler(desk: Desk, i: int) -> None:
    request_sync(desk, i)  # what an async handler calling the sync Desk does


def desk_on(store: CaseStore) -> Desk:
    return Desk(store, RecordingNotifier(), clock=ManualClock(NOW))


async def with_ticker(n: int, handler: Callable[[int], Awaitable[None]]) -> tuple[float, float]:
    """Run ``n`` requests, at most CONCURRENCY at once, beside a 1 ms ticker; return the
    seconds taken and the ticker's longest gap past its 1 ms sleep, in ms."""
    stop = asyncio.Event()
    worst = 0.0

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            worst = max(worst, now - last - 0.001)
            last = now

    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        async with gate:
            await handler(i)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.005)
    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    seconds = time.perf_counter() - started
    stop.set()
    await ticking
    return seconds, worst * 1000


def compare(name: str, stores: Callable[[], Iterator[CaseStore]], n: int, workers: int) -> None:
    """The three ways on fresh stores from ``stores``, with ``workers`` threads."""
    fresh = stores()
    desk = desk_on(next(fresh))
    started = time.perf_counter()
    for i in range(n):
        request_sync(desk, i)
    plain = time.perf_counter() - started

    desk = desk_on(next(fresh))
    blocked, blocked_stall = asyncio.run(with_ticker(n, lambda i: blocking_handler(desk, i)))

    async def awaited() -> tuple[float, float]:
        async with AsyncDesk(desk_on(next(fresh)), max_workers=workers) as adesk:
            return await with_ticker(n, lambda i: request_async(adesk, i))

    aio, aio_stall = asyncio.run(awaited())
    fresh.close()

    print(f"{name}: {n} requests (listen, acknowledge, note), {CONCURRENCY} in flight")
    print(f"  sync Desk, plain loop:              {n / plain:8.0f} requests/s")
    print(
        f"  sync Desk in async handlers:        {n / blocked:8.0f} requests/s"
        f"   loop stalled up to {blocked_stall:7.1f} ms"
    )
    print(
        f"  AsyncDesk, {workers} threads:               {n / aio:8.0f} requests/s"
        f"   loop stalled up to {aio_stall:7.1f} ms"
    )
    print(
        f"  ratio AsyncDesk / sync Desk throughput: {plain / aio:.2f}x"
        f"   longest stall AsyncDesk / blocking: {aio_stall / blocked_stall:.4f}x"
    )


def run(quick: bool = False) -> None:
    n = 200 if quick else 1_500

    def sqlite_stores() -> Iterator[CaseStore]:
        from closedloop import SQLiteStore

        with tempfile.TemporaryDirectory() as folder:
            for k in range(3):
                with SQLiteStore(Path(folder) / f"aio-{k}.db") as store:
                    yield store

    compare("SQLite", sqlite_stores, n, workers=4)

    dsn = os.environ.get("CLOSEDLOOP_TEST_POSTGRES_DSN")
    if not dsn:
        print("\nPostgreSQL: skipped (set CLOSEDLOOP_TEST_POSTGRES_DSN to run it)")
        return

    @contextmanager
    def postgres(name: str) -> Iterator[CaseStore]:
        from closedloop import PostgresStore

        try:
            with PostgresStore(dsn, schema=name, max_connections=10) as store:
                store.migrate()
                yield store
        finally:
            drop(dsn, name)

    def postgres_stores() -> Iterator[CaseStore]:
        for _ in range(3):
            with postgres(schema()) as store:
                yield store

    print()
    compare("PostgreSQL", postgres_stores, n, workers=8)


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
