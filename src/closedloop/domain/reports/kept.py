"""What a store keeps beside a case's snapshot so that the next commit's report facts go on
from the case as read, instead of reading and replaying its whole history: the steps
measured done (under one ``basis``) and the :class:`~closedloop.domain.reports.facts.Scan`
of its events. Only ever a shortcut: without it, or with one that does not fit the case and
the standards, the facts are worked out from the history, with the same result."""

from __future__ import annotations

from datetime import datetime

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.events import Erased
from closedloop.domain.cases.history import History
from closedloop.domain.reports.facts import Scan
from closedloop.domain.reports.measure import Measurement, Progress
from closedloop.domain.standards.standard import Standards, Target

__all__ = ["KeptFacts", "KeptStep", "kept_facts", "resumed"]


@attrs.frozen
class KeptStep:
    """A step measured done; its standard by position in ``(*rules, *defaults)``."""

    target: Target
    standard: int
    started_at: datetime
    due_at: datetime | None
    done_at: datetime


@attrs.frozen
class KeptFacts:
    """How far a case's facts were worked out, at ``version``, under standards whose
    :func:`~closedloop.domain.reports.facts.basis` was ``basis``."""

    basis: str
    version: int
    done: tuple[KeptStep, ...]
    scan: Scan


def kept_facts(
    measured: Progress, scan: Scan, standards: Standards, basis: str
) -> KeptFacts | None:
    """What a store keeps of a case's ``measured`` progress and ``scan`` (None if a step's
    standard is not one of ``standards``: the next commit then reads the history)."""
    every = (*standards.rules, *standards.defaults)
    done = []
    for m in measured.done:
        if m.done_at is None or m.standard not in every:
            return None
        done.append(KeptStep(m.target, every.index(m.standard), m.started_at, m.due_at, m.done_at))
    return KeptFacts(basis, measured.version, tuple(done), scan)


def resumed(case: Case, standards: Standards, basis: str) -> tuple[Progress, Scan] | None:
    """From what a store kept beside the case that ``case`` was stepped from, if it was
    worked out under ``basis``: the progress that
    :func:`~closedloop.domain.reports.measure.progress` goes on from, and ``case``'s
    whole scan, neither reading its history."""
    found = case.events.kept if isinstance(case.events, History) else None
    if found is None:
        return None
    base, kept = found.base, found.value
    if not isinstance(kept, KeptFacts):
        return None
    if not isinstance(base, Case) or kept.basis != basis or kept.version != base.version:
        return None
    added = case.events[base.version :]
    if any(isinstance(e, Erased) for e in added):
        return None  # an erasure rewrote what the kept value was worked out from
    every = (*standards.rules, *standards.defaults)
    if any(type(s.standard) is not int or not 0 <= s.standard < len(every) for s in kept.done):
        return None
    done = tuple(
        Measurement(s.target, every[s.standard], s.started_at, s.due_at, s.done_at)
        for s in kept.done
    )
    return Progress(base.version, None, base, done), kept.scan.after(added)
