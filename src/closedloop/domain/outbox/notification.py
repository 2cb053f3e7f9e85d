"""Notifications: messages the library asks a notifier to deliver."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.checks import require_aware

__all__ = ["SPENT_TOKEN", "Notification", "message_digest"]

#: What a delivered message's survey token reads as in the outbox.
SPENT_TOKEN = "[token]"


def _instant(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a timezone-aware datetime (None for ``deliver_after``), cheap for the
    UTC instants closedloop makes itself: every step and every outbox read builds some."""
    if type(value) is datetime and value.tzinfo is UTC:
        return
    if value is not None or attribute.name == "created_at":
        # Unbounded: a deadline computed from an instant may lie beyond the input years.
        require_aware(attribute.name, value, bounded=False)


@attrs.frozen
class Notification:
    """One message to deliver, stored in the outbox in the same commit as the change.

    ``key`` is stable and unique: a notifier that sees the same key twice is seeing a
    redelivery and should not send it again. ``purpose`` says why it exists
    (``"acknowledgement"``, ``"thanks"``, ``"explanation"``, ...); ``to`` is the customer
    or the staff member it is for; ``channel`` is where the reply should go. A message with
    ``deliver_after`` waits in the outbox until then (an alert held until office hours).
    Both instants must be timezone-aware (``NaiveDatetimeError`` otherwise).
    A survey invitation or reminder names its ``invitation_id`` (and has an empty
    ``case_id`` when the survey is not about a case), and carries its survey ``token`` in
    its link (an acknowledgement may carry a status link's): the outbox forgets it once the
    message is delivered (:meth:`spent`).
    """

    key: str
    """Stable and unique: the same key twice is a redelivery, not to be sent again."""
    case_id: str
    """The case it is about; empty for a survey not about a case."""
    to: str
    """The customer's handle, or the staff member it is for."""
    channel: Channel
    """Where it goes."""
    purpose: str
    """Why it exists, and the `Templates` field that rendered it: `"acknowledgement"`, `"thanks"`,
    `"explanation"`, `"answer"`, `"reply"`, `"question"`, `"closing_notice"`, `"verification"`,
    `"warning"`, `"escalation"`, `"survey_invitation"` or `"survey_reminder"`."""
    subject: str
    """The rendered subject line."""
    body: str
    """The rendered text."""
    created_at: datetime = attrs.field(validator=_instant)
    """When it was made: the instant of the change that caused it."""
    deliver_after: datetime | None = attrs.field(default=None, validator=_instant)
    """Held in the outbox until then (an alert kept for office hours); None for at once."""
    invitation_id: str | None = None
    """The survey invitation it carries or reminds of; None otherwise."""
    token: str | None = None
    """The secret in its link (a survey token, or a status link's token), forgotten once
    delivered; None otherwise."""

    @property
    def ready_at(self) -> datetime:
        """When the outbox may first deliver it."""
        return self.deliver_after if self.deliver_after is not None else self.created_at

    def spent(self) -> Notification:
        """The notification as the outbox keeps it once delivered: the token it carried
        replaced in its subject and body by ``[token]``, and forgotten."""
        token = self.token
        if token is None:
            return self
        return attrs.evolve(
            self,
            subject=self.subject.replace(token, SPENT_TOKEN),
            body=self.body.replace(token, SPENT_TOKEN),
            token=None,
        )


def message_digest(key: str) -> str:
    """What stands before the ``@`` in the ``Message-ID`` of the email sent for notification
    ``key``: the same key always gives the same digest, so a reply can be matched to it."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
