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
    """Recorded; nobody has acknowledged it yet."""
    ACKNOWLEDGED = "acknowledged"
    """The customer was told it arrived, who is on it and when they hear next."""
    ACTION_TAKEN = "action_taken"
    """Something was done about it (or it was declined)."""
    THANKED = "thanked"
    """The customer was thanked."""
    CLOSED = "closed"
    """The loop is closed: every step that applies is done."""


class Step(enum.Enum):
    """What staff (or the customer, for REOPEN) do to a case."""

    LISTEN = "listen"
    """Record the feedback, opening a case."""
    ACKNOWLEDGE = "acknowledge"
    """Tell the customer it arrived, who is on it and when they hear next."""
    TAKE_ACTION = "take_action"
    """Do something about it."""
    DECLINE = "decline"
    """Take action by saying no, with a reason (it goes in the no log)."""
    THANK = "thank"
    """Thank the customer for the feedback."""
    EXPLAIN = "explain"
    """Say what part of the process failed and what will change; closes the loop."""
    REOPEN = "reopen"
    """The customer says it is not resolved: back to Take action."""
