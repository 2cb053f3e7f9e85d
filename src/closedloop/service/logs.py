"""The service's loggers, one per area, and what each logs (docs/operations.md, "Logging").

Records carry ids, counts and kinds in ``extra``, never what a customer wrote, a message's
text, a handle, an address or a name: a host's logs hold no personal data from closedloop.
A notifier's error is logged by its type alone, since its text may quote an address. Every
call uses %-style arguments, so nothing is formatted for a level that is off.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from closedloop.domain.outbox.notification import Notification

__all__ = [
    "customers",
    "inbox",
    "intake",
    "notification_key",
    "outbox",
    "standards",
    "surveys",
    "swept",
]

outbox = logging.getLogger("closedloop.outbox")
"""Deliveries (DEBUG), retries (INFO), dead letters and withheld messages (WARNING, INFO), a
notifier that returned a value instead of raising (WARNING)."""
standards = logging.getLogger("closedloop.standards")
"""The sweep: escalations and amber warnings (INFO), conflicts (DEBUG), unreadable cases
(WARNING), its summary (INFO); escalations by the customer (INFO)."""
intake = logging.getLogger("closedloop.intake")
"""Feedback in: a case opened, a message joining an open case, a repeat delivery (DEBUG)."""
customers = logging.getLogger("closedloop.customers")
"""Erasure, merges and their undoing (INFO), links (DEBUG)."""
inbox = logging.getLogger("closedloop.inbox")
"""Inbound email: a bounce that makes a dead letter (WARNING), a temporary bounce or one of no
message sent (INFO), replies, new cases and automatic replies (DEBUG)."""
surveys = logging.getLogger("closedloop.surveys")
"""Invitations made and answers recorded (DEBUG)."""


def notification_key(notification: Notification) -> str:
    """The notification's idempotency key, without the recipient an alert to staff ends with
    (``<case>/<version>/escalation/<address>``)."""
    suffix = f"/{notification.to}"
    key = notification.key
    return key[: -len(suffix)] + "/<recipient>" if key.endswith(suffix) else key


_COUNTED = (
    "escalated",
    "warned",
    "resumed",
    "noticed",
    "lapsed",
    "reminded",
    "expired",
    "unreadable",
    "late",
)


def swept(tenant: str, report: object) -> None:
    """The summary of a ``SweepReport``: INFO when the sweep changed anything, else DEBUG."""
    counts: dict[str, object] = {name: len(getattr(report, name)) for name in _COUNTED}
    counts["conflicts"] = getattr(report, "conflicts", 0)
    busy = any(counts.values())
    level = logging.INFO if busy else logging.DEBUG
    if standards.isEnabledFor(level):
        standards.log(level, "%s", report, extra={"tenant": tenant, **counts})
