"""Turning cases, events, invitations and notifications into JSON-ready values and back.

For adapter authors: a store that keeps :func:`dump_case` (or each event's
:func:`dump_event`) as JSON reads back a case equal to the one committed, field for field.
:func:`dump_snapshot` is a case's state without its history, so that reading a case decodes
one record however long the history (:func:`load_snapshot` takes the history as a loader).

Datetimes keep their zone: ``2026-03-29T02:30:00+02:00[Europe/Berlin]`` for a
``zoneinfo.ZoneInfo`` with a key that loads, plain ISO 8601 with an offset for fixed offsets
and UTC. Other ``tzinfo`` implementations, and a ``ZoneInfo`` without a loadable key
(``ZoneInfo.from_file``), are kept as the fixed offset they had at that instant.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

import attrs

from closedloop.domain.cases.case import Case, replay
from closedloop.domain.cases.events import EVENT_TYPES, Event
from closedloop.domain.cases.history import History, last_at
from closedloop.domain.checks import zone_named
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import StorageError
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.surveys.invitation import Invitation

__all__ = [
    "SNAPSHOT_FORMAT",
    "dump_case",
    "dump_customer",
    "dump_datetime",
    "dump_event",
    "dump_invitation",
    "dump_notification",
    "dump_record",
    "dump_snapshot",
    "load_case",
    "load_customer",
    "load_datetime",
    "load_event",
    "load_events",
    "load_invitation",
    "load_notification",
    "load_record",
    "load_snapshot",
    "load_stored_event",
    "load_stored_record",
]

JSON = Any
_R = TypeVar("_R")


def dump_datetime(value: datetime) -> str:
    """ISO 8601 with the offset, and ``[Zone/Name]`` for a ZoneInfo zone."""
    text = value.isoformat()
    zone = value.tzinfo
    if isinstance(zone, ZoneInfo) and zone_named(zone):
        return f"{text}[{zone.key}]"
    return text


def load_datetime(text: str) -> datetime:
    """The inverse of :func:`dump_datetime`: the same instant, wall time, fold and zone."""
    stamp, _, zone = text.partition("[")
    value = datetime.fromisoformat(stamp)
    if not zone:
        return value
    tz = ZoneInfo(zone.rstrip("]"))
    # Keep the wall time as written, even one a DST change skipped or repeated: the fold
    # whose offset matches the stored one is the datetime that was dumped.
    wall = value.replace(tzinfo=None)
    for fold in (0, 1):
        candidate = wall.replace(tzinfo=tz, fold=fold)
        if candidate.utcoffset() == value.utcoffset():
            return candidate
    return value.astimezone(tz)


def dump_event(event: Event) -> dict[str, JSON]:
    """An event as a JSON-ready dict, with its type under ``"type"``."""
    out = dump_record(event)
    out["type"] = type(event).__name__
    return out


def load_event(data: dict[str, JSON]) -> Event:
    """The inverse of :func:`dump_event`."""
    fields = dict(data)
    name = fields.pop("type", None)
    cls = EVENT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise StorageError(f"unknown event type {name!r}; was it written by a newer closedloop?")
    return load_record(cls, fields)


def load_stored_event(data: dict[str, JSON]) -> Event:
    """:func:`load_event` for an event a store wrote: rebuilt without running validators
    again (they ran when it was made), so a long history reads fast. A field an older
    closedloop did not write takes its default; a malformed value still raises."""
    name = data.get("type")
    cls = EVENT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        return load_event(data)  # says what is wrong
    return load_stored_record(cls, data)


def load_stored_record(cls: type[_R], data: dict[str, JSON]) -> _R:
    """:func:`load_record` for a record a store wrote (see :func:`load_stored_event`)."""
    load = _STORED_MAKERS.get(cls)
    if load is None:
        load = _STORED_MAKERS[cls] = _compile(cls, "", as_dict=False, tolerant=True)
    record: _R = load(data)
    return record


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


SNAPSHOT_FORMAT: Final = 7
"""The format of :func:`dump_snapshot`. Raise it whenever ``Case`` (or a record it holds, a
``Promise``, a ``Feedback``) gains, loses or changes a field, or an event sets one otherwise
(5: a reopen sets ``escalation_level`` to 0; 6: ``reopened_at``, ``pause_history``; 7:
``acknowledged_at``, ``opened_on``): another format's snapshot is replayed."""


def dump_snapshot(case: Case) -> dict[str, JSON]:
    """A case's state without its history: every field but ``events``, ``"format"``
    (:data:`SNAPSHOT_FORMAT`) and ``"last_at"``, the time of its last event."""
    dump = _DUMPS.get("snapshot")
    if dump is None:
        dump = _DUMPS["snapshot"] = _compile_dump(Case, "events")
    out: dict[str, JSON] = dump(case)
    return out | {"format": SNAPSHOT_FORMAT, "last_at": dump_datetime(last_at(case.events))}


def load_snapshot(
    data: dict[str, JSON], load_events: Callable[[int], Sequence[Event]]
) -> Case | None:
    """The case :func:`dump_snapshot` wrote, its ``events`` a :class:`History` that calls
    ``load_events(version)`` (the case's first ``version`` events) when first read; None
    for a snapshot of another format, which the caller replaces by replaying the events."""
    if data.get("format") != SNAPSHOT_FORMAT:
        return None
    state = _trusted_fields(Case, data, skip="events")
    version = state["version"]
    last = data.get("last_at")  # (none in a snapshot older than it: then it is loaded)
    state["events"] = History(partial(load_events, version), version, last and load_datetime(last))
    case: Case = object.__new__(Case)  # not slotted (see Case): its fields are its __dict__
    case.__dict__.update(state)
    return case


def dump_notification(notification: Notification) -> dict[str, JSON]:
    """A notification as a JSON-ready dict."""
    return dump_record(notification)


def load_notification(data: dict[str, JSON]) -> Notification:
    """The inverse of :func:`dump_notification`."""
    return load_record(Notification, dict(data))


def dump_invitation(invitation: Invitation) -> dict[str, JSON]:
    """A survey invitation (its survey and response included) as a JSON-ready dict."""
    return dump_record(invitation)


def load_invitation(data: dict[str, JSON]) -> Invitation:
    """The inverse of :func:`dump_invitation`."""
    return load_record(Invitation, dict(data))


def dump_customer(customer: Customer) -> dict[str, JSON]:
    """A customer (handles and identity history) as a JSON-ready dict."""
    return dump_record(customer)


def load_customer(data: dict[str, JSON]) -> Customer:
    """The inverse of :func:`dump_customer`."""
    return load_record(Customer, dict(data))


# -- converters, built once per class from its type hints ----------------------------------------
#
# Walking the type hints for every value would cost more than the database write, so each
# attrs class gets a list of (field, converter) pairs the first time it is seen.

Convert = Callable[[Any], Any]


_LOADERS: dict[type, tuple[tuple[str, Convert], ...]] = {}
_DUMPS: dict[type | str, Convert] = {}  # by class; "snapshot": a Case but events
_TRUSTED: dict[tuple[type, str], Convert] = {}
_TRUSTED_MAKERS: dict[type, Convert] = {}
_STORED_MAKERS: dict[type, Convert] = {}  # tolerant of fields an older version did not write


def _fields(cls: type) -> list[tuple[str, Any]]:
    attrs.resolve_types(cls)
    return [(f.name, f.type) for f in attrs.fields(cls)]


def dump_record(obj: Any) -> dict[str, JSON]:
    """Any attrs record whose fields this codec can store, as a JSON-ready dict."""
    cls = type(obj)
    dump = _DUMPS.get(cls)
    if dump is None:
        dump = _DUMPS[cls] = _compile_dump(cls, "")
    out: dict[str, JSON] = dump(obj)
    return out


def load_record(cls: type[_R], data: dict[str, JSON]) -> _R:
    """The inverse of :func:`dump_record`: a ``cls``, its validators run."""
    plan = _LOADERS.get(cls)
    if plan is None:
        plan = _LOADERS[cls] = tuple((name, _loader(hint)) for name, hint in _fields(cls))
    return cls(**{name: load(data[name]) for name, load in plan if name in data})


def _same(value: Any) -> Any:
    return value


def _optional(convert: Convert) -> Convert:
    return lambda value: None if value is None else convert(value)


def _loader(hint: Any) -> Convert:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return _optional(_loader(_one_option(hint)))
    if origin in (tuple, frozenset):
        inner = _loader(typing.get_args(hint)[0])
        return lambda values: origin(inner(v) for v in values)
    if hint is datetime:
        return load_datetime
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if isinstance(hint, type) and attrs.has(hint):
        return lambda data: load_record(hint, data)
    return _same


# A snapshot is derived from events that were checked when they were made, and reading one
# is the hot path of every case read. Its records are rebuilt without running validators
# again (values are still parsed: a malformed one raises), by a function compiled once per
# class, with each field's conversion written out (as attrs writes its __init__).


def _trusted_fields(cls: type, data: dict[str, JSON], skip: str = "") -> dict[str, Any]:
    """The fields of a ``cls`` (but ``skip``) from its dumped ``data``."""
    load = _TRUSTED.get((cls, skip))
    if load is None:
        load = _TRUSTED[(cls, skip)] = _compile(cls, skip, as_dict=True)
    fields: dict[str, Any] = load(data)
    return fields


def _compile(cls: type, skip: str, *, as_dict: bool, tolerant: bool = False) -> Convert:
    names: dict[str, Any] = {"load_datetime": load_datetime, "new": object.__new__,
                             "put": object.__setattr__, "cls": cls}  # fmt: skip
    fields = [(name, hint) for name, hint in _fields(cls) if name != skip]
    values = [_expression(hint, f"data[{name!r}]", names, 0, tolerant) for name, hint in fields]
    if tolerant:
        kept = [f for f in attrs.fields(cls) if f.name != skip]
        values = [_or_default(f, v, names) for f, v in zip(kept, values, strict=True)]
    if as_dict:
        items = ", ".join(f"{name!r}: {v}" for (name, _), v in zip(fields, values, strict=True))
        body = f"    return {{{items}}}"
    else:
        puts = [f"    put(obj, {n!r}, {v})" for (n, _), v in zip(fields, values, strict=True)]
        body = "\n".join(["    obj = new(cls)", *puts, "    return obj"])
    exec(f"def load(data):\n{body}", names)  # source built from type hints only
    made: Convert = names["load"]
    return made


def _compile_dump(cls: type, skip: str) -> Convert:
    """A function dumping a ``cls`` (but its field ``skip``) to a JSON-ready dict, compiled
    from its type hints: each field's conversion written out, as attrs writes __init__."""
    names: dict[str, Any] = {}
    fields = [(name, hint) for name, hint in _fields(cls) if name != skip]
    items = ", ".join(
        f"{name!r}: {_dump_expression(hint, f'obj.{name}', names, 0)}" for name, hint in fields
    )
    exec(f"def dump(obj):\n    return {{{items}}}", names)  # source built from type hints
    made: Convert = names["dump"]
    return made


def _or_default(field: attrs.Attribute[Any], value: str, names: dict[str, Any]) -> str:
    """``value``, or the field's default when the record lacks the field."""
    default: Any = field.default
    if default is attrs.NOTHING:
        return value
    key = f"c{len(names)}"
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        names[key] = default.factory  # no field reachable from an event takes self
        key += "()"
    else:
        names[key] = default
    return f"({value} if {field.name!r} in data else {key})"


def _dump_expression(hint: Any, source: str, names: dict[str, Any], depth: int) -> str:
    """Python source turning ``source``, of type ``hint``, into a JSON-ready value."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        inner = _dump_expression(_one_option(hint), source, names, depth)
        return source if inner == source else f"(None if {source} is None else {inner})"
    if origin in (tuple, frozenset):
        item = f"x{depth}"
        inner = _dump_expression(typing.get_args(hint)[0], item, names, depth + 1)
        return f"[{inner} for {item} in {source}]"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return f"{source}.value"
    if hint in (str, int, float, bool):
        return source
    key = f"c{len(names)}"
    if hint is datetime:
        names[key] = dump_datetime
    elif isinstance(hint, type) and attrs.has(hint):
        if hint not in _DUMPS:
            _DUMPS[hint] = _compile_dump(hint, "")
        names[key] = _DUMPS[hint]
    else:
        raise StorageError(f"closedloop.codec cannot store a field of type {hint!r}")
    return f"{key}({source})"


def _expression(
    hint: Any, source: str, names: dict[str, Any], depth: int, tolerant: bool = False
) -> str:
    """Python source turning the JSON value ``source`` into a value of type ``hint``."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        inner = _expression(_one_option(hint), source, names, depth, tolerant)
        return source if inner == source else f"(None if {source} is None else {inner})"
    if origin in (tuple, frozenset):
        item = f"x{depth}"
        inner = _expression(typing.get_args(hint)[0], item, names, depth + 1, tolerant)
        return f"{origin.__name__}([{inner} for {item} in {source}])"
    if hint is datetime:
        return f"load_datetime({source})"
    key = f"c{len(names)}"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        names[key] = hint._value2member_map_
        return f"{key}[{source}]"
    if isinstance(hint, type) and attrs.has(hint):
        makers = _STORED_MAKERS if tolerant else _TRUSTED_MAKERS
        if hint not in makers:
            makers[hint] = _compile(hint, "", as_dict=False, tolerant=tolerant)
        names[key] = makers[hint]
        return f"{key}({source})"
    return source


def _one_option(hint: Any) -> Any:
    options = [a for a in typing.get_args(hint) if a is not type(None)]
    if len(options) != 1:
        raise StorageError(f"closedloop.codec cannot store a field of type {hint!r}")
    return options[0]
