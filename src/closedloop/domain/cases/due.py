"""DueCase: what the sweep query returns, light enough to read by the thousand."""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["DueCase"]


@attrs.frozen
class DueCase:
    """An open case whose next step is due: its id, that instant, and its version.

    ``due_at`` is compared as an instant (stores may return it in UTC). Load the case with
    ``store.get(id)`` to act on it; commit with the version you read, as always.
    """

    id: str
    """The case's id."""
    due_at: datetime
    """When its next step is due."""
    version: int
    """The case's version when it was read."""
