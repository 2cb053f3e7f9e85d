"""How each case did against its standards, step by step, from its events alone (pure)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import attrs

from closedloop.domain.cases.case import Case, apply_stored, replay
from closedloop.domain.cases.contact import Lapsed
from closedloop.domain.cases.events import Erased, Event
from closedloop.domain.cases.history import History
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle
from closedloop.domain.checks import instant
from closedloop.domain.standards.standard import (
    Standard,
    Standards,
    Target,
    due_times,
    pending_targets,
)

__all__ = ["Measurement", "Progress", "as_of", "label", "measurements", "progress"]


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


@attrs.frozen(eq=False)
class Progress:
    """How far measuring a case's history got: ``state`` is the case replayed through its
    first ``version`` events (the last of them ``last``), ``done`` the steps they saw done.
    :func:`progress` continues from one for a later version of the same case, so measuring
    a case at each commit costs its new events, not its whole history again."""

    version: int
    last: Event | None
    """None for progress a store kept with the case as read
    (:func:`~closedloop.domain.reports.kept.resumed`): then ``state`` is that case, the
    ``base`` of the history it continues."""
    state: Case
    done: tuple[Measurement, ...]


def progress(
    case: Case,
    standards: Standards,
    lifecycle: Lifecycle = LATTE,
    since: Progress | None = None,
) -> Progress:
    """The steps of ``case``'s history measured done, continuing from ``since`` when it
    measured an earlier version of the same history (else from the first event). An
    erasure since then rewrote the history before it: measured from the first event."""
    events = case.events
    if since is not None and not _continues(since, events):
        since = None
    state = None if since is None else since.state
    done = [] if since is None else list(since.done)
    for event in events if since is None else events[since.version :]:
        before = state
        state = replay((event,)) if state is None else apply_stored(state, event)
        if before is None:
            continue
        left = set(pending_targets(before, lifecycle)) - set(pending_targets(state, lifecycle))
        if not left:
            continue
        lapsed = isinstance(event, Lapsed)
        for due in due_times(before, standards, lifecycle=lifecycle):
            if due.target not in left:
                continue
            # Closed for the customer's silence: a step not taken is no step met; one
            # already late stays missed, one still in time is not measured at all.
            if lapsed and (due.due_at is None or instant(due.due_at) >= instant(event.at)):
                continue
            done.append(Measurement(due.target, due.standard, due.started_at, due.due_at, event.at))
    if state is None:
        raise ValueError("a case has at least one event")
    # The case itself, equal to the state replayed: a remembered progress holds no copy.
    return Progress(len(events), events[-1], case, tuple(done))


def _continues(since: Progress, events: Sequence[Event]) -> bool:
    if since.last is None:  # kept by the store: continues only the history stepped from it
        kept = events.kept if isinstance(events, History) else None
        if kept is None or kept.base is not since.state:
            return False
    elif not (since.version <= len(events) and events[since.version - 1] == since.last):
        return False
    return not any(isinstance(e, Erased) for e in events[since.version :])


def measurements(
    case: Case,
    standards: Standards,
    lifecycle: Lifecycle = LATTE,
    measured: Progress | None = None,
) -> Iterator[Measurement]:
    """Every step the case's standards measured: done ones when they were done, pending
    ones (``done_at`` None) last. A reopened case is measured again from the reopen.
    ``measured`` is :func:`progress` of this very case, if the caller has it already."""
    if measured is None or measured.version != case.version:
        measured = progress(case, standards, lifecycle)
    yield from measured.done
    # The case itself, not the replayed state equal to it: its due times are kept on it.
    for due in due_times(case, standards, lifecycle=lifecycle):
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
