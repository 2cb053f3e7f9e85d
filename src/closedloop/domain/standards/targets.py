"""What a standard measures (:class:`Target`) and where a step or a KPI stands
(:class:`Rag`). Re-exported by ``closedloop.domain.standards.standard``."""

from __future__ import annotations

import enum

__all__ = ["Rag", "Target"]


class Target(enum.Enum):
    """The step a standard measures."""

    ACKNOWLEDGE = "acknowledge"
    """From when the case opened to the acknowledgement."""
    TAKE_ACTION = "take_action"
    """From opening (or the last reopen) to action or a decline."""
    CLOSE_LOOP = "close_loop"
    """From opening (or the last reopen) to the loop closed."""
    REPLY = "reply"
    """From the customer's first unanswered word to staff answering them."""
    CONTACT = "contact"
    """A recovery case: from opening to staff speaking to them in person."""


class Rag(enum.Enum):
    """Red, amber, green: breached, close to it, fine."""

    GREEN = "green"
    """Fine: a step with less than `Standards.amber_at` of its time used; a KPI meeting
    `KpiThresholds.green_at`."""
    AMBER = "amber"
    """Close: a step with at least `Standards.amber_at` of its time used; a KPI meeting
    `KpiThresholds.amber_at` only."""
    RED = "red"
    """Breached: a step past its deadline; a KPI below `KpiThresholds.amber_at`."""
