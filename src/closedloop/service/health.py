"""``desk.health()``: the figures that say whether a desk is keeping up, at the desk's
clock, from the store's indexes (:class:`~closedloop.ports.HealthStorage`) or, for a store
without that role, read through the other roles (slower: every pending message, dead
letter and due case is read)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

import attrs

from closedloop.domain.checks import LAST_YEAR, MAX_LIMIT, instant
from closedloop.domain.errors import ValidationError
from closedloop.domain.health import Health, HealthFigures, HealthThresholds, assess
from closedloop.domain.outbox.messages import OutboxMessage, withheld
from closedloop.ports import CaseStore, HealthStorage
from closedloop.service.context import Context

__all__ = ["figures_read_slowly", "health"]

_T = TypeVar("_T")
_FIRST_PAGE = 1_000
#: After every lease and retry: a pending message is ready by then whatever its state.
_LAST = datetime(LAST_YEAR, 12, 31, tzinfo=UTC)


def health(ctx: Context, thresholds: HealthThresholds | None) -> Health:
    """The desk's health now, against ``thresholds`` (the defaults if None)."""
    if thresholds is None:
        thresholds = HealthThresholds()
    elif not isinstance(thresholds, HealthThresholds):
        raise ValidationError.of(
            "thresholds",
            f"thresholds must be a HealthThresholds, got {type(thresholds).__name__}",
        )
    now = ctx.clock.now()
    store = ctx.store
    if isinstance(store, HealthStorage):
        figures = store.health_figures(now)
        if figures.outbox_retrying is None:  # a store written before the retrying figures
            figures = _retrying(figures, _every(lambda limit: store.outbox_ready(_LAST, limit)))
    else:
        figures = figures_read_slowly(store, now)
    return assess(figures, now, thresholds, store.tenant)


def figures_read_slowly(store: CaseStore, now: datetime) -> HealthFigures:
    """The figures of :class:`~closedloop.ports.HealthStorage`, read through the roles every
    store has: every pending message, dead letter and due case is read, and each count
    stops at ``MAX_LIMIT`` (100,000)."""
    pending = _every(lambda limit: store.outbox_ready(_LAST, limit))
    cutoff = instant(now)
    overdue = [
        instant(m.next_attempt_at)
        for m in pending
        if m.next_attempt_at is not None and instant(m.next_attempt_at) <= cutoff
    ]
    unanswered = store.unanswered(1)
    due = _every(lambda limit: store.due(now, limit))
    counted = HealthFigures(
        outbox_backlog=len(pending),
        outbox_overdue_since=min(overdue, default=None),
        dead_letters=sum(not withheld(m) for m in _every(store.dead_letters)),
        oldest_unanswered=unanswered[0].id if unanswered else None,
        oldest_unanswered_at=unanswered[0].opened_at if unanswered else None,
        cases_due=len(due),
        due_since=due[0].due_at if due else None,
    )
    return _retrying(counted, pending)


def _retrying(figures: HealthFigures, pending: Sequence[OutboxMessage]) -> HealthFigures:
    """``figures`` with ``outbox_retrying`` and ``retrying_since`` counted from ``pending``:
    the messages whose last delivery failed, and the earliest time one was first due."""
    failed = [instant(m.notification.ready_at) for m in pending if m.attempts > 0]
    return attrs.evolve(
        figures, outbox_retrying=len(failed), retrying_since=min(failed, default=None)
    )


def _every(read: Callable[[int], Sequence[_T]]) -> Sequence[_T]:
    """All a limited query returns, asking again for four times as many while a page is full
    (the queries have no cursor), up to ``MAX_LIMIT`` records: a count stops there."""
    limit = _FIRST_PAGE
    while True:
        page = read(limit)
        if len(page) < limit or limit == MAX_LIMIT:
            return page
        limit = min(limit * 4, MAX_LIMIT)
