"""Policy: the organisation's choices, handed to the Desk."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, tzinfo

import attrs

from closedloop.domain.channel import Channel
from closedloop.domain.errors import UnknownChannelError, ValidationError
from closedloop.domain.escalation import Ladder
from closedloop.domain.feedback import Feedback
from closedloop.domain.lifecycle import LATTE, Lifecycle
from closedloop.domain.outbox import RetryPolicy
from closedloop.domain.priority import Priority
from closedloop.domain.standards import Standards
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


@attrs.frozen
class Policy:
    """How this organisation runs its loop.

    - ``channels``: custom channels, besides the ten built in.
    - ``standards``: how fast each step must happen; they set every case's deadlines, and
      the acknowledgement's promise ("you will hear from us by") is the next of them.
    - ``ladder``: where late cases escalate, and who is alerted.
    - ``warn_at_amber``: whether the sweep warns a case's owner when a step turns amber.
    - ``timezone``: the zone dates are shown in to customers.
    - ``priority``: picks a new case's priority from its feedback.
    - ``templates``: the texts customers receive.
    - ``retry``: when failed deliveries are retried, and when they become dead letters.
    - ``lifecycle``: the LATTE table (replace it only with good reason).
    """

    channels: tuple[Channel, ...] = attrs.field(default=(), converter=_channels)
    standards: Standards = attrs.field(factory=Standards)
    ladder: Ladder = attrs.field(factory=Ladder)
    warn_at_amber: bool = False
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
