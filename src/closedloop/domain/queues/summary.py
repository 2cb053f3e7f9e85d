"""What a case list shows of each case (``desk.queues.summaries``): a :class:`CaseSummary`,
which a SQL store reads from the columns it keeps for finding cases, without decoding the
case; and the :class:`SummaryPage` that holds them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.feedback import FeedbackKind
from closedloop.domain.cases.priority import Priority
from closedloop.domain.latte import Stage
from closedloop.domain.queues.rag import RagTimes, rag_at
from closedloop.domain.standards.targets import Rag

__all__ = ["CaseSummary", "SummaryPage", "summarise"]


# Not slotted: a store builds many at a time from its columns, filling __dict__ in one step.
@attrs.frozen(slots=False)
class CaseSummary:
    """One row of a case list: what an agent scans before opening a case (read the whole
    case with ``desk.get(summary.id)``). Its times are in UTC, from every store."""

    id: str
    """The case's id."""
    version: int
    """The case's version when listed (pass it as ``expected_version`` to act on it)."""
    customer: str
    """The customer's handle."""
    subject: str
    """What the matter is about."""
    stage: Stage
    """Where the case rests in its lifecycle."""
    kind: FeedbackKind
    """What kind of feedback opened it."""
    priority: Priority
    """How urgent it is."""
    channel: str
    """The name of the channel it arrived on."""
    owner: str | None
    """Who owns it; None if nobody yet."""
    team: str | None
    """The team it belongs to; None if none."""
    tags: tuple[str, ...]
    """Its tags, sorted."""
    opened_at: datetime
    """When it was opened."""
    updated_at: datetime
    """When it last changed."""
    rag: Rag
    """Its RAG status at the instant the list was read."""
    red_at: datetime | None
    """When its earliest pending step is (or was) due: after this it is RED. None when no
    clock runs (closed, or waiting on the customer)."""


def summarise(case: Case, times: RagTimes | None, now: datetime) -> CaseSummary:
    """The summary of ``case``, turning amber and red at ``times``, read at ``now``."""
    red_at = None if times is None or times.red_at is None else times.red_at.astimezone(UTC)
    return CaseSummary(
        id=case.id,
        version=case.version,
        customer=case.customer,
        subject=case.subject,
        stage=case.stage,
        kind=case.kind,
        priority=case.priority,
        channel=case.arrival_channel.name,
        owner=case.owner,
        team=case.team,
        tags=case.tags,
        opened_at=case.opened_at.astimezone(UTC),
        updated_at=case.events[-1].at.astimezone(UTC),
        rag=rag_at(times, now),
        red_at=red_at,
    )


def _summaries(value: Iterable[CaseSummary]) -> tuple[CaseSummary, ...]:
    return tuple(value)


@attrs.frozen
class SummaryPage:
    """One page of a case list as summaries, and ``next``, the cursor of the next page
    (pass it as ``after=``; the same cursor ``desk.queues.find`` gives for the same query),
    None when this page is the last."""

    summaries: tuple[CaseSummary, ...] = attrs.field(converter=_summaries)
    """The summaries, in the query's order."""
    next: str | None = None
    """An opaque cursor after the last case of this page; None on the last page."""
