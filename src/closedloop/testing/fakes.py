"""Fakes for host test suites: a clock you set, a notifier that records."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from closedloop.domain.checks import LAST_YEAR, require_aware
from closedloop.domain.errors import ValidationError
from closedloop.domain.outbox.notification import Notification

__all__ = ["ManualClock", "RecordingNotifier"]


class ManualClock:
    """A :class:`~closedloop.ports.Clock` that stands still until you move it.

    >>> clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    >>> clock.advance(hours=2).hour
    11
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = require_aware("start", start) if start is not None else _EPOCH

    def now(self) -> datetime:
        """The time it was set or advanced to (9:00 UTC on 5 January 2026 unless given a start)."""
        return self._now

    def set(self, instant: datetime) -> datetime:
        """Jump to ``instant`` (forwards or backwards) and return it."""
        self._now = require_aware("instant", instant)
        return self._now

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**parts)`` of real time (across a
        daylight-saving change too: the time stays in its zone); return the new time."""
        # The argument at fault in an error: ``delta``, or the one part given.
        field = next(iter(parts)) if delta is None and len(parts) == 1 else "delta"
        if delta is not None and parts:
            raise ValidationError.of(
                "delta", f"advance() takes a timedelta or its parts, not both; got {parts}"
            )
        try:
            step = delta if delta is not None else timedelta(**parts)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValidationError.of(
                field, f"advance() takes a timedelta or its parts: {exc}"
            ) from None
        if not isinstance(step, timedelta):
            raise ValidationError.of(
                field, f"advance() takes a timedelta, got {type(step).__name__}"
            )
        if step < timedelta(0):
            raise ValidationError.of(
                field, f"a clock advances forwards; got {step}. Use set() to go back"
            )
        try:  # in UTC: a zone's wall clock skips or repeats an hour at a DST change
            moved = (self._now.astimezone(UTC) + step).astimezone(self._now.tzinfo)
        except OverflowError:
            moved = datetime.max.replace(tzinfo=UTC)
        if moved.year > LAST_YEAR:
            raise ValidationError.of(
                field,
                f"advancing by {step} leaves the years closedloop takes (up to {LAST_YEAR})",
            )
        self._now = moved
        return self._now


_EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class RecordingNotifier:
    """A :class:`~closedloop.ports.Notifier` that keeps what it was given.

    To test retries, make deliveries raise: ``RecordingNotifier(fail=lambda n: True)``.
    """

    def __init__(self, fail: Callable[[Notification], bool] | None = None) -> None:
        self.sent: list[Notification] = []
        """Every notification delivered, in order."""
        self.fail = fail
        """A predicate making deliveries raise (to test retries); None delivers all."""
        self._lock = threading.Lock()

    def send(self, notification: Notification) -> None:
        """Record `notification` in `sent`, or raise `ConnectionError` when `fail` says so."""
        if self.fail is not None and self.fail(notification):
            raise ConnectionError(f"RecordingNotifier was told to fail {notification.key}")
        with self._lock:
            self.sent.append(notification)

    def to(self, recipient: str) -> list[Notification]:
        """What was sent to one recipient, in order."""
        return [n for n in self.sent if n.to == recipient]

    def purposes(self) -> list[str]:
        """The purpose of every notification sent, in order."""
        return [n.purpose for n in self.sent]

    def clear(self) -> None:
        """Forget everything sent so far."""
        with self._lock:
            self.sent.clear()
