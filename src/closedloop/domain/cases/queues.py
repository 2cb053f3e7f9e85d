"""The work queues: whose move it is on a case."""

from __future__ import annotations

import enum

__all__ = ["Queue"]


class Queue(enum.Enum):
    """Whose move it is: every active case is in exactly one of these work queues."""

    UNANSWERED = "unanswered"
    """Nobody has acknowledged it yet."""
    AWAITING_REPLY = "awaiting_reply"
    """The customer wrote since staff last answered."""
    AWAITING_CUSTOMER = "awaiting_customer"
    """Paused: staff asked the customer something."""
    ON_HOLD = "on_hold"
    """Paused: waiting on a third party or a date."""
    IN_PROGRESS = "in_progress"
    """Staff's to act on, by its deadlines."""
