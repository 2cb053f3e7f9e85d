"""A host event as the host receives it (:class:`HostEvent`), how one is built from the stored
records, and the outbox messages that stand for the events a change gives."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.change import Change, Write
from closedloop.domain.customers.erasure import authors
from closedloop.domain.errors import ValidationError
from closedloop.domain.hostevents.catalogue import KINDS
from closedloop.domain.hostevents.fields import Kind
from closedloop.domain.hostevents.sources import case_kinds, invitation_kinds
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.surveys.invitation import Invitation

__all__ = [
    "EVENT_PURPOSE",
    "SCHEMA_VERSION",
    "HostEvent",
    "case_event",
    "event_id",
    "invitation_event",
    "messages_for",
    "parse_key",
]

SCHEMA_VERSION = 1
"""The version of the host events' JSON layout (each event's ``version``): bumped when a field
changes meaning or goes away; new fields and new event types may appear without a bump."""

EVENT_PURPOSE = "event"
"""The ``purpose`` of an outbox message that stands for a host event."""

#: Whom an event's outbox message is for (it goes to the host's event handler).
_HOST = "host"


@attrs.frozen
class HostEvent:
    """One event for the host: what happened to a case or a survey invitation.

    ``id`` is the idempotency key, the same on every redelivery: drop repeats by it.
    ``data`` holds only ids, names, stages, numbers and times, unless the subscription opted
    in to personal data (``Subscribe(personal_data=True)``), which adds what the customer
    wrote and was written, and their handle. :meth:`to_dict` gives the JSON
    ``docs/events.md`` describes and :func:`closedloop.hostevents.schema` defines.
    """

    type: str
    """The event type, e.g. ``"case.opened"`` (``closedloop.hostevents.TYPES`` lists them)."""
    id: str
    """Its idempotency key, ``<tenant>/<case or invitation id>/<its version>/<type>`` (the
    tenant percent-encoded): stable across redeliveries, unique across tenants."""
    occurred_at: datetime
    """When the change that caused it happened."""
    tenant: str
    """The store's tenant it happened in."""
    case_id: str | None
    """The case it is about; None for a survey not about a case."""
    data: Mapping[str, object]
    """What happened, by event type (JSON values)."""
    version: int = SCHEMA_VERSION
    """The version of the JSON layout."""

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON object."""
        return {
            "type": self.type,
            "version": self.version,
            "id": self.id,
            "occurred_at": self.occurred_at.isoformat(),
            "tenant": self.tenant,
            "case_id": self.case_id,
            "data": dict(self.data),
        }

    def to_json(self) -> str:
        """The event as compact JSON text (UTF-8 characters kept as they are)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


def messages_for(write: Write, wanted: Callable[[str], bool]) -> tuple[Notification, ...]:
    """The outbox messages for the host events ``write`` gives that are ``wanted``: one per
    event, keyed ``<case or invitation id>/<its version>/<type>``."""
    if isinstance(write, Change):
        case = write.case
        return tuple(
            _message(f"{case.id}/{event.version}/{name}", case.id, name, event.at, None)
            for event in write.events
            for name in case_kinds(event, case.events)
            if wanted(name)
        )
    invitation = write.invitation
    return tuple(
        _message(
            f"{invitation.id}/{invitation.version}/{name}",
            invitation.case_id or "",
            name,
            _invitation_time(invitation, name),
            invitation.id,
        )
        for name in invitation_kinds(invitation, write.expected_version)
        if wanted(name)
    )


def _message(
    key: str, case_id: str, name: str, at: datetime, invitation_id: str | None
) -> Notification:
    return Notification(
        key=key, case_id=case_id, to=_HOST, channel=Channel.CRM, purpose=EVENT_PURPOSE,
        subject=name, body="", created_at=at, invitation_id=invitation_id,
    )  # fmt: skip


def _invitation_time(invitation: Invitation, name: str) -> datetime:
    if name == "survey.answered" and invitation.response is not None:
        return invitation.response.received_at
    if name in ("survey.expired", "survey.withdrawn") and invitation.settled_at is not None:
        return invitation.settled_at
    return invitation.created_at


def event_id(tenant: str, key: str) -> str:
    """The id the host sees for the event message ``key`` of ``tenant``: the tenant, with
    ``%``, ``/`` and anything but ASCII letters, digits and ``_.-~`` percent-encoded, then
    ``/`` and the key; so two tenants' events never share an id."""
    escaped = "".join(
        c
        if c.isascii() and (c.isalnum() or c in "_.-~")
        else "".join(f"%{byte:02X}" for byte in c.encode("utf-8"))
        for c in tenant
    )
    return f"{escaped}/{key}"


def parse_key(key: str) -> tuple[str, int, str]:
    """The record id, its version and the event type an event message's key names."""
    record, version, name = key.rsplit("/", 2)
    if name not in KINDS or not version.isdigit():
        raise ValidationError.of("key", f"{key!r} is not the key of a host event")
    return record, int(version), name


def case_event(
    case: Case, version: int, name: str, *, key: str, tenant: str, personal: bool
) -> HostEvent:
    """The host event ``name`` that the case's event at ``version`` gave, as stored now."""
    if not 1 <= version <= len(case.events):
        raise ValidationError.of("key", f"case {case.id!r} has no event at version {version}")
    event = case.events[version - 1]
    if name not in case_kinds(event, case.events):
        raise ValidationError.of(
            "key", f"the event at version {version} of case {case.id!r} does not give {name!r}"
        )
    by = event.by
    if not personal and (by == case.customer or by in authors(case.events)):
        by = "customer"
    data = {"by": by, "case_version": version, **_data(KINDS[name], event, case, personal)}
    return HostEvent(name, key, event.at, tenant, case.id, data)


def invitation_event(
    invitation: Invitation, name: str, *, key: str, tenant: str, personal: bool
) -> HostEvent:
    """The host event ``name`` that a change to ``invitation`` gave, as stored now."""
    if name not in KINDS or not name.startswith("survey."):
        raise ValidationError.of("key", f"{name!r} is not a survey event")
    data = _data(KINDS[name], invitation, None, personal)
    at = _invitation_time(invitation, name)
    return HostEvent(name, key, at, tenant, invitation.case_id, data)


def _data(kind: Kind, record: object, case: Case | None, personal: bool) -> dict[str, object]:
    return {f.name: f.get(record, case) for f in kind.fields if personal or not f.personal}
