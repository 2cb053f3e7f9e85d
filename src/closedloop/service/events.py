"""Delivering host events: each event message of the outbox rebuilt from the records it
names, as they are stored now, and handed to the subscription's handler."""

from __future__ import annotations

from closedloop.domain.errors import UndeliverableError
from closedloop.domain.hostevents.envelope import (
    EVENT_PURPOSE,
    HostEvent,
    case_event,
    event_id,
    invitation_event,
    parse_key,
)
from closedloop.domain.outbox.notification import Notification
from closedloop.service.context import Context

__all__ = ["deliver", "is_event", "rebuild"]


def is_event(notification: Notification) -> bool:
    """True if ``notification`` stands for a host event (it goes to the event handler)."""
    return notification.purpose == EVENT_PURPOSE


def rebuild(ctx: Context, notification: Notification, personal: bool) -> HostEvent:
    """The host event an outbox message stands for, read from the case's history or the
    invitation as stored now (an erasure since has taken the customer's details out)."""
    record, version, name = parse_key(notification.key)
    tenant = ctx.store.tenant
    key = event_id(tenant, notification.key)
    if notification.invitation_id is not None:
        invitation = ctx.store.invitation(record)
        return invitation_event(invitation, name, key=key, tenant=tenant, personal=personal)
    case = ctx.store.get(record)
    return case_event(case, version, name, key=key, tenant=tenant, personal=personal)


def deliver(ctx: Context, notification: Notification) -> None:
    """Hand the event to the subscription's handler, or raise as a notifier would."""
    subscription = ctx.events
    if subscription is None:
        raise UndeliverableError(
            notification.key,
            "this Desk has no event handler: dispatch host events from a Desk given "
            "events=Subscribe(...), then requeue this dead letter",
        )
    subscription.deliver(rebuild(ctx, notification, subscription.personal_data))
