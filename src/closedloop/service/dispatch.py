"""Delivering the outbox: the only place the notifier is called."""

from __future__ import annotations

import attrs

from closedloop.service.context import Context

__all__ = ["DispatchReport", "dispatch"]


@attrs.frozen
class DispatchReport:
    """What one dispatch did: keys delivered, and keys whose delivery raised."""

    sent: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


def dispatch(ctx: Context, limit: int = 100) -> DispatchReport:
    """Deliver up to ``limit`` ready notifications; a failure leaves the message queued."""
    sent: list[str] = []
    failed: list[str] = []
    for notification in ctx.store.outbox_ready(ctx.clock.now(), limit):
        try:
            ctx.notifier.send(notification)
        except Exception:
            failed.append(notification.key)
            continue
        ctx.store.mark_sent(notification.key, ctx.clock.now())
        sent.append(notification.key)
    return DispatchReport(sent=tuple(sent), failed=tuple(failed))
