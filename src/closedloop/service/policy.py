"""Policy: the organisation's choices, handed to the Desk."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, timedelta, tzinfo
from typing import Any

import attrs

from closedloop.domain.channel import Channel
from closedloop.domain.errors import UnknownChannelError, ValidationError
from closedloop.domain.feedback import Feedback
from closedloop.domain.lifecycle import LATTE, Lifecycle
from closedloop.domain.outbox import RetryPolicy
from closedloop.domain.priority import Priority
from closedloop.service.templates import Templates

__all__ = ["Policy", "default_priority"]


def default_priority(feedback: Feedback) -> Priority:
    """HIGH for a regulator or a public channel, NORMAL otherwise."""
    if feedback.channel == Channel.OMBUDSMAN or feedback.channel.public:
        return Priority.HIGH
    return Priority.NORMAL


def _channels(value: Iterable[Channel]) -> tuple[Channel, ...]:
    channels = tuple(value)
    for channel in channels:
        if not isinstance(channel, Channel):
            raise ValidationError(f"channels must be Channel objects, got {channel!r}")
    return channels


def _positive(instance: Any, attribute: attrs.Attribute[timedelta], value: object) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValidationError(f"{attribute.name} must be a positive timedelta, got {value!r}")


@attrs.frozen
class Policy:
    """How this organisation runs its loop.

    - ``channels``: custom channels, besides the ten built in.
    - ``acknowledge_within``: when a new case's acknowledgement is due.
    - ``respond_within``: what the acknowledgement promises ("you will hear from us by"),
      and how long each later step may take.
    - ``timezone``: the zone dates are shown in to customers.
    - ``priority``: picks a new case's priority from its feedback.
    - ``templates``: the texts customers receive.
    - ``retry``: when failed deliveries are retried, and when they become dead letters.
    - ``lifecycle``: the LATTE table (replace it only with good reason).
    """

    channels: tuple[Channel, ...] = attrs.field(default=(), converter=_channels)
    acknowledge_within: timedelta = attrs.field(default=timedelta(days=1), validator=_positive)
    respond_within: timedelta = attrs.field(default=timedelta(days=2), validator=_positive)
    timezone: tzinfo = UTC
    priority: Callable[[Feedback], Priority] = default_priority
    templates: Templates = attrs.field(factory=Templates)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    lifecycle: Lifecycle = LATTE

    def check_channel(self, channel: Channel) -> None:
        """Raise :class:`UnknownChannelError` unless ``channel`` is built in or registered."""
        if channel in Channel.builtins() or channel in self.channels:
            return
        known = [c.name for c in (*Channel.builtins(), *self.channels)]
        raise UnknownChannelError(channel.name, known)
