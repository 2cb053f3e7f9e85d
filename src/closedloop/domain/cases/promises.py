"""Commitments: promises made to a customer, tracked until kept.

A promise ("we will retrain the store team by Friday") belongs to a case. The sweep finds an
overdue one and escalates it like a breached standard; closing the loop with one unkept
requires saying what happens to it. Pure functions of the case and the time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from closedloop.domain.checks import instant, require_aware

__all__ = ["Promise", "PromiseFigures", "promise_figures"]


@attrs.frozen
class Promise:
    """One promise: what, by when, who owns it, and whether it was kept (and when)."""

    id: str
    """The promise's id, unique within its case."""
    what: str
    """What was promised."""
    due_by: datetime
    """When it must be kept by."""
    owner: str
    """Who must keep it."""
    made_at: datetime
    """When it was made."""
    kept_at: datetime | None = None
    """When it was kept; None while open."""
    escalated: bool = False
    """Whether the sweep escalated it for being late."""
    warned: bool = False
    """Whether its owner was warned that its (current) deadline is near (``Lateness``)."""
    rescheduled_to: datetime | None = None
    """The new time the lateness policy set when ``due_by`` (or the last new time) was
    missed; None while the promise keeps its first time."""
    announced_at: datetime | None = None
    """When the customer was first told that it is late; None if they never were."""

    @property
    def is_open(self) -> bool:
        """True until the promise is kept."""
        return self.kept_at is None

    @property
    def deadline(self) -> datetime:
        """The time it must now be kept by: the new time if it was missed and moved, else
        ``due_by`` (which stays the time first promised, that reports measure against)."""
        return self.due_by if self.rescheduled_to is None else self.rescheduled_to

    @property
    def watched(self) -> bool:
        """Open and still awaited by the sweep: not escalated, or moved to a new time
        (which may be missed in turn)."""
        return self.is_open and (not self.escalated or self.rescheduled_to is not None)

    def as_of(self, until: datetime) -> Promise:
        """The promise as it stood at ``until``: kept, or announced late, only later: not yet."""
        end = instant(until)
        kept, told = self.kept_at, self.announced_at
        return attrs.evolve(
            self,
            kept_at=None if kept is None or instant(kept) >= end else kept,
            announced_at=None if told is None or instant(told) >= end else told,
        )

    def overdue(self, now: datetime) -> bool:
        """True if it is still open after its deadline."""
        return self.is_open and instant(now) > instant(self.deadline)

    @property
    def kept_on_time(self) -> bool:
        """True if it was kept by its due time."""
        return self.kept_at is not None and instant(self.kept_at) <= instant(self.due_by)


@attrs.frozen
class PromiseFigures:
    """Promises falling due in a period: how many, how many kept on time, how many kept
    late, how many still open. ``kept_rate`` is on-time over all, None with none due."""

    due: int
    """Promises falling due in the period."""
    kept_on_time: int
    """Of those, kept by their due time."""
    kept_late: int
    """Kept after it."""
    open: int
    """Still open at the end of the period."""
    missed_announced: int = 0
    """Of those not kept on time (kept late or still open), the ones whose customer was told
    it was late, with a new time (``Lateness``); the rest were missed silently."""

    @property
    def missed(self) -> int:
        """Promises due in the period not kept by the time first promised."""
        return self.due - self.kept_on_time

    @property
    def missed_silent(self) -> int:
        """Missed without the customer being told."""
        return self.missed - self.missed_announced

    @property
    def kept_rate(self) -> float | None:
        """Share of the period's promises kept by their due time."""
        return self.kept_on_time / self.due if self.due else None


def promise_figures(
    promises: Iterable[Promise], since: datetime, until: datetime
) -> PromiseFigures:
    """Count the promises due in ``[since, until)``, as they stood at ``until``: one kept,
    or announced late, only after it is still open, or silent, in the period's figures."""
    low, high = instant(require_aware("since", since)), instant(require_aware("until", until))
    due = on_time = late = still_open = announced = 0
    for promise in promises:
        if not low <= instant(promise.due_by) < high:
            continue
        due += 1
        promise = promise.as_of(until)
        if promise.kept_on_time:
            on_time += 1
            continue
        if promise.kept_at is not None:
            late += 1
        else:
            still_open += 1
        announced += promise.announced_at is not None
    return PromiseFigures(due, on_time, late, still_open, announced)
