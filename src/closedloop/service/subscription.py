"""What the host subscribes to (:class:`Subscribe`), and who receives it (:class:`EventHandler`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

import attrs

from closedloop.domain.checks import shown
from closedloop.domain.errors import ValidationError
from closedloop.domain.hostevents.catalogue import KINDS
from closedloop.domain.hostevents.envelope import HostEvent

__all__ = ["EventHandler", "Subscribe"]


@runtime_checkable
class EventHandler(Protocol):
    """Receives host events (``WebhookNotifier`` is one: it POSTs each, signed).

    Delivery is at least once: the same event may arrive again after a crash or a failed
    attempt, with the same ``id``; drop repeats by it. Raise to say delivery failed: the
    outbox tries again later, and after ``Policy.retry.max_attempts`` keeps it as a dead
    letter (:class:`~closedloop.UndeliverableError`: a dead letter at once).
    """

    def handle_event(self, event: HostEvent) -> None:
        """Deliver ``event`` or raise."""
        ...


def _patterns(value: object) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError.of(
            "kinds", f"kinds must be a set of event types (or None for all), got {shown(value)}"
        )
    found = frozenset(value)
    groups = {name.split(".")[0] for name in KINDS}
    unknown = sorted(
        str(k)
        for k in found
        if not isinstance(k, str)
        or (k not in KINDS and not (k.endswith(".*") and k[:-2] in groups))
    )
    if unknown:
        raise ValidationError.of(
            "kinds",
            f"unknown event type {unknown[0]!r}; give names from closedloop.hostevents.TYPES "
            f"(e.g. 'case.opened') or a group ({', '.join(sorted(g + '.*' for g in groups))})",
        )
    return found


def _handler(value: object) -> object:
    if not (isinstance(value, EventHandler) or callable(value)):
        raise ValidationError.of(
            "handler",
            "Subscribe(handler) must be a function taking a HostEvent or an object with "
            f"handle_event(event) (a WebhookNotifier), got {shown(value)}",
        )
    return value


def _flag(instance: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError.of(
            attribute.name, f"{attribute.name} must be True or False, got {shown(value)}"
        )


@attrs.frozen
class Subscribe:
    """The host events a Desk queues, and where dispatch delivers them:
    ``Desk(store, notifier, events=Subscribe(handler, kinds={"case.opened", "case.closed"}))``.

    Each wanted event is committed to the outbox in the same transaction as the change that
    caused it, and ``desk.outbox.dispatch()`` hands it to ``handler`` at least once, with the
    outbox's retries and dead letters. Events not wanted are never queued.
    """

    handler: Callable[[HostEvent], object] | EventHandler = attrs.field(converter=_handler)
    """A function taking a :class:`~closedloop.HostEvent`, or an :class:`EventHandler`."""
    kinds: frozenset[str] | None = attrs.field(default=None, converter=_patterns)
    """The event types wanted, by name (``"case.opened"``) or group (``"case.*"``); None for
    every type."""
    personal_data: bool = attrs.field(default=False, validator=_flag)
    """True to put the customer's handle and what they wrote, or were written, in ``data``."""

    def wants(self, name: str) -> bool:
        """True if events of type ``name`` are subscribed to."""
        kinds = self.kinds
        return kinds is None or name in kinds or f"{name.split('.')[0]}.*" in kinds

    def deliver(self, event: HostEvent) -> None:
        """Hand ``event`` to the handler (raising what it raises)."""
        handler = self.handler
        if isinstance(handler, EventHandler):
            handler.handle_event(event)
        else:
            handler(event)
