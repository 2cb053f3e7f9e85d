"""The pieces an event's ``data`` is made of: one field, its JSON Schema, how it is read."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

__all__ = ["DataField", "Kind", "json_value"]

#: Reads one field from the record an event is about (a case's event, or an invitation),
#: given the case (None for an invitation).
Getter = Callable[[Any, Any], object]


def json_value(value: object) -> object:
    """``value`` as JSON holds it: an instant in ISO 8601 with its offset, an enum by its
    value, a channel by its name."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    name = getattr(value, "name", None)
    if isinstance(name, str) and not isinstance(value, str):
        return name
    return value


@attrs.frozen
class DataField:
    """One entry of an event's ``data``."""

    name: str
    """Its key in ``data``."""
    schema: Mapping[str, object]
    """The JSON Schema its value satisfies."""
    get: Getter
    """Reads it from the event (and the case)."""
    personal: bool = False
    """True for what the customer wrote or was written (left out unless the host opts in)."""


@attrs.frozen
class Kind:
    """One type of host event: its name, what it means and the fields of its ``data``."""

    name: str
    """The event type, e.g. ``"case.opened"``."""
    description: str
    """When it is sent."""
    fields: tuple[DataField, ...]
    """What its ``data`` holds (besides ``by`` and ``case_version`` for a case event)."""
