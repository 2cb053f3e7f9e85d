"""What a :class:`~closedloop.Standard` selects cases by, checked: sets of channels (by
name), priorities, kinds, origins and tags, and its label."""

from __future__ import annotations

import contextlib
from typing import Any

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.labels import tags_of
from closedloop.domain.checks import require_text, shown
from closedloop.domain.errors import ValidationError

__all__ = ["a_set", "label_text", "named", "tag_set"]


def named(value: Any) -> Any:
    """attrs converter: a set (channels by name), else ``value`` as is, for :func:`a_set`."""
    with contextlib.suppress(TypeError):
        if not isinstance(value, str):
            return frozenset(v.name if isinstance(v, Channel) else v for v in value)
    return value


def a_set(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    field = attribute.name
    if isinstance(value, str):
        raise ValidationError.of(
            field, f"give a set of {field}, e.g. {{{shown(value)}}}, not the string {shown(value)}"
        )
    if not isinstance(value, frozenset):
        raise ValidationError.of(field, f"give a set of {field}, got {shown(value)}")


def label_text(instance: Any, attribute: attrs.Attribute[str], value: object) -> None:
    require_text(attribute.name, value, limit=200)


def tag_set(value: object) -> frozenset[str]:
    """attrs converter: a set of tags, normalised as cases keep them (lower case)."""
    if isinstance(value, str):
        raise ValidationError.of(
            "tags", f"give a set of tags, e.g. {{{shown(value)}}}, not the string {shown(value)}"
        )
    return frozenset(tags_of(value, "tags"))
