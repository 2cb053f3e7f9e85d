"""Finding cases in PostgreSQL (the SearchesCases role): the columns, labels table and
indexes a migration adds, the labels every commit and erasure writes, and the query
(``closedloop.adapters.search`` builds it; the planner picks among the indexes by its
statistics)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from closedloop.adapters.common import check_instant, check_limit
from closedloop.adapters.memory_search import check_query
from closedloop.adapters.search import FIND_COLUMNS, Statement, find_statement, labels_of
from closedloop.adapters.search import search_columns as columns_of
from closedloop.adapters.summaries import summary_columns, summary_values
from closedloop.domain.cases.case import Case
from closedloop.domain.queues.query import CaseQuery
from closedloop.domain.queues.rag import NO_DEADLINE

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "SEARCH",
    "SUMMARIES",
    "SUMMARY",
    "fill_search",
    "fill_summaries",
    "row_security_on",
    "statement",
    "write_case_search",
    "write_labels",
]

#: The migration (``{s}`` is the schema): the columns each filter and order reads, the
#: labels table, and one index per leading filter (``closedloop.adapters.search.LEADS``).
#: Existing cases get their columns and labels from their events (:func:`fill_search`);
#: their RAG instants are unknown until their next change (GREEN, no deadline, until then).
SEARCH: Final[tuple[str, ...]] = (
    'ALTER TABLE {s}.cases ADD COLUMN owner text COLLATE "C"',
    'ALTER TABLE {s}.cases ADD COLUMN team text COLLATE "C"',
    "ALTER TABLE {s}.cases ADD COLUMN urgency integer NOT NULL DEFAULT 2",
    "ALTER TABLE {s}.cases ADD COLUMN kind text NOT NULL DEFAULT ''",
    """ALTER TABLE {s}.cases ADD COLUMN channel text COLLATE "C" NOT NULL DEFAULT ''""",
    "ALTER TABLE {s}.cases ADD COLUMN updated_us bigint NOT NULL DEFAULT 0",
    "ALTER TABLE {s}.cases ADD COLUMN amber_us bigint",
    f"ALTER TABLE {{s}}.cases ADD COLUMN due_key bigint NOT NULL DEFAULT {NO_DEADLINE}",
    """
    CREATE TABLE {s}.case_labels (
        tenant  text COLLATE "C" NOT NULL,
        label   text COLLATE "C" NOT NULL,
        case_id text COLLATE "C" NOT NULL,
        PRIMARY KEY (tenant, label, case_id)
    )
    """,
    "CREATE INDEX case_labels_case ON {s}.case_labels (tenant, case_id)",
    "CREATE INDEX cases_find_due ON {s}.cases (tenant, closed, due_key, id)",
    "CREATE INDEX cases_find_opened ON {s}.cases (tenant, closed, opened_us, id)",
    "CREATE INDEX cases_find_priority ON {s}.cases (tenant, closed, urgency, due_key, id)",
    "CREATE INDEX cases_find_team ON {s}.cases (tenant, team, closed, due_key, id)",
    "CREATE INDEX cases_find_owner ON {s}.cases (tenant, owner, closed, due_key, id)",
    "CREATE INDEX cases_find_stage ON {s}.cases (tenant, stage, opened_us, id)",
    "CREATE INDEX cases_find_kind ON {s}.cases (tenant, kind, closed, opened_us, id)",
    "CREATE INDEX cases_find_channel ON {s}.cases (tenant, channel, closed, opened_us, id)",
    "CREATE INDEX cases_find_updated ON {s}.cases (tenant, updated_us, id)",
)


def write_labels(cur: psycopg.Cursor[Any], s: str, tenant: str, cases: Sequence[Case]) -> None:
    """Replace the ``case_labels`` rows of ``cases`` (in the caller's transaction)."""
    relabelled = [c.id for c in cases if c.version > 1 or c.tags or c.fields]
    if relabelled:
        cur.execute(
            f"DELETE FROM {s}.case_labels WHERE tenant = %s AND case_id = ANY(%b)",
            (tenant, relabelled),
        )
    rows = [(label, c.id) for c in cases for label in labels_of(c)]
    if rows:
        cur.execute(
            f"INSERT INTO {s}.case_labels (tenant, label, case_id)"
            " SELECT %s, * FROM unnest(%b::text[], %b::text[]) ON CONFLICT DO NOTHING",
            (tenant, [label for label, _ in rows], [case_id for _, case_id in rows]),
        )


def write_case_search(cur: psycopg.Cursor[Any], s: str, tenant: str, case: Case) -> None:
    """The search columns and labels of one rewritten case (erasure: the customer's
    pseudonym, the Erased event's time; its RAG instants stay)."""
    cur.execute(
        f"UPDATE {s}.cases SET {', '.join(f'{c} = %s' for c in FIND_COLUMNS)}"
        " WHERE tenant = %s AND id = %s",
        (*columns_of(case), tenant, case.id),
    )
    write_labels(cur, s, tenant, [case])


def fill_search(conn: psycopg.Connection[Any], s: str, chunk: int = 500) -> None:
    """Fill in the search columns and labels of an older schema's cases, replaying
    ``chunk`` cases at a time."""
    from closedloop.adapters.postgres.backfill import replayed_in_chunks

    with conn.cursor() as cur:
        for tenant, cases in replayed_in_chunks(conn, s, chunk):
            for case in cases:
                write_case_search(cur, s, tenant, case)


#: The migration that keeps each case's subject and tags beside its search columns, so
#: that a page of summaries reads columns only: taken from the snapshots in SQL, but for a
#: snapshot with an escaped NUL anywhere (``fill_summaries`` reads those in Python; the
#: cases of a schema older than the search columns get them with those, from their events).
SUMMARIES: Final[tuple[str, ...]] = (
    "ALTER TABLE {s}.cases ADD COLUMN subject text, ADD COLUMN tags text",
    """
    UPDATE {s}.cases SET subject = snapshot::json ->> 'subject',
        tags = array_to_string(
            ARRAY(SELECT json_array_elements_text(snapshot::json -> 'tags')), ',')
    WHERE snapshot IS NOT NULL AND strpos(snapshot, '\\u0000') = 0
    """,
)


def fill_summaries(conn: psycopg.Connection[Any], s: str) -> None:
    """The subject and tags of the cases the migration's statement left out."""
    rows = conn.execute(
        f"SELECT tenant, id, snapshot FROM {s}.cases WHERE subject IS NULL AND snapshot IS NOT NULL"
    ).fetchall()
    found = [(tenant, case_id, summary_values(snapshot)) for tenant, case_id, snapshot in rows]
    updates = [(*values, tenant, case_id) for tenant, case_id, values in found if values]
    if updates:
        with conn.cursor() as cur:
            cur.executemany(
                f"UPDATE {s}.cases SET subject = %s, tags = %s WHERE tenant = %s AND id = %s",
                updates,
            )


#: A page of summaries reads these instead of the snapshot (``adapters.summaries``).
SUMMARY = summary_columns()


def statement(
    s: str,
    tenant: str,
    query: CaseQuery,
    now: datetime,
    limit: int,
    after: str | None,
    columns: str = "c.snapshot",
) -> Statement:
    """The checked query's statement, with PostgreSQL's placeholders, selecting the sort
    keys, id and ``columns``."""
    check_query(query)
    check_limit(limit)
    check_instant("now", now)
    found = find_statement(
        query, tenant, now, limit, after, table=f"{s}.cases",
        labels_table=f"{s}.case_labels", boolean=True, columns=columns,
    )  # fmt: skip
    return Statement(found.sql.replace("?", "%s"), found.params, found.index, found.keys)


def row_security_on(conn: psycopg.Connection[Any], schema: str) -> bool:
    """Whether row-level security was enabled on the schema's tables (then the tables a
    migration adds need the tenant policy too)."""
    row = conn.execute(
        "SELECT c.relrowsecurity FROM pg_class AS c JOIN pg_namespace AS n"
        " ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = 'cases'",
        (schema,),
    ).fetchone()
    return bool(row and row[0])
