"""What every store's AgentStorage role shares: its arguments checked alike, and the rows of
the open-cases-by-owner index a commit writes (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from closedloop.adapters.common import check_key
from closedloop.domain.cases.events import (
    Acknowledged,
    Assigned,
    CaseOpened,
    MergedInto,
    Reopened,
    StepEvent,
)
from closedloop.domain.change import Change
from closedloop.domain.errors import ValidationError

__all__ = ["AGENT_TABLES", "check_after", "check_turn", "owned_rows"]

#: The role's tables in the SQL stores (under row-level security in PostgreSQL).
AGENT_TABLES: Final[tuple[str, ...]] = ("agents", "agent_cases", "team_rotations")


#: Events after which a case's row may change; those after which an active owned case's row
#: must be written.
_TOUCH = (CaseOpened, Assigned, StepEvent, MergedInto)
_OWNS = (CaseOpened, Assigned, Acknowledged, Reopened)


def check_turn(team: str, turn: object, owner: str) -> int:
    """``turn`` checked (a whole number of turns, at least 0), with the team and owner."""
    check_key("team", team)
    check_key("owner", owner)
    if isinstance(turn, bool) or not isinstance(turn, int) or turn < 0:
        raise ValidationError.of("turn", f"turn must be a whole number >= 0, got {turn!r}")
    return turn


def check_after(after: object) -> str:
    """A page's start: a case id, or ``""`` for the first page."""
    if not isinstance(after, str):
        raise ValidationError.of("after", f"after must be a case id or '', got {after!r}")
    return after


def owned_rows(
    changes: Sequence[Change],
) -> tuple[list[tuple[str, str]], list[str]]:
    """The ``(case id, owner)`` rows of the cases of ``changes`` that an owner now holds
    open, and the ids of those whose row must go: an owned case no longer active, or one an
    ``Assigned`` event took from its owner.

    Only events that can change a case's owner (``CaseOpened``, ``Assigned``,
    ``Acknowledged``) or whether it is active (a step: ``Reopened``, one that closes it;
    ``MergedInto``) write anything, so most commits — messages, notes, escalations, steps
    on an active case — cost no statement here. A case never owned writes nothing."""
    held: list[tuple[str, str]] = []
    dropped: list[str] = []
    for change in changes:
        case = change.case
        events = change.events
        if not any(isinstance(e, _TOUCH) for e in events):
            continue
        if case.owner is not None and case.is_active:
            if any(isinstance(e, _OWNS) for e in events):
                held.append((case.id, case.owner))
        elif case.owner is not None or any(isinstance(e, Assigned) for e in events):
            dropped.append(case.id)
    return held, dropped
