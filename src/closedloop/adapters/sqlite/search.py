"""Finding cases in SQLite (the SearchesCases role): the columns, labels table and indexes
a migration adds, what every commit and erasure writes to them, and the query itself
(``closedloop.adapters.search`` builds it; ``INDEXED BY`` names its leading index, since
SQLite has no statistics to choose by)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

from closedloop.adapters.common import check_instant, check_limit
from closedloop.adapters.memory_search import check_query
from closedloop.adapters.rows import Bodies
from closedloop.adapters.search import (
    FIND_COLUMNS,
    Statement,
    find_statement,
    labels_of,
    page_of_rows,
    rag_columns,
    search_columns,
)
from closedloop.adapters.sqlite.backfill import replayed_in_chunks
from closedloop.adapters.sqlite.connection import run
from closedloop.adapters.summaries import summary_columns, summary_page, summary_values
from closedloop.domain.cases.case import Case
from closedloop.domain.queues.query import CasePage, CaseQuery
from closedloop.domain.queues.rag import NO_DEADLINE, RagTimes
from closedloop.domain.queues.summary import SummaryPage

__all__ = [
    "SEARCH",
    "SUMMARIES",
    "explain_find",
    "fill_search",
    "fill_summaries",
    "find_page",
    "find_summaries",
    "put_rag",
    "write_case_search",
    "write_labels",
]

#: The migration: the columns each filter and order reads, the labels table, and one index
#: per leading filter (``closedloop.adapters.search.LEADS``). Existing cases get their
#: columns and labels from their events (:func:`fill_search`); their RAG instants are
#: unknown until their next change (GREEN, no deadline, until then).
SEARCH: Final[tuple[str, ...]] = (
    "ALTER TABLE cases ADD COLUMN owner TEXT",
    "ALTER TABLE cases ADD COLUMN team TEXT",
    "ALTER TABLE cases ADD COLUMN urgency INTEGER NOT NULL DEFAULT 2",
    "ALTER TABLE cases ADD COLUMN kind TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE cases ADD COLUMN channel TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE cases ADD COLUMN updated_us INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE cases ADD COLUMN amber_us INTEGER",
    f"ALTER TABLE cases ADD COLUMN due_key INTEGER NOT NULL DEFAULT {NO_DEADLINE}",
    """
    CREATE TABLE case_labels (
        tenant  TEXT NOT NULL,
        label   TEXT NOT NULL,
        case_id TEXT NOT NULL,
        PRIMARY KEY (tenant, label, case_id)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX case_labels_case ON case_labels (tenant, case_id)",
    "CREATE INDEX cases_find_due ON cases (tenant, closed, due_key, id)",
    "CREATE INDEX cases_find_opened ON cases (tenant, closed, opened_us, id)",
    "CREATE INDEX cases_find_priority ON cases (tenant, closed, urgency, due_key, id)",
    "CREATE INDEX cases_find_team ON cases (tenant, team, closed, due_key, id)",
    "CREATE INDEX cases_find_owner ON cases (tenant, owner, closed, due_key, id)",
    "CREATE INDEX cases_find_stage ON cases (tenant, stage, opened_us, id)",
    "CREATE INDEX cases_find_kind ON cases (tenant, kind, closed, opened_us, id)",
    "CREATE INDEX cases_find_channel ON cases (tenant, channel, closed, opened_us, id)",
    "CREATE INDEX cases_find_updated ON cases (tenant, updated_us, id)",
)

#: The migration that keeps each case's subject and tags beside its search columns, so
#: that a page of summaries reads columns only: taken from the snapshots in SQL, but for a
#: snapshot with an escaped NUL anywhere (``fill_summaries`` reads those in Python; the
#: cases of a file older than the search columns get them with those, from their events).
SUMMARIES: Final[tuple[str, ...]] = (
    "ALTER TABLE cases ADD COLUMN subject TEXT",
    "ALTER TABLE cases ADD COLUMN tags TEXT",
    """
    UPDATE cases SET subject = json_extract(snapshot, '$.subject'),
        tags = (SELECT coalesce(group_concat(value, ','), '')
                FROM json_each(snapshot, '$.tags'))
    WHERE snapshot IS NOT NULL AND instr(snapshot, '\\u0000') = 0
    """,
)


def fill_summaries(db: sqlite3.Connection) -> None:
    """The subject and tags of the cases the migration's statement left out."""
    rows = db.execute(
        "SELECT tenant, id, snapshot FROM cases WHERE subject IS NULL AND snapshot IS NOT NULL"
    ).fetchall()
    found = [(tenant, case_id, summary_values(snapshot)) for tenant, case_id, snapshot in rows]
    run(
        db,
        "UPDATE cases SET subject = ?, tags = ? WHERE tenant = ? AND id = ?",
        [(*values, tenant, case_id) for tenant, case_id, values in found if values is not None],
    )


_COLUMNS_UPDATE = (
    f"UPDATE cases SET {', '.join(f'{c} = ?' for c in FIND_COLUMNS)} WHERE tenant = ? AND id = ?"
)
_LABELS_DELETE = "DELETE FROM case_labels WHERE tenant = ? AND case_id = ?"
_LABEL_INSERT = "INSERT OR IGNORE INTO case_labels (tenant, label, case_id) VALUES (?, ?, ?)"


def write_labels(db: sqlite3.Connection, tenant: str, cases: Sequence[Case]) -> None:
    """Replace the ``case_labels`` rows of ``cases`` (in the caller's transaction; a commit
    writes the search columns with the rest of the case's row)."""
    labelled = [c for c in cases if c.version > 1 or c.tags or c.fields]
    run(db, _LABELS_DELETE, [(tenant, c.id) for c in labelled])
    run(db, _LABEL_INSERT, [(tenant, label, c.id) for c in cases for label in labels_of(c)])


def write_case_search(db: sqlite3.Connection, tenant: str, cases: Sequence[Case]) -> None:
    """The search columns and labels of ``cases`` (a back-fill; their RAG instants stay)."""
    run(db, _COLUMNS_UPDATE, [(*search_columns(c), tenant, c.id) for c in cases])
    write_labels(db, tenant, cases)


def fill_search(db: sqlite3.Connection, chunk: int = 500) -> None:
    """Fill in the search columns and labels of an older database's cases, replaying
    ``chunk`` cases at a time."""
    for tenant, cases in replayed_in_chunks(db, chunk):
        write_case_search(db, tenant, cases)


def find_page(
    read: Callable[[str, Sequence[object]], list[Any]],
    bodies: Bodies,
    tenant: str,
    query: CaseQuery,
    now: datetime,
    limit: int,
    after: str | None,
) -> CasePage:
    """The page of ``query`` at ``now``: one statement, led by its index."""
    statement = _statement(query, tenant, now, limit, after, "c.snapshot")
    return page_of_rows(query, read(statement.sql, statement.params), statement.keys, limit, bodies)


def _statement(
    query: CaseQuery, tenant: str, now: datetime, limit: int, after: str | None, columns: str
) -> Statement:
    check_query(query)
    check_limit(limit)
    check_instant("now", now)
    return find_statement(query, tenant, now, limit, after, force_index=True, columns=columns)


_SUMMARY = summary_columns()


def find_summaries(
    read: Callable[[str, Sequence[object]], list[Any]],
    bodies: Bodies,
    tenant: str,
    query: CaseQuery,
    now: datetime,
    limit: int,
    after: str | None,
) -> SummaryPage:
    """The page of ``query`` at ``now`` as summaries: the statement of :func:`find_page`,
    reading columns instead of the snapshot."""
    statement = _statement(query, tenant, now, limit, after, _SUMMARY)
    rows = read(statement.sql, statement.params)
    return summary_page(query, rows, statement.keys, limit, now, bodies)


def explain_find(
    read: Callable[[str, Sequence[object]], list[Any]], tenant: str, query: CaseQuery,
    now: datetime,
) -> str:  # fmt: skip
    """SQLite's ``EXPLAIN QUERY PLAN`` of a query's statement, one step a line."""
    check_query(query)
    statement = find_statement(query, tenant, now, 50, None, force_index=True)
    rows = read("EXPLAIN QUERY PLAN " + statement.sql, statement.params)
    return "\n".join(str(row[-1]) for row in rows)


_RAG_PUT = "UPDATE cases SET amber_us = ?, due_key = ? WHERE tenant = ? AND id = ? AND version = ?"


def put_rag(
    db: sqlite3.Connection, tenant: str, times: Sequence[tuple[str, int, RagTimes | None]]
) -> int:
    """Store each case's RAG instants if it is still at the version given; how many."""
    stored = 0
    for case_id, version, rag in times:
        amber, due = rag_columns(rag)
        stored += db.execute(_RAG_PUT, (amber, due, tenant, case_id, version)).rowcount
    return stored
