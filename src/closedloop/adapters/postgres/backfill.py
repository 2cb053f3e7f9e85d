"""Back-filling what a migration adds to an older PostgreSQL schema, from the cases' events,
a chunk of cases at a time: their work queues, the other authors of their messages, their
snapshots, and (for other modules) the replayed cases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

    from closedloop.domain.cases.case import Case

__all__ = ["fill_case_authors", "fill_queues", "fill_snapshots", "replayed_in_chunks"]


def replayed_in_chunks(
    conn: psycopg.Connection[Any], s: str, chunk: int = 500, *, open_only: bool = False
) -> Iterator[tuple[str, list[Case]]]:
    """Every stored case (every open one, given ``open_only``), replayed from its events
    ``chunk`` cases at a time, by tenant: what a migration back-fills from (memory for one
    chunk, however big the database)."""
    from closedloop.adapters.rows import group

    only = " AND NOT closed" if open_only else ""
    after = ("", "")
    while True:
        page = conn.execute(
            f"SELECT tenant, id FROM {s}.cases WHERE (tenant, id) > (%s, %s){only}"
            " ORDER BY tenant, id LIMIT %s",
            (*after, chunk),
        ).fetchall()
        if not page:
            return
        for tenant in sorted({t for t, _ in page}):
            rows = conn.execute(
                f"SELECT case_id, body FROM {s}.events WHERE tenant = %s AND case_id = ANY(%b)"
                " ORDER BY case_id, version",
                (tenant, [case_id for t, case_id in page if t == tenant]),
            ).fetchall()
            yield tenant, group(rows)
        after = page[-1]


def fill_queues(conn: psycopg.Connection[Any], s: str) -> None:
    """Put every open case of an older schema in its work queue, by replaying it."""
    from closedloop.adapters.rows import us

    for tenant, cases in replayed_in_chunks(conn, s, open_only=True):
        for case in cases:
            queue, since = case.queue, case.queued_since
            conn.execute(
                f"UPDATE {s}.cases SET queue = %s, queue_us = %s WHERE tenant = %s AND id = %s",
                (
                    None if queue is None else queue.value,
                    None if since is None else us(since),
                    tenant,
                    case.id,
                ),
            )


def fill_case_authors(conn: psycopg.Connection[Any], s: str) -> None:
    """Index the other authors of the cases of an older schema that messages joined."""
    from closedloop.adapters.rows import group, other_authors

    rows = conn.execute(
        f"SELECT e.tenant, e.case_id, e.body FROM {s}.events AS e WHERE (e.tenant, e.case_id)"
        f" IN (SELECT tenant, case_id FROM {s}.events WHERE type IN ('MessageAdded',"
        " 'MessageReceived', 'CasesMerged')) ORDER BY e.tenant, e.case_id, e.version"
    ).fetchall()
    for tenant in sorted({row[0] for row in rows}):
        for case in group([(case_id, body) for t, case_id, body in rows if t == tenant]):
            for handle in other_authors(case):
                conn.execute(
                    f"INSERT INTO {s}.case_authors (tenant, handle, case_id)"
                    " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    (tenant, handle, case.id),
                )


def fill_snapshots(conn: psycopg.Connection[Any], s: str, chunk: int = 500) -> None:
    """Write the snapshot of every case of an older schema, replaying ``chunk`` cases at a
    time (memory for one chunk, however big the database). A case that cannot be read keeps
    none: reading it replays, and fails, as before."""
    from closedloop.adapters.rows import dump_json
    from closedloop.codec import dump_snapshot

    for tenant, cases in replayed_in_chunks(conn, s, chunk):
        conn.cursor().executemany(
            f"UPDATE {s}.cases SET snapshot = %s WHERE tenant = %s AND id = %s",
            [(dump_json(dump_snapshot(case)), tenant, case.id) for case in cases],
        )
