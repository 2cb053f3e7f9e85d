"""Delivering the outbox: the only place the notifier, and the host's event handler, are
called."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import attrs

from closedloop.domain.checks import require_key
from closedloop.domain.errors import UndeliverableError
from closedloop.domain.limits import MAX_NOTIFICATION_KEY_BYTES
from closedloop.domain.outbox.messages import WITHHELD, Delivery, OutboxMessage
from closedloop.domain.outbox.notification import Notification
from closedloop.service import events
from closedloop.service.context import Context
from closedloop.service.logs import notification_key
from closedloop.service.logs import outbox as log

__all__ = ["DispatchReport", "dead_letters", "dispatch", "requeue"]


@attrs.frozen
class DispatchReport:
    """What one dispatch did, by idempotency key: delivered, to be retried, given up on,
    and skipped (never handed to the notifier: a survey invitation or reminder nobody can
    answer any more, a question or closing notice whose pause is over, or a message to an
    erased customer; a dead letter whose error says so, never marked sent)."""

    sent: tuple[str, ...] = ()
    """Keys delivered."""
    retrying: tuple[str, ...] = ()
    """Keys whose delivery failed and will be retried."""
    dead: tuple[str, ...] = ()
    """Keys given up on: dead letters."""
    skipped: tuple[str, ...] = ()
    """Keys never handed to the notifier (an invitation nobody can answer any more, a question or
    closing notice whose pause is over, a message to an erased customer)."""

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
    notifier, under the same rules. What ``send`` returns is ignored: a notifier that returns
    something (``smtplib``'s refused recipients, ``False``) is warned about, once a dispatch.
    """
    sent: list[str] = []
    retrying: list[str] = []
    dead: list[str] = []
    withdrawn: list[str] = []
    store, retry = ctx.store, ctx.policy.retry
    # Typed to return anything: a notifier may break its protocol and return a failure.
    send: Callable[[Notification], object] = ctx.notifier.send
    warned = False
    for claimed in store.outbox_claim(ctx.clock.now(), limit, lease):
        # As it stands now, not as claimed: an erasure since rewrote it (or made it a dead
        # letter), or another dispatcher took it over when the lease ran out.
        message = store.outbox_message(claimed.key)
        if message.status is not Delivery.PENDING:
            withdrawn.append(message.key)
            continue
        event = events.is_event(message.notification)
        hooks = () if event else ctx.hooks.withhold  # a host event is not a customer's
        reason = next((why for hook in hooks if (why := hook(ctx, message.notification))), None)
        if reason is not None:
            # E.g. an invitation answered first: never marked sent, since it was not (G5); a
            # dead letter that says why, like a message whose customer was erased.
            store.mark_failed(message.key, ctx.clock.now(), f"{WITHHELD}{reason}", None)
            withdrawn.append(message.key)
            log.info(
                "notification %s withheld, a dead letter never sent: %s",
                notification_key(message.notification),
                reason,
                extra=_extra(ctx, message) | {"reason": reason},
            )
            continue
        returned: object = None
        try:
            if event:  # a host event goes to the subscription's handler, never to a customer
                events.deliver(ctx, message.notification)
            else:
                returned = send(message.notification)
        except Exception as exc:  # any other notifier failure means "try again later"
            now = ctx.clock.now()
            retry_at = (
                None
                if isinstance(exc, UndeliverableError)
                else retry.next_attempt(message.attempts + 1, now, ctx.random())
            )
            store.mark_failed(message.key, now, f"{type(exc).__name__}: {exc}", retry_at)
            (retrying if retry_at is not None else dead).append(message.key)
            _failed(ctx, message, type(exc).__name__, retry_at)
            continue
        store.mark_sent(message.key, ctx.clock.now())
        if returned is not None and not warned:
            warned = True
            _returned(ctx, message, returned)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "notification %s delivered",
                notification_key(message.notification),
                extra=_extra(ctx, message),
            )
        for delivered in ctx.hooks.on_delivered if not event else ():
            delivered(ctx, message.notification)
        sent.append(message.key)
    report = DispatchReport(
        sent=tuple(sent), retrying=tuple(retrying), dead=tuple(dead), skipped=tuple(withdrawn)
    )
    if (sent or retrying or dead or withdrawn) and log.isEnabledFor(logging.DEBUG):
        log.debug(
            "dispatch: %d sent, %d to retry, %d dead letters, %d withheld",
            len(sent), len(retrying), len(dead), len(withdrawn),
            extra={"tenant": store.tenant, "sent": len(sent), "retrying": len(retrying),
                   "dead": len(dead), "skipped": len(withdrawn)},
        )  # fmt: skip
    return report


def _extra(ctx: Context, message: OutboxMessage) -> dict[str, object]:
    notification = message.notification
    return {
        "tenant": ctx.store.tenant,
        "case_id": notification.case_id,
        "notification_key": notification_key(notification),
        "purpose": notification.purpose,
        "channel": notification.channel.name,
        "attempt": message.attempts + 1,
    }


def _failed(ctx: Context, message: OutboxMessage, error: str, retry_at: datetime | None) -> None:
    """A retry is routine (INFO); a dead letter needs someone to look (WARNING)."""
    extra = _extra(ctx, message) | {"error": error}
    key, attempt = extra["notification_key"], extra["attempt"]
    if retry_at is None:
        log.warning(
            "notification %s is a dead letter after attempt %d (%s); requeue it once fixed",
            key, attempt, error, extra=extra,
        )  # fmt: skip
    else:
        log.info(
            "notification %s failed on attempt %d (%s); retrying at %s",
            key, attempt, error, retry_at, extra=extra | {"retry_at": retry_at},
        )  # fmt: skip


def _returned(ctx: Context, message: OutboxMessage, returned: object) -> None:
    """Once a dispatch: a notifier returned a value (by its type alone: a refused-recipients
    dict holds addresses), which may have been a failure nobody will hear of."""
    kind = type(returned).__name__
    log.warning(
        "notification %s marked sent, though %s.send returned a %s: closedloop ignores what "
        "send returns, so a notifier must raise to report a failed delivery (later returns in "
        "this dispatch are not logged)",
        notification_key(message.notification), type(ctx.notifier).__name__, kind,
        extra=_extra(ctx, message) | {"returned": kind},
    )  # fmt: skip


def requeue(ctx: Context, keys: Sequence[str]) -> None:
    """Give dead letters another chance, from now; all or (a key unknown) none."""
    for key in keys:
        ctx.store.outbox_message(require_key("keys", key, MAX_NOTIFICATION_KEY_BYTES))
    now = ctx.clock.now()
    for key in keys:
        ctx.store.requeue(key, now)
    if keys:
        log.info(
            "%d dead letters requeued",
            len(keys),
            extra={"tenant": ctx.store.tenant, "count": len(keys)},
        )


def dead_letters(ctx: Context, limit: int = 100) -> Sequence[OutboxMessage]:
    """The messages given up on, oldest first."""
    return ctx.store.dead_letters(limit)
