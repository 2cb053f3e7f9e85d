"""The no log: every request staff declined, counted by category, with examples.

Scenario 9 of the seeds: a 30-day log of every "no" shows the policies, stock and training
that need to change. Pure: the service streams the period's cases in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.events import Declined
from closedloop.domain.checks import instant

__all__ = ["NoLog", "NoLogCategory", "NoLogEntry", "no_log"]


@attrs.frozen
class NoLogEntry:
    """One declined request: what was asked, why not, on which case, when and by whom."""

    case_id: str
    """The case the request was declined on."""
    asked: str
    """What the customer asked for (`Declined.asked`); empty if not said."""
    reason: str
    """The reason they were given."""
    at: datetime
    """When it was declined."""
    by: str
    """Who declined it."""


@attrs.frozen
class NoLogCategory:
    """One category of the no log: how many requests, and the first few as examples."""

    category: str
    """The decline category (`"out_of_stock"`, `"policy"`, ... or the organisation's own)."""
    count: int
    """Requests declined in it in the period."""
    examples: tuple[NoLogEntry, ...]
    """The earliest few of them (3 by default)."""


@attrs.frozen
class NoLog:
    """The declined requests of a period, most frequent category first."""

    since: datetime
    """The start of the period (included)."""
    until: datetime
    """Its end (not included)."""
    categories: tuple[NoLogCategory, ...]
    """One entry per category, most frequent first."""

    @property
    def total(self) -> int:
        """Every request declined in the period."""
        return sum(c.count for c in self.categories)

    def __str__(self) -> str:
        lines = [f"{self.total} requests declined"]
        for c in self.categories:
            lines.append(f"  {c.category}: {c.count}")
            lines.extend(f'    - "{e.asked}": {e.reason} ({e.case_id})' for e in c.examples)
        return "\n".join(lines)


def no_log(cases: Iterable[Case], since: datetime, until: datetime, examples: int = 3) -> NoLog:
    """The no log of ``[since, until)`` from ``cases`` (any that may hold a decline then).

    Categories are ordered by count, then name; examples are the earliest declines of
    each category, at most ``examples`` of them.
    """
    low, high = instant(since), instant(until)
    counts: dict[str, int] = {}
    kept: dict[str, list[NoLogEntry]] = {}
    for case in cases:
        for event in case.events:
            if not isinstance(event, Declined) or not low <= instant(event.at) < high:
                continue
            counts[event.category] = counts.get(event.category, 0) + 1
            entry = NoLogEntry(case.id, event.asked, event.reason, event.at, event.by)
            samples = kept.setdefault(event.category, [])
            samples.append(entry)
            samples.sort(key=lambda e: (instant(e.at), e.case_id))
            del samples[examples:]
    ordered = sorted(counts, key=lambda name: (-counts[name], name))
    return NoLog(
        since,
        until,
        tuple(NoLogCategory(name, counts[name], tuple(kept[name])) for name in ordered),
    )
