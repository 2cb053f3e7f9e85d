"""Finding cases in SQL (the SearchesCases role), shared by SQLite and PostgreSQL: the
columns a commit keeps for it, and the one statement a :class:`CaseQuery` becomes.

Each query is led by one index, picked from the filters given in a fixed order (the first
given leads; ``docs/queues.md`` lists it); the other filters apply to the rows that index
finds, and the order's sort key comes last so that a page stops after ``limit`` rows when
the leading index is kept in that order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs

from closedloop.adapters.rows import Bodies, from_snapshots
from closedloop.domain.cases.case import Case
from closedloop.domain.change import Change
from closedloop.domain.queues.matching import decode_cursor, encode_cursor, updated_at, urgency
from closedloop.domain.queues.query import CasePage, CaseQuery, Order
from closedloop.domain.queues.rag import NO_DEADLINE, RagTimes, micros
from closedloop.domain.standards.targets import Rag

__all__ = [
    "FIND_COLUMNS",
    "LEADS",
    "Statement",
    "find_statement",
    "labels_of",
    "leading",
    "page_of_rows",
    "rag_columns",
    "search_columns",
]

#: The ``cases`` columns a commit (and erasure) sets from the case itself, in this order
#: (the subject and the tags, comma-separated, are no filters: a page of summaries reads
#: them; a tag holds no comma).
FIND_COLUMNS = (
    "owner", "team", "urgency", "kind", "channel", "updated_us", "subject", "tags",
)  # fmt: skip

#: The sort key columns of each order (the id last).
_KEYS = {
    Order.OLDEST_FIRST: ("opened_us",),
    Order.DUE_FIRST: ("due_key",),
    Order.PRIORITY_THEN_DUE: ("urgency", "due_key"),
}

#: Which filter leads, first given first, and the index that serves it.
LEADS = (
    ("customer", "cases_customer"),
    ("labels", "case_labels"),
    ("owner", "cases_find_owner"),
    ("team", "cases_find_team"),
    ("unowned", "cases_find_owner"),
    ("stage", "cases_find_stage"),
    ("priority", "cases_find_priority"),
    ("kind", "cases_find_kind"),
    ("channel", "cases_find_channel"),
    ("updated", "cases_find_updated"),
    ("opened", "cases_opened"),
    ("rag", "cases_find_due"),
)

#: With no filter, the index kept in the order's own order.
_BY_ORDER = {
    Order.OLDEST_FIRST: "cases_find_opened",
    Order.DUE_FIRST: "cases_find_due",
    Order.PRIORITY_THEN_DUE: "cases_find_priority",
}

#: The indexes whose second (or third) column is ``closed``.
_WITH_CLOSED = {
    "cases_find_due", "cases_find_opened", "cases_find_priority", "cases_find_team",
    "cases_find_owner", "cases_find_kind", "cases_find_channel",
}  # fmt: skip


def search_columns(case: Case) -> tuple[object, ...]:
    """The values of :data:`FIND_COLUMNS` for ``case``."""
    return (
        case.owner,
        case.team,
        urgency(case),
        case.kind.value,
        case.arrival_channel.name,
        micros(updated_at(case)),
        # PostgreSQL text cannot hold NUL: such a (rare) subject is read from the case.
        None if "\x00" in case.subject else case.subject,
        ",".join(case.tags),
    )


def rag_columns(found: Change | RagTimes | None) -> tuple[int | None, int]:
    """``amber_us`` and ``due_key``: when the case turns amber, and red (or
    :data:`NO_DEADLINE`), as a change (its ``rag``) or the instants say (None: never)."""
    rag = found.rag if isinstance(found, Change) else found
    if rag is None:
        return None, NO_DEADLINE
    return (None if rag.amber_at is None else micros(rag.amber_at)), rag.due_key


def labels_of(case: Case) -> list[str]:
    """The ``case_labels`` rows of a case: ``t:<tag>`` for each tag and
    ``f:<name>=<value>`` for each custom field (a field name holds no ``=``)."""
    return [*(f"t:{tag}" for tag in case.tags), *(f"f:{f.name}={f.value}" for f in case.fields)]


def _labels(query: CaseQuery) -> list[str]:
    return [*(f"t:{tag}" for tag in query.tags), *(f"f:{f.name}={f.value}" for f in query.fields)]


def leading(query: CaseQuery) -> str:
    """The index that leads ``query`` (see :data:`LEADS`)."""
    given = {
        "customer": query.customer is not None,
        "labels": bool(query.tags or query.fields),
        "owner": query.owner is not None,
        "team": query.team is not None,
        "unowned": query.unowned,
        "stage": query.stage is not None,
        "priority": query.priority is not None,
        "kind": query.kind is not None,
        "channel": query.channel is not None,
        "updated": query.updated_since is not None or query.updated_until is not None,
        "opened": query.opened_since is not None or query.opened_until is not None,
        "rag": query.rag is not None,
    }
    for name, index in LEADS:
        if given[name]:
            return index
    return _BY_ORDER[query.order]


@attrs.frozen
class Statement:
    """A query's SQL (``?`` placeholders), its parameters, and the index leading it."""

    sql: str
    params: tuple[object, ...]
    index: str
    keys: int
    """How many sort key columns come first in each row (then id, then snapshot)."""


def find_statement(
    query: CaseQuery,
    tenant: str,
    now: datetime,
    limit: int,
    after: str | None,
    *,
    table: str = "cases",
    labels_table: str = "case_labels",
    force_index: bool = False,
    boolean: bool = False,
    columns: str = "c.snapshot",
) -> Statement:
    """The statement listing one page of ``query`` at ``now``: ``limit + 1`` rows of the
    sort key columns, id and ``columns`` (the snapshot). ``force_index`` names the leading
    index to the planner (SQLite's ``INDEXED BY``, which has no statistics to choose by);
    ``boolean`` says ``closed`` is a boolean column (PostgreSQL), not 0 or 1."""
    index = leading(query)
    keys = _KEYS[query.order]
    where: list[str] = ["c.tenant = ?"]
    params: list[object] = [tenant]
    source = f"{table} AS c"
    labels = _labels(query)
    if index == "case_labels":
        first, labels = labels[0], labels[1:]
        source = f"{labels_table} AS l CROSS JOIN {table} AS c"
        where = ["l.tenant = ?", "l.label = ?", "c.tenant = l.tenant", "c.id = l.case_id"]
        params = [tenant, first]
    elif force_index:
        source += f" INDEXED BY {index}"
    _filters(query, tenant, now, where, params, labels, labels_table)
    sort = [f"c.{k}" for k in keys]
    if after is not None:
        low = decode_cursor(query, after)
        marks = ", ".join("?" * len(low))
        where.append(f"({', '.join([*sort, 'c.id'])}) > ({marks})")
        params.extend(low)

    # The page size is written into the statement, not bound: PostgreSQL plans a prepared
    # statement once for any LIMIT, and its generic plan read a page 40% slower.
    rows = int(limit) + 1

    def select(*more: str) -> str:
        return (
            f"SELECT {', '.join(sort)}, c.id, {columns} FROM {source}"
            f" WHERE {' AND '.join([*where, *more])} ORDER BY {', '.join(sort)}, c.id"
            f" LIMIT {rows}"
        )

    no, yes = ("false", "true") if boolean else ("0", "1")
    if not query.closed:
        return Statement(select(f"c.closed = {no}"), tuple(params), index, len(keys))
    if index not in _WITH_CLOSED:
        return Statement(select(), tuple(params), index, len(keys))
    # Open and closed cases each in the index's order, merged: each part stops after a
    # page, where one range over both would sort every row the index finds.
    sql = (
        f"SELECT * FROM ({select(f'c.closed = {no}')}) AS a UNION ALL"
        f" SELECT * FROM ({select(f'c.closed = {yes}')}) AS b"
        f" ORDER BY {', '.join([*keys, 'id'])} LIMIT {rows}"
    )
    return Statement(sql, (*params, *params), index, len(keys))


def _filters(
    query: CaseQuery,
    tenant: str,
    now: datetime,
    where: list[str],
    params: list[object],
    labels: Iterable[str],
    labels_table: str,
) -> None:
    q = query
    for column, value in (
        ("customer", q.customer),
        ("owner", q.owner),
        ("team", q.team),
        ("stage", None if q.stage is None else q.stage.value),
        ("urgency", None if q.priority is None else 3 - q.priority.rank),
        ("kind", None if q.kind is None else q.kind.value),
        ("channel", q.channel),
    ):
        if value is not None:
            where.append(f"c.{column} = ?")
            params.append(value)
    if q.unowned:
        where.append("c.owner IS NULL")
    for label in labels:
        where.append(f"c.id IN (SELECT case_id FROM {labels_table} WHERE tenant = ? AND label = ?)")
        params.extend((tenant, label))
    for column, since, until in (
        ("opened_us", q.opened_since, q.opened_until),
        ("updated_us", q.updated_since, q.updated_until),
    ):
        if since is not None:
            where.append(f"c.{column} >= ?")
            params.append(micros(since))
        if until is not None:
            where.append(f"c.{column} < ?")
            params.append(micros(until))
    n = micros(now)
    if q.rag is Rag.RED:
        where.append("c.due_key < ?")
        params.append(n)
    elif q.rag is Rag.AMBER:
        where.append("c.due_key >= ? AND c.amber_us <= ?")
        params.extend((n, n))
    elif q.rag is Rag.GREEN:
        where.append("c.due_key >= ? AND (c.amber_us IS NULL OR c.amber_us > ?)")
        params.extend((n, n))


def page_of_rows(
    query: CaseQuery, rows: Sequence[Sequence[Any]], keys: int, limit: int, bodies: Bodies
) -> CasePage:
    """A page from ``limit + 1`` rows of sort key columns, id and snapshot."""
    cases = from_snapshots([(r[keys], r[keys + 1]) for r in rows[:limit]], bodies)
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        nxt = encode_cursor(query, (*last[:keys], last[keys]))
    return CasePage(cases, nxt)
