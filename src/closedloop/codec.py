"""Turning cases, events and notifications into JSON-ready values and back, exactly.

For adapter authors: a store that keeps :func:`dump_case` (or each event's
:func:`dump_event`) as JSON reads back a case equal to the one committed, field for field.

Datetimes keep their zone: ``2026-03-29T02:30:00+02:00[Europe/Berlin]`` for a
``zoneinfo.ZoneInfo``, plain ISO 8601 with an offset for fixed offsets and UTC. Other
``tzinfo`` implementations are kept as the fixed offset they had at that instant.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from closedloop.domain.case import Case, replay
from closedloop.domain.errors import StorageError
from closedloop.domain.events import Event
from closedloop.domain.notification import Notification

__all__ = [
    "dump_case",
    "dump_datetime",
    "dump_event",
    "dump_notification",
    "load_case",
    "load_datetime",
    "load_event",
    "load_events",
    "load_notification",
]

JSON = Any


def dump_datetime(value: datetime) -> str:
    """ISO 8601 with the offset, and ``[Zone/Name]`` for a ZoneInfo zone."""
    text = value.isoformat()
    if isinstance(value.tzinfo, ZoneInfo):
        return f"{text}[{value.tzinfo.key}]"
    return text


def load_datetime(text: str) -> datetime:
    """The inverse of :func:`dump_datetime`."""
    stamp, _, zone = text.partition("[")
    value = datetime.fromisoformat(stamp)
    if zone:
        value = value.astimezone(ZoneInfo(zone.rstrip("]")))
    return value


def dump_event(event: Event) -> dict[str, JSON]:
    """An event as a JSON-ready dict, with its type under ``"type"``."""
    out = _dump_attrs(event)
    out["type"] = type(event).__name__
    return out


def load_event(data: dict[str, JSON]) -> Event:
    """The inverse of :func:`dump_event`."""
    fields = dict(data)
    name = fields.pop("type", None)
    cls = _event_types().get(name) if isinstance(name, str) else None
    if cls is None:
        raise StorageError(f"unknown event type {name!r}; was it written by a newer closedloop?")
    event: Event = _load_attrs(cls, fields)
    return event


def dump_case(case: Case) -> dict[str, JSON]:
    """A case as its history, ``{"id", "version", "events"}``; :func:`load_case` replays it.

    ``id`` and ``version`` are there so a store can check a version without replaying.
    """
    return {"id": case.id, "version": case.version, "events": [dump_event(e) for e in case.events]}


def load_case(data: dict[str, JSON]) -> Case:
    """The inverse of :func:`dump_case`."""
    return load_events(data["events"])


def load_events(events: Iterable[dict[str, JSON]]) -> Case:
    """Replay a case from dumped events, oldest first."""
    return replay(load_event(e) for e in events)


def dump_notification(notification: Notification) -> dict[str, JSON]:
    """A notification as a JSON-ready dict."""
    return _dump_attrs(notification)


def load_notification(data: dict[str, JSON]) -> Notification:
    """The inverse of :func:`dump_notification`."""
    notification: Notification = _load_attrs(Notification, dict(data))
    return notification


# -- the generic walk over attrs classes, driven by their type hints ---------------------------


@functools.cache
def _event_types() -> dict[str, type[Event]]:
    found: dict[str, type[Event]] = {}
    pending: list[type[Event]] = [Event]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


_HINTS: dict[type, tuple[tuple[str, Any], ...]] = {}


def _hints(cls: type) -> tuple[tuple[str, Any], ...]:
    hints = _HINTS.get(cls)
    if hints is None:
        attrs.resolve_types(cls)
        hints = _HINTS[cls] = tuple((f.name, f.type) for f in attrs.fields(cls))
    return hints


def _dump_attrs(obj: Any) -> dict[str, JSON]:
    return {name: _dump(getattr(obj, name)) for name, _ in _hints(type(obj))}


def _load_attrs(cls: type, data: dict[str, JSON]) -> Any:
    kwargs = {name: _load(hint, data[name]) for name, hint in _hints(cls) if name in data}
    return cls(**kwargs)


def _dump(value: Any) -> JSON:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return dump_datetime(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list | frozenset):
        return [_dump(v) for v in value]
    if attrs.has(type(value)):
        return _dump_attrs(value)
    raise StorageError(f"cannot store a {type(value).__name__}: {value!r}")


def _load(hint: Any, value: JSON) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _load(options[0], value)
    if origin in (tuple, frozenset):
        inner = typing.get_args(hint)[0]
        return origin(_load(inner, v) for v in value)
    if hint is datetime:
        return load_datetime(value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if isinstance(hint, type) and attrs.has(hint):
        return _load_attrs(hint, value)
    return value
