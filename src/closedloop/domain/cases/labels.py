"""What a host labels a case with: tags (``"billing"``, ``"vip"``) and custom fields
(``plan = "pro"``), set at intake (on the :class:`~closedloop.Feedback`) or by staff. Both are
small, normalised and checked here, so every store can index them alike."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from closedloop.domain.checks import require_unicode, shown
from closedloop.domain.errors import ValidationError

__all__ = [
    "MAX_FIELD_VALUE",
    "MAX_LABELS",
    "MAX_TAG",
    "FieldValue",
    "field_values",
    "merged_fields",
    "require_field_name",
    "tags_of",
]

#: The longest tag, in characters.
MAX_TAG: Final = 64
#: The longest custom field value, in characters.
MAX_FIELD_VALUE: Final = 500
#: At most this many tags, and this many custom fields, on one case.
MAX_LABELS: Final = 50

_TAG = re.compile(r"[^\s,\x00-\x1f\x7f][^,\x00-\x1f\x7f]*\Z")
_FIELD = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")


def _tag(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError.of(field, f"a tag must be a string, got {shown(value)}")
    tag = value.strip().lower()
    if not tag or len(tag) > MAX_TAG or not _TAG.match(tag):
        raise ValidationError.of(
            field,
            f"a tag must be 1 to {MAX_TAG} characters on one line, without commas; "
            f"got {shown(value)}",
        )
    return require_unicode(field, tag)


def tags_of(values: object, field: str = "tags") -> tuple[str, ...]:
    """``values`` as closedloop keeps tags: stripped, lower case, each once, sorted.
    A single string is refused (it would be read letter by letter)."""
    if values == ():  # most feedback has none: keep intake's hot path short
        return ()
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError.of(
            field, f"{field} must be a list or set of strings, got {shown(values)}"
        )
    tags = tuple(sorted({_tag(v, field) for v in values}))
    if len(tags) > MAX_LABELS:
        raise ValidationError.of(field, f"at most {MAX_LABELS} tags, got {len(tags)}")
    return tags


def require_field_name(value: object, field: str = "fields") -> str:
    """A custom field's name: lower-case letters, digits and ``_``, starting with a letter,
    at most 64 characters (``"plan"``, ``"order_number"``)."""
    if not isinstance(value, str) or not _FIELD.match(value):
        raise ValidationError.of(
            field,
            "a custom field name must be lower-case letters, digits and _, starting with a "
            f"letter, at most 64 characters (e.g. 'order_number'); got {shown(value)}",
        )
    return value


def _value(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or len(value) > MAX_FIELD_VALUE or "\x00" in value:
        raise ValidationError.of(
            "fields",
            f"a custom field's value must be a string of at most {MAX_FIELD_VALUE} "
            f"characters, without NUL, got {shown(value)}",
        )
    require_unicode("fields", value)


def _name(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    require_field_name(value)


@attrs.frozen
class FieldValue:
    """One custom field of a case: its name and its value (text)."""

    name: str = attrs.field(validator=_name)
    """The field's name (``"plan"``)."""
    value: str = attrs.field(validator=_value)
    """Its value (``"pro"``)."""


def field_values(values: object, field: str = "fields") -> tuple[FieldValue, ...]:
    """A mapping of names to values (or ``FieldValue`` records) as closedloop keeps custom
    fields: one per name, sorted by name."""
    if values == () or (isinstance(values, dict) and not values):
        return ()
    if isinstance(values, Mapping):
        try:
            pairs = [FieldValue(require_field_name(k, field), v) for k, v in values.items()]
        except ValidationError as error:  # name the caller's parameter, not the record's
            raise ValidationError.of(field, str(error)) from None
    elif isinstance(values, Iterable) and not isinstance(values, str):
        pairs = list(values)
        if not all(isinstance(p, FieldValue) for p in pairs):
            raise ValidationError.of(
                field, f"{field} must be a mapping of names to strings, got {shown(values)}"
            )
    else:
        raise ValidationError.of(
            field, f"{field} must be a mapping of names to strings, got {shown(values)}"
        )
    found = {p.name: p for p in pairs}
    if len(found) != len(pairs):
        raise ValidationError.of(field, f"{field} names a custom field twice: {shown(values)}")
    if len(found) > MAX_LABELS:
        raise ValidationError.of(field, f"at most {MAX_LABELS} custom fields, got {len(found)}")
    return tuple(found[name] for name in sorted(found))


def merged_fields(
    old: Iterable[FieldValue], new: Iterable[FieldValue], cleared: Iterable[str] = ()
) -> tuple[FieldValue, ...]:
    """``old`` with ``new`` set over it and the names in ``cleared`` removed, sorted."""
    found = {f.name: f for f in old}
    found.update((f.name, f) for f in new)
    for name in cleared:
        found.pop(name, None)
    return tuple(found[name] for name in sorted(found))
