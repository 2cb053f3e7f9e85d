"""A request declined, as a record: a case's own declines and those of the cases merged
into it (``Case.declines``).

A merge brings the other case's declines along as records (:class:`Decline`), so that the
case the matter continues on shows staff and the customer what was already said no to, and
why. A split hands a record on with the messages of the customer it was said to, when it
leaves none of theirs behind (``SplitOff.declines``, ``CaseOpened.declines``). The no log
counts each decline once, on the case it was made on (the ``Declined`` event there): a
record a merge or a split brought is never counted again.
"""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["Decline"]


@attrs.frozen
class Decline:
    """A request staff declined: on which case and whose, when, by whom, what was asked,
    why not, and its no log category."""

    case_id: str
    """The case it was declined on (the no log counts it there)."""
    customer: str
    """The handle of that case's customer."""
    at: datetime
    """When it was declined."""
    by: str
    """Who declined it."""
    reason: str
    """The reason the customer was given."""
    category: str = "other"
    """Its no log category."""
    asked: str = ""
    """What the customer asked for; empty if not said."""
