"""Small validators shared by the domain's attrs classes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from closedloop.domain.errors import NaiveDatetimeError, ValidationError

__all__ = [
    "aware",
    "instant",
    "is_a",
    "non_empty",
    "require_aware",
    "require_unicode",
    "sure_callable",
]


def require_aware(field: str, value: object) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime, else raise a clear error."""
    if not isinstance(value, datetime):
        raise ValidationError(f"{field} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(field)
    return value


def aware(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a timezone-aware datetime (``None`` is left to ``optional``)."""
    require_aware(attribute.name, value)


def non_empty(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a string with something in it besides white space."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{attribute.name} must be a non-empty string, got {value!r}")
    require_unicode(attribute.name, value)


def require_unicode(field: str, value: str) -> str:
    """Refuse text no store can keep: lone surrogates (from ``errors="surrogateescape"``)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"{field} is not valid Unicode ({exc.reason} at position {exc.start}); "
            f"decode the input with errors='replace' first"
        ) from None
    return value


Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def is_a(kind: type) -> Validator:
    """attrs validator: an instance of ``kind``, else a ValidationError naming the field."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, kind):
            owner = type(instance).__name__
            raise ValidationError(
                f"{owner}.{attribute.name} must be a {kind.__name__}, got {value!r}"
            )

    return check


def positive_duration(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: a timedelta longer than zero."""
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValidationError(f"{attribute.name} must be a positive timedelta, got {value!r}")


def sure_callable(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: something that can be called."""
    if not callable(value):
        raise ValidationError(
            f"{type(instance).__name__}.{attribute.name} must be a function, got {value!r}"
        )


def instant(value: datetime) -> datetime:
    """``value`` in UTC, for comparing and sorting instants.

    Python compares two datetimes that share a ``tzinfo`` by wall time, ignoring ``fold``,
    which puts the second 02:30 of a DST night before the first; UTC has no such nights.
    """
    return value.astimezone(UTC)
