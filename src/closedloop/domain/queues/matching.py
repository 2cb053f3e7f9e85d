"""The reference semantics of a :class:`~closedloop.domain.queues.query.CaseQuery`: which
cases match, their sort key, and the cursor that carries the key of a page's last case.
``InMemoryStore`` applies them to every case; SQL stores index the same values."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from closedloop.domain.cases.case import Case
from closedloop.domain.checks import shown
from closedloop.domain.errors import ValidationError
from closedloop.domain.queues.query import CasePage, CaseQuery, Order
from closedloop.domain.queues.rag import RagTimes, micros, rag_at

__all__ = [
    "SortKey",
    "decode_cursor",
    "encode_cursor",
    "matches",
    "page_of",
    "reference_page",
    "sort_key",
    "updated_at",
    "urgency",
]

#: A case's place in an order: whole numbers, then the case id.
SortKey = tuple[int | str, ...]


def updated_at(case: Case) -> datetime:
    """When the case last changed: the time of its last event."""
    return case.events[-1].at


def urgency(case: Case) -> int:
    """0 for an URGENT case up to 3 for a LOW one: urgent sorts first."""
    return 3 - case.priority.rank


def sort_key(case: Case, times: RagTimes | None, order: Order) -> SortKey:
    """Where ``case`` (turning at ``times``) stands in ``order``."""
    due = (times or RagTimes()).due_key
    if order is Order.OLDEST_FIRST:
        return (micros(case.opened_at), case.id)
    if order is Order.DUE_FIRST:
        return (due, case.id)
    return (urgency(case), due, case.id)


def matches(case: Case, times: RagTimes | None, query: CaseQuery, now: datetime) -> bool:
    """Whether ``case`` (turning at ``times``) is one ``query`` lists at ``now``."""
    q = query
    checks = (
        q.closed or case.is_active,
        q.owner is None or case.owner == q.owner,
        not q.unowned or case.owner is None,
        q.team is None or case.team == q.team,
        q.stage is None or case.stage is q.stage,
        q.priority is None or case.priority is q.priority,
        q.kind is None or case.kind is q.kind,
        q.channel is None or case.arrival_channel.name == q.channel,
        q.customer is None or case.customer == q.customer,
        all(tag in case.tags for tag in q.tags),
        all(case.field(f.name) == f.value for f in q.fields),
        _within(case.opened_at, q.opened_since, q.opened_until),
        _within(updated_at(case), q.updated_since, q.updated_until),
        q.rag is None or rag_at(times, now) is q.rag,
    )
    return all(checks)


def _within(at: datetime, since: datetime | None, until: datetime | None) -> bool:
    t = micros(at)
    return (since is None or micros(since) <= t) and (until is None or t < micros(until))


def _fingerprint(query: CaseQuery) -> str:
    """Which query a cursor belongs to: a short hash of its filters and order."""
    return hashlib.sha256(query.describe().encode()).hexdigest()[:12]


def encode_cursor(query: CaseQuery, key: SortKey) -> str:
    """The cursor after the case at ``key`` in ``query``'s list: opaque text."""
    raw = json.dumps([_fingerprint(query), *key], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(query: CaseQuery, cursor: object) -> SortKey:
    """The sort key ``cursor`` carries, checked to belong to ``query``."""
    fix = "pass the `next` of a page of this same query, or None for the first page"
    if not isinstance(cursor, str):
        raise ValidationError.of(
            "after", f"after must be a cursor string, got {shown(cursor)}; {fix}"
        )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found = json.loads(raw.decode())
    except (ValueError, UnicodeDecodeError):
        found = None
    size = 2 if query.order is not Order.PRIORITY_THEN_DUE else 3
    if (
        not isinstance(found, list)
        or len(found) != size + 1
        or not isinstance(found[-1], str)
        or not all(
            isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63
            for v in found[1:-1]
        )
    ):
        raise ValidationError.of(
            "after", f"after is not a cursor closedloop made: {shown(cursor)}; {fix}"
        )
    if found[0] != _fingerprint(query):
        raise ValidationError.of(
            "after", f"after is the cursor of another query (other filters or order); {fix}"
        )
    return tuple(found[1:])


def page_of(query: CaseQuery, rows: Sequence[tuple[SortKey, Case]], limit: int) -> CasePage:
    """The page of the first ``limit`` of ``rows`` (sorted, at most ``limit + 1`` of them: one
    more tells that a next page exists)."""
    shown_rows = rows[:limit]
    after = encode_cursor(query, shown_rows[-1][0]) if len(rows) > limit else None
    return CasePage(tuple(case for _, case in shown_rows), after)


def reference_page(
    items: Iterable[tuple[Case, RagTimes | None]],
    query: CaseQuery,
    now: datetime,
    limit: int,
    after: str | None,
) -> CasePage:
    """The page of ``query`` over ``items`` (every case with its RAG instants), found by
    looking at each: what an indexed store must return."""
    low = None if after is None else decode_cursor(query, after)
    found = sorted(
        ((sort_key(case, times, query.order), case) for case, times in items
         if matches(case, times, query, now)),
        key=lambda row: row[0],
    )  # fmt: skip
    if low is not None:
        found = [row for row in found if row[0] > low]
    return page_of(query, found[: limit + 1], limit)
