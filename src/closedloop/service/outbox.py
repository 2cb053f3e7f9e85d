"""The outbox (``desk.outbox``): delivering notifications, retries and dead letters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from closedloop.domain.checks import require_duration, require_limit
from closedloop.domain.outbox.messages import OutboxMessage
from closedloop.service import dispatch
from closedloop.service.context import Context
from closedloop.service.dispatch import DispatchReport

__all__ = ["Outbox"]


class Outbox:
    """Notifications committed with the changes that caused them, waiting to be delivered,
    reached as ``desk.outbox``. Run :meth:`dispatch` from a job every minute or so."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def dispatch(self, limit: int = 100, lease: timedelta = timedelta(minutes=5)) -> DispatchReport:
        """Deliver up to ``limit`` ready notifications through the notifier, at least once.

        Each message is leased for ``lease`` while it is delivered: if this process dies, a
        later dispatch delivers it after the lease, with the same key. Failures are retried
        with backoff per ``Policy.retry`` and finally become dead letters.
        """
        return dispatch.dispatch(
            self._ctx, require_limit("limit", limit), require_duration("lease", lease)
        )

    def dead_letters(self, limit: int = 100) -> Sequence[OutboxMessage]:
        """Notifications given up on, oldest first, with their last error."""
        return dispatch.dead_letters(self._ctx, limit)

    def requeue(self, *keys: str) -> None:
        """Give dead letters another chance: pending again, ready now."""
        dispatch.requeue(self._ctx, keys)
