"""SystemClock: the real time, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["SystemClock"]


class SystemClock:
    """A :class:`~closedloop.ports.Clock` reading the system's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)
