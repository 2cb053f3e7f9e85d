"""Case summaries in SQL (the SummarisesCases role), shared by SQLite and PostgreSQL: the
columns a page of summaries reads instead of the snapshot, and the rows made summaries.

Everything comes from the columns kept for finding cases (the subject and the tags among
them): no case is decoded. A case whose subject was never stored (one without a snapshot
when the database was migrated) is replayed instead."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from closedloop.adapters.rows import Bodies, replay, skipping
from closedloop.domain.cases.feedback import FeedbackKind
from closedloop.domain.cases.priority import Priority
from closedloop.domain.latte import Stage
from closedloop.domain.queues.matching import encode_cursor
from closedloop.domain.queues.query import CaseQuery
from closedloop.domain.queues.rag import NO_DEADLINE, RagTimes, micros
from closedloop.domain.queues.summary import CaseSummary, SummaryPage, summarise
from closedloop.domain.standards.targets import Rag

__all__ = ["summary_columns", "summary_page", "summary_values"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_BY_URGENCY: Final = tuple(reversed(Priority))  # urgency 0 is URGENT


def summary_columns() -> str:
    """The select list after the sort keys and id: the ``cases`` columns a summary reads."""
    return (
        "c.version AS s_version, c.customer AS s_customer, c.stage AS s_stage,"
        " c.kind AS s_kind, c.urgency AS s_urgency, c.channel AS s_channel,"
        " c.owner AS s_owner, c.team AS s_team, c.opened_us AS s_opened,"
        " c.updated_us AS s_updated, c.amber_us AS s_amber, c.due_key AS s_due,"
        " c.subject AS s_subject, c.tags AS s_tags"
    )


def summary_values(snapshot: str) -> tuple[str | None, str] | None:
    """The ``subject`` and ``tags`` columns of a case from its stored snapshot (the subject
    None when it holds a NUL, which PostgreSQL's text cannot: such a case is replayed);
    None for a snapshot that cannot be read."""
    try:
        data = json.loads(snapshot)
    except ValueError:
        return None
    subject, tags = data.get("subject"), data.get("tags", [])
    if not isinstance(subject, str) or not isinstance(tags, list):
        return None
    return (None if "\x00" in subject else subject), ",".join(map(str, tags))


def _at(us: int) -> datetime:
    return _EPOCH + timedelta(0, 0, us)  # positional: half the cost of microseconds=us


_new: Final = object.__new__
_STAGES: Final = {stage.value: stage for stage in Stage}
_KINDS: Final = {kind.value: kind for kind in FeedbackKind}


def _rag(amber: int | None, due: int, now: int) -> Rag:
    """``rag_at`` of the stored instants, in microseconds."""
    if due != NO_DEADLINE and now > due:
        return Rag.RED
    if amber is not None and now >= amber:
        return Rag.AMBER
    return Rag.GREEN


def _summary(row: Sequence[Any], keys: int, now: int, bodies: Bodies) -> CaseSummary:
    case_id = row[keys]
    (version, customer, stage, kind, urgency, channel, owner, team, opened, updated, amber,
     due, subject, tags) = row[keys + 1 :]  # fmt: skip
    red_at = None if due == NO_DEADLINE else _EPOCH + timedelta(0, 0, due)
    if subject is None:  # no snapshot of this format: the case itself
        times = RagTimes(None if amber is None else _at(amber), red_at)
        return summarise(replay(bodies(case_id, None), case_id), times, _at(now))
    # Values from closedloop's own columns, of the right types: set without __init__,
    # which costs a third of a summary (as the codec reads a snapshot).
    summary: CaseSummary = _new(CaseSummary)
    summary.__dict__.update(
        id=case_id,
        version=version,
        customer=customer,
        subject=subject,
        stage=_STAGES[stage],
        kind=_KINDS[kind],
        priority=_BY_URGENCY[urgency],
        channel=channel,
        owner=owner,
        team=team,
        tags=tuple(tags.split(",")) if tags else (),
        opened_at=_EPOCH + timedelta(0, 0, opened),
        updated_at=_EPOCH + timedelta(0, 0, updated),
        rag=_rag(amber, due, now),
        red_at=red_at,
    )
    return summary


def summary_page(
    query: CaseQuery,
    rows: Sequence[Sequence[Any]],
    keys: int,
    limit: int,
    now: datetime,
    bodies: Bodies,
) -> SummaryPage:
    """A page from ``limit + 1`` rows of sort keys, id and :func:`summary_columns`; a case
    that cannot be read is left out (and logged)."""
    at = micros(now)
    summaries = skipping(lambda r: _summary(r, keys, at, bodies), rows[:limit])
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        nxt = encode_cursor(query, (*last[:keys], last[keys]))
    return SummaryPage(summaries, nxt)
