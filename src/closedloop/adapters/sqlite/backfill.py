"""Back-filling what a migration adds to an older SQLite file from its cases' events, a
chunk of cases at a time: their snapshots, and (for other modules) the replayed cases."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from closedloop.domain.cases.case import Case

__all__ = ["fill_snapshots", "replayed_in_chunks"]


def fill_snapshots(db: sqlite3.Connection, chunk: int = 500) -> None:
    """Write the snapshot of every case of an older database, replaying ``chunk`` cases at a
    time (memory for one chunk, however big the database). A case that cannot be read keeps
    none: reading it replays, and fails, as before."""
    from closedloop.adapters.rows import dump_json
    from closedloop.codec import dump_snapshot

    for tenant, cases in replayed_in_chunks(db, chunk):
        db.executemany(
            "UPDATE cases SET snapshot = ? WHERE tenant = ? AND id = ?",
            [(dump_json(dump_snapshot(case)), tenant, case.id) for case in cases],
        )


def replayed_in_chunks(
    db: sqlite3.Connection, chunk: int = 500, *, open_only: bool = False
) -> Iterator[tuple[str, list[Case]]]:
    """Every stored case (every open one, given ``open_only``), replayed from its events
    ``chunk`` cases at a time, by tenant: what a migration back-fills from (memory for one
    chunk, however big the database)."""
    from closedloop.adapters.rows import group

    only = " AND closed = 0" if open_only else ""
    after = ("", "")
    while True:
        page = db.execute(
            f"SELECT tenant, id FROM cases WHERE (tenant, id) > (?, ?){only}"
            " ORDER BY tenant, id LIMIT ?",
            (*after, chunk),
        ).fetchall()
        if not page:
            return
        for tenant in sorted({t for t, _ in page}):
            ids = [case_id for t, case_id in page if t == tenant]
            rows = db.execute(
                "SELECT case_id, body FROM events WHERE tenant = ? AND case_id IN"
                f" ({', '.join('?' * len(ids))}) ORDER BY case_id, version",
                (tenant, *ids),
            ).fetchall()
            yield tenant, group(rows)
        after = page[-1]
