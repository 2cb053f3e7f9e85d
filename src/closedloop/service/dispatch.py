"""Delivering the outbox: the only place the notifier, and the host's event handler, are
called."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import attrs

from closedloop.domain.checks import require_key
from closedloop.domain.errors import UndeliverableError
from closedloop.domain.limits import MAX_NOTIFICATION_KEY_BYTES
from closedloop.domain.outbox.messages import OutboxMessage
from closedloop.service import events
from closedloop.service.context import Context

__all__ = ["DispatchReport", "dead_letters", "dispatch", "requeue"]


@attrs.frozen
class DispatchReport:
    """What one dispatch did, by idempotency key: delivered, to be retried, given up on,
    and skipped (never handed to the notifier: a survey invitation or reminder nobody can
    answer any more, or a message to an erased customer; a dead letter whose error says
    so, never marked sent)."""

    sent: tuple[str, ...] = ()
    """Keys delivered."""
    retrying: tuple[str, ...] = ()
    """Keys whose delivery failed and will be retried."""
    dead: tuple[str, ...] = ()
    """Keys given up on: dead letters."""
    skipped: tuple[str, ...] = ()
    """Keys never handed to the notifier (an invitation nobody can answer any more, a message to an
    erased customer)."""

    @property
    def failed(self) -> tuple[str, ...]:
        """Every key whose delivery raised this time (retrying or dead)."""
        return self.retrying + self.dead


def dispatch(
    ctx: Context, limit: int = 100, lease: timedelta = timedelta(minutes=5)
) -> DispatchReport:
    """Claim up to ``limit`` ready messages and deliver them, at least once.

    A message is leased while it is being delivered; if this process dies, another dispatch
    takes it over once the lease expires, with the same key. A failure schedules a retry
    with exponential backoff and jitter, or, after the policy's last attempt, a dead letter;
    a notifier raising :class:`~closedloop.UndeliverableError` makes it a dead letter at once.
    A host event (purpose ``"event"``) goes to the Desk's event handler instead of the
    notifier, under the same rules.
    """
    sent: list[str] = []
    retrying: list[str] = []
    dead: list[str] = []
    withdrawn: list[str] = []
    store, retry = ctx.store, ctx.policy.retry
    for message in store.outbox_claim(ctx.clock.now(), limit, lease):
        event = events.is_event(message.notification)
        hooks = () if event else ctx.hooks.withhold  # a host event is not a customer's
        reason = next((why for hook in hooks if (why := hook(ctx, message.notification))), None)
        if reason is not None:
            # E.g. an invitation answered first: never marked sent, since it was not (G5); a
            # dead letter that says why, like a message whose customer was erased.
            store.mark_failed(message.key, ctx.clock.now(), f"not sent: {reason}", None)
            withdrawn.append(message.key)
            continue
        try:
            if event:  # a host event goes to the subscription's handler, never to a customer
                events.deliver(ctx, message.notification)
            else:
                ctx.notifier.send(message.notification)
        except Exception as exc:  # any other notifier failure means "try again later"
            now = ctx.clock.now()
            retry_at = (
                None
                if isinstance(exc, UndeliverableError)
                else retry.next_attempt(message.attempts + 1, now, ctx.random())
            )
            store.mark_failed(message.key, now, f"{type(exc).__name__}: {exc}", retry_at)
            (retrying if retry_at is not None else dead).append(message.key)
            continue
        store.mark_sent(message.key, ctx.clock.now())
        for delivered in ctx.hooks.on_delivered if not event else ():
            delivered(ctx, message.notification)
        sent.append(message.key)
    return DispatchReport(
        sent=tuple(sent), retrying=tuple(retrying), dead=tuple(dead), skipped=tuple(withdrawn)
    )


def requeue(ctx: Context, keys: Sequence[str]) -> None:
    """Give dead letters another chance, from now; all or (a key unknown) none."""
    for key in keys:
        ctx.store.outbox_message(require_key("keys", key, MAX_NOTIFICATION_KEY_BYTES))
    now = ctx.clock.now()
    for key in keys:
        ctx.store.requeue(key, now)


def dead_letters(ctx: Context, limit: int = 100) -> Sequence[OutboxMessage]:
    """The messages given up on, oldest first."""
    return ctx.store.dead_letters(limit)
