"""The outbox: notifications stored with the change that caused them, and their delivery."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

import attrs

from closedloop.domain.checks import positive_duration, shown
from closedloop.domain.errors import ValidationError
from closedloop.domain.outbox.notification import Notification

__all__ = ["WITHHELD", "Delivery", "OutboxMessage", "RetryPolicy", "withheld"]


class Delivery(enum.Enum):
    """Where a notification is in its delivery."""

    PENDING = "pending"
    """Waiting for its next attempt (or leased to a dispatcher)."""
    SENT = "sent"
    """Delivered."""
    DEAD = "dead"
    """Gave up after too many attempts; can be requeued."""


#: How the last error of a dead letter closedloop withheld begins: never handed to a notifier
#: because it became moot (an invitation answered or withdrawn, a customer erased, a pause's
#: question after the pause ended), not because a delivery failed.
WITHHELD = "not sent: "


@attrs.frozen
class OutboxMessage:
    """A notification and its delivery state, as a store keeps it."""

    notification: Notification
    """What to deliver."""
    status: Delivery = Delivery.PENDING
    """Pending, sent or dead."""
    attempts: int = 0
    """How many deliveries failed so far."""
    next_attempt_at: datetime | None = None
    """When the next attempt may be made; None for at once."""
    last_error: str | None = None
    """What the notifier said on the last failure; None if none failed."""
    sent_at: datetime | None = None
    """When it was delivered; None until then."""

    @property
    def key(self) -> str:
        """The notification's idempotency key."""
        return self.notification.key


def _number(value: object, low: float, high: float) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and low <= value <= high


def _factor(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not _number(value, 1, 10):
        raise ValidationError.of(
            attribute.name, f"{attribute.name} must be a number from 1 to 10, got {shown(value)}"
        )


def _attempts(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int) or not _number(value, 1, 100):
        raise ValidationError.of(
            attribute.name,
            f"{attribute.name} must be a whole number from 1 to 100, got {shown(value)}",
        )


def _fraction(instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if not _number(value, 0, 1) or value == 1:
        raise ValidationError.of(
            attribute.name, f"{attribute.name} must be from 0 up to (not including) 1"
        )


@attrs.frozen
class RetryPolicy:
    """When to try a failed delivery again, and when to give up.

    The n-th retry waits ``first_delay * factor**(n-1)``, capped at ``max_delay``, spread by
    up to ``jitter`` either way so that many failures do not retry in lockstep. After
    ``max_attempts`` failed attempts the message becomes a dead letter.
    """

    first_delay: timedelta = attrs.field(default=timedelta(seconds=30), validator=positive_duration)
    """The wait before the first retry."""
    factor: float = attrs.field(default=2.0, validator=_factor)
    """How much longer each further wait is."""
    max_delay: timedelta = attrs.field(default=timedelta(hours=6), validator=positive_duration)
    """The longest wait."""
    max_attempts: int = attrs.field(default=8, validator=_attempts)
    """Failed attempts after which the message becomes a dead letter."""
    jitter: float = attrs.field(default=0.2, validator=_fraction)
    """The fraction by which a wait is spread either way (0.2: up to 20%)."""

    def next_attempt(self, failed_attempts: int, now: datetime, spread: float) -> datetime | None:
        """When to try again after ``failed_attempts`` failures, or None to give up.

        ``spread`` is a number in [0, 1) (a random draw, passed in to keep this pure).
        """
        if failed_attempts >= self.max_attempts:
            return None
        base = min(
            self.first_delay.total_seconds() * self.factor ** (failed_attempts - 1),
            self.max_delay.total_seconds(),
        )
        return now + timedelta(seconds=base * (1 + self.jitter * (2 * spread - 1)))


def withheld(message: OutboxMessage) -> bool:
    """Whether ``message`` is a dead letter closedloop withheld as moot (see
    :data:`WITHHELD`): nothing to fix, and requeueing it withholds it again."""
    error = message.last_error
    return message.status is Delivery.DEAD and error is not None and error.startswith(WITHHELD)
