"""Events for the host's CRM: the types, the JSON Schema, and the values, from one place.

A Desk given ``events=Subscribe(handler, kinds=...)`` commits each wanted event to the outbox
with the change that caused it; ``desk.outbox.dispatch()`` hands it to ``handler`` as a
:class:`HostEvent`, at least once. ``docs/events.md`` describes every type.

>>> from closedloop.hostevents import TYPES, schema
>>> "case.opened" in TYPES
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING

from closedloop.domain.hostevents.catalogue import KINDS as _KINDS
from closedloop.domain.hostevents.envelope import SCHEMA_VERSION, HostEvent
from closedloop.domain.hostevents.schema import schema
from closedloop.service.subscription import EventHandler, Subscribe

if _TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["SCHEMA_VERSION", "TYPES", "EventHandler", "HostEvent", "Subscribe", "schema"]

TYPES: Mapping[str, str] = {name: kind.description for name, kind in _KINDS.items()}
"""Every host event type by name, with when it is sent."""
