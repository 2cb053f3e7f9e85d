"""What a sweep did: :class:`SweepReport`."""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["SweepReport"]


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
