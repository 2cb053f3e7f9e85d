"""SystemClock: the real time, in UTC; CheckedClock: a host's clock, checked."""

from __future__ import annotations

from datetime import UTC, datetime

from closedloop.domain.checks import require_aware
from closedloop.domain.errors import ValidationError
from closedloop.ports import Clock

__all__ = ["CheckedClock", "SystemClock"]


class SystemClock:
    """A :class:`~closedloop.ports.Clock` reading the system's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class CheckedClock:
    """A host's clock, held to what closedloop takes: an aware datetime in the supported
    years (a zone no store can name again becomes its fixed offset)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        try:
            return require_aware("clock.now()", self.clock.now())
        except ValidationError as error:
            error.field = "clock"  # the Desk's argument; the message says what it returned
            raise
