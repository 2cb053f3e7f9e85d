"""What a sweep did: :class:`SweepReport`."""

from __future__ import annotations

from datetime import datetime

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.events import Warned
from closedloop.domain.cases.lateness import PromiseLate, PromiseWarned
from closedloop.domain.change import Change
from closedloop.service.logs import standards as log

__all__ = ["SweepReport", "Tally"]


@attrs.frozen
class SweepReport:
    """What one sweep did; the cases it could not read were left as they are, so that one bad
    record does not stop the sweep (repair them, see ``docs/errors.md``)."""

    at: datetime
    """When the sweep ran."""
    escalated: tuple[tuple[str, int], ...] = ()
    """`(case id, new level)` for each case escalated."""
    warned: tuple[str, ...] = ()
    """The cases whose owner was warned at amber."""
    conflicts: int = 0
    """How many cases another worker changed first and were left to it (re-read, they
    needed nothing more, or changed again)."""
    reminded: tuple[str, ...] = ()
    """The survey invitations reminded."""
    expired: tuple[str, ...] = ()
    """The survey invitations expired."""
    resumed: tuple[str, ...] = ()
    """The paused cases whose time to resume came."""
    noticed: tuple[str, ...] = ()
    """The cases whose silent customer was told they will close."""
    lapsed: tuple[str, ...] = ()
    """The cases closed for that silence."""
    unreadable: tuple[str, ...] = ()
    """The due cases whose stored record cannot be read back."""
    late: tuple[str, ...] = ()
    """The cases with a promise missed and moved to a new time (``Policy.lateness``), the
    customer told unless they have no written contact."""
    failed: tuple[str, ...] = ()
    """The due cases whose change the domain refused: left as they are and logged (WARNING,
    ``closedloop.standards``) so that the rest were swept; they stay due (``desk.health()``)."""

    def __str__(self) -> str:
        unreadable = f"; {len(self.unreadable)} unreadable" if self.unreadable else ""
        unreadable += f"; {len(self.failed)} refused" if self.failed else ""
        return (
            f"sweep at {self.at:%Y-%m-%d %H:%M %Z}: {len(self.escalated)} escalated, "
            f"{len(self.warned)} warned, {self.conflicts} left to another worker; "
            f"{len(self.resumed)} resumed, {len(self.noticed)} told of closing, "
            f"{len(self.lapsed)} closed for silence; {len(self.late)} promises late; "
            f"{len(self.reminded)} survey reminders, {len(self.expired)} invitations expired"
            f"{unreadable}"
        )


@attrs.define
class Tally:
    """What the sweep did so far, for its report."""

    escalated: list[tuple[str, int]] = attrs.Factory(list)
    warned: list[str] = attrs.Factory(list)
    paused: dict[str, list[str]] = attrs.Factory(
        lambda: {"resumed": [], "noticed": [], "lapsed": []}
    )
    unreadable: list[str] = attrs.Factory(list)
    late: list[str] = attrs.Factory(list)
    failed: list[str] = attrs.Factory(list)
    conflicts: int = 0
    tenant: str = ""

    def about(self, case_id: str, **more: object) -> dict[str, object]:
        """A log record's ``extra``."""
        return {"tenant": self.tenant, "case_id": case_id, **more}

    def record(self, case: Case, change: Change) -> None:
        """Count a committed change to ``case`` (one sweep may have made several moves)."""
        moved = change.case
        ended = _pause_outcome(case, moved)
        late = any(isinstance(e, PromiseLate) for e in change.events)
        if late:
            self.late.append(moved.id)
            log.info("case %s: a promise is late", moved.id, extra=self.about(moved.id))
        if ended is not None:
            self.paused[ended].append(moved.id)
        climbed = moved.escalation_level != case.escalation_level
        if climbed:
            self.escalated.append((moved.id, moved.escalation_level))
            log.info(
                "case %s escalated to level %d", moved.id, moved.escalation_level,
                extra=self.about(moved.id, escalation_level=moved.escalation_level),
            )  # fmt: skip
        if any(isinstance(e, Warned | PromiseWarned) for e in change.events) or (
            not climbed and ended is None and change.notifications and not late
        ):
            self.warned.append(moved.id)
            log.info("case %s: owner warned at amber", moved.id, extra=self.about(moved.id))

    def report(self, now: datetime) -> SweepReport:
        paused = self.paused
        return SweepReport(
            now, tuple(self.escalated), tuple(self.warned), self.conflicts,
            resumed=tuple(paused["resumed"]), noticed=tuple(paused["noticed"]),
            lapsed=tuple(paused["lapsed"]), unreadable=tuple(self.unreadable),
            late=tuple(self.late), failed=tuple(self.failed),
        )  # fmt: skip


def _pause_outcome(before: Case, after: Case) -> str | None:
    if before.pause is None or after.pause == before.pause:
        return None
    if after.is_closed:
        return "lapsed"
    return "noticed" if after.pause is not None else "resumed"
