"""How each case did against its standards, step by step, from its events alone (pure)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import attrs

from closedloop.domain.cases.case import Case, apply, replay
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle
from closedloop.domain.checks import instant
from closedloop.domain.standards.standard import (
    Standard,
    Standards,
    Target,
    due_times,
    pending_targets,
)

__all__ = ["Measurement", "as_of", "label", "measurements"]


@attrs.frozen
class Measurement:
    """One step of one case against its standard: when the clock started, when the step
    was due (None while the clock was stopped for the customer), when it was done (None
    if still pending)."""

    target: Target
    standard: Standard
    started_at: datetime
    due_at: datetime | None
    done_at: datetime | None

    @property
    def met(self) -> bool | None:
        """Done by the deadline; None while pending."""
        if self.done_at is None:
            return None
        return self.due_at is None or instant(self.done_at) <= instant(self.due_at)


def as_of(case: Case, until: datetime) -> Case | None:
    """The case as it stood just before ``until`` (None if it did not exist yet)."""
    end = instant(until)
    if instant(case.events[-1].at) < end:
        return case
    if instant(case.opened_at) >= end:
        return None
    return replay(e for e in case.events if instant(e.at) < end)


def measurements(
    case: Case, standards: Standards, lifecycle: Lifecycle = LATTE
) -> Iterator[Measurement]:
    """Every step the case's standards measured: done ones when they were done, pending
    ones (``done_at`` None) last. A reopened case is measured again from the reopen."""
    state: Case | None = None
    for event in case.events:
        before = state
        state = replay((event,)) if state is None else apply(state, event)
        if before is None:
            continue
        left = set(pending_targets(before, lifecycle)) - set(pending_targets(state, lifecycle))
        if not left:
            continue
        for due in due_times(before, standards, lifecycle=lifecycle):
            if due.target in left:
                yield Measurement(due.target, due.standard, due.started_at, due.due_at, event.at)
    if state is not None:
        for due in due_times(state, standards, lifecycle=lifecycle):
            yield Measurement(due.target, due.standard, due.started_at, due.due_at, None)


def label(standard: Standard) -> str:
    """A standard's name, or words for it: ``"acknowledge within 4h business time"``."""
    if standard.name:
        return standard.name
    return (
        f"{standard.target.value.replace('_', ' ')} within {_words(standard.within)} business time"
    )


def _words(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts) or "0m"
