"""The LATTE vocabulary: the stages a case rests in and the steps that move it.

Plain enums with no dependencies, so the error tree and every capability can name them;
the table of which step moves which case where is :mod:`closedloop.domain.cases.lifecycle`.
"""

from __future__ import annotations

import enum

__all__ = ["Stage", "Step"]


class Stage(enum.Enum):
    """Where a case rests: after the step of that name, or CLOSED once every step is done.

    Explain is always the last step that applies, so explaining closes the loop.
    """

    LISTENED = "listened"
    ACKNOWLEDGED = "acknowledged"
    ACTION_TAKEN = "action_taken"
    THANKED = "thanked"
    CLOSED = "closed"


class Step(enum.Enum):
    """What staff (or the customer, for REOPEN) do to a case."""

    LISTEN = "listen"
    ACKNOWLEDGE = "acknowledge"
    TAKE_ACTION = "take_action"
    DECLINE = "decline"
    THANK = "thank"
    EXPLAIN = "explain"
    REOPEN = "reopen"
