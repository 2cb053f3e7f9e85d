"""The statements and parameters a PostgresStore runs, recorded to be replayed by raw
psycopg: a baseline that does the very writes closedloop does, and nothing else."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

#: A write: the query, its parameters (a list of them for executemany), and whether many.
Statement = tuple[Any, Any, bool]


@contextmanager
def recording() -> Iterator[list[Statement]]:
    """Record every INSERT, UPDATE and DELETE that psycopg cursors run meanwhile."""
    import psycopg

    writes: list[Statement] = []
    real_execute, real_many = psycopg.Cursor.execute, psycopg.Cursor.executemany

    def execute(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if _writes(query):
            writes.append((query, params, False))
        return real_execute(self, query, params, **kwargs)

    def executemany(self: Any, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        rows = list(params_seq)
        if _writes(query):
            writes.append((query, rows, True))
        return real_many(self, query, rows, **kwargs)

    psycopg.Cursor.execute = execute  # type: ignore[method-assign]
    psycopg.Cursor.executemany = executemany  # type: ignore[method-assign]
    try:
        yield writes
    finally:
        psycopg.Cursor.execute = real_execute  # type: ignore[method-assign]
        psycopg.Cursor.executemany = real_many  # type: ignore[method-assign]


def _writes(query: Any) -> bool:
    head = str(query).lstrip().upper()
    return head.startswith(("INSERT", "UPDATE", "DELETE"))


def replay(dsn: str, writes: list[Statement]) -> float:
    """Seconds raw psycopg takes to run ``writes`` in one transaction."""
    import psycopg

    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        with conn.transaction():
            _run(cur, writes)
        return time.perf_counter() - started


def replay_each(dsn: str, commits: list[list[Statement]], *, pipelined: bool = False) -> float:
    """Seconds raw psycopg takes to run each commit's ``commits`` in a transaction of its
    own, one after another; ``pipelined``: in psycopg's pipeline mode, as PostgresStore
    commits."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        for writes in commits:
            with conn.pipeline() if pipelined else nullcontext(), conn.transaction():
                _run(cur, writes)
        return time.perf_counter() - started


def _run(cur: Any, writes: list[Statement]) -> None:
    for query, params, many in writes:
        if many:
            cur.executemany(query, params)
        else:
            cur.execute(query, params)
