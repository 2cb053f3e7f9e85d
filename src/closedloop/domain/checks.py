"""Small validators shared by the domain's attrs classes."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from closedloop.domain.errors import NaiveDatetimeError, ValidationError

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "LONGEST",
    "MAX_KEY",
    "MAX_LIMIT",
    "aware",
    "each_a",
    "instant",
    "is_a",
    "items",
    "non_empty",
    "require_actor",
    "require_aware",
    "require_count",
    "require_duration",
    "require_filled",
    "require_key",
    "require_limit",
    "require_new_key",
    "require_period",
    "require_text",
    "require_unicode",
    "shown",
    "sure_callable",
    "zone_named",
]

#: The years of the instants closedloop takes: deadlines and reports computed from them
#: stay far from the ends of Python's datetime (years 1 and 9999).
FIRST_YEAR: Final = 1900
LAST_YEAR: Final = 2999
#: The longest duration a policy, a lease or a step may set (ten years).
LONGEST: Final = timedelta(days=3653)
#: The most records one call may ask for; page through more.
MAX_LIMIT: Final = 100_000
#: The longest id, handle, external id or matter key any store keeps (an email address
#: takes up to 254): PostgreSQL indexes them, and a btree refuses index rows over 2704
#: bytes, where a character takes up to 4.
MAX_KEY: Final = 256

_CONTROL = re.compile("[\x00-\x1f\x7f]")


def shown(value: object, width: int = 60) -> str:
    """``repr(value)``, cut short: an error message never repeats a megabyte of input."""
    text = repr(value)
    return text if len(text) <= width else f"{text[: width - 5]}...{text[-2:]}"


def require_aware(field: str, value: object, *, bounded: bool = True) -> datetime:
    """``value`` if it is a timezone-aware datetime closedloop can keep, else a clear error.

    Its year must lie from :data:`FIRST_YEAR` to :data:`LAST_YEAR` (unless not ``bounded``:
    business-time arithmetic checks its own range). A zone no store can name
    again (``ZoneInfo.from_file``, a local zone without a key, any other ``tzinfo``) is
    replaced by the fixed offset it had at that instant: the same instant and wall time.
    """
    if type(value) is datetime and value.tzinfo is UTC and FIRST_YEAR <= value.year <= LAST_YEAR:
        return value  # the common case, checked in one line: a step checks several instants
    if not isinstance(value, datetime):
        raise ValidationError.of(field, f"{field} must be a datetime, got {type(value).__name__}")
    zone = value.tzinfo
    try:
        offset = value.utcoffset()
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValidationError.of(field, f"{field} has a zone that gives no offset: {exc}") from None
    if zone is None or offset is None:
        raise NaiveDatetimeError(field)
    if bounded and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError.of(
            field,
            f"{field} must lie in the years {FIRST_YEAR} to {LAST_YEAR}, got {value.isoformat()}",
        )
    if type(zone) is timezone or zone_named(zone):
        return value
    return value.replace(tzinfo=timezone(offset), fold=0)


def zone_named(zone: object) -> bool:
    """Whether ``zone`` is a ZoneInfo whose key loads again: a store keeps the key, and
    reads the zone back by it."""
    return isinstance(zone, ZoneInfo) and _loads(zone.key)


@lru_cache(maxsize=512)
def _loads(key: object) -> bool:
    if not isinstance(key, str):
        return False
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def require_actor(value: object, field: str = "by") -> str:
    """``value`` if it can name who acts (``by``): a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.of(
            field, f"{field} must name who acts (a non-empty string), got {value!r}"
        )
    return value


def require_filled(field: str, value: object) -> str:
    """``value`` if it is a string with something in it besides white space."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.of(field, f"{field} must be a non-empty string, got {shown(value)}")
    return value


def require_key(field: str, value: object, limit: int = MAX_KEY) -> str:
    """``value`` if it can be an id, a handle, an external id or a matter key: a non-empty
    string of valid Unicode without control characters, at most ``limit`` characters."""
    value = require_filled(field, value)
    if len(value) > limit:
        raise ValidationError.of(
            field,
            f"{field} is {len(value)} characters long; ids, handles and keys may have at "
            f"most {limit}",
        )
    require_unicode(field, value)
    if _CONTROL.search(value):
        raise ValidationError.of(
            field,
            f"{field} {shown(value)} holds a control character (NUL, a line break, ...); "
            "ids, handles and keys are one line of text",
        )
    return value


#: Line breaks and controls beyond ASCII's (C1, NEL, the Unicode line and paragraph
#: separators): refused in handles and keys that come in new, not in those already stored.
_NEW_CONTROL = re.compile("[\x80-\x9f\u2028\u2029]")


def require_new_key(field: str, value: str) -> str:
    """``value`` (a :func:`require_key` already) if it may be a new handle or key: one line
    in Unicode's sense too. Keys stored before this rule still work for lookups and erasure."""
    if _NEW_CONTROL.search(value):
        raise ValidationError.of(
            field,
            f"{field} {shown(value)} holds a control character or a line break (NEL, U+2028, "
            "...); ids, handles and keys are one line of text",
        )
    return value


def derived_key(prefix: str, key: str) -> str:
    """``prefix`` + ``key``, a key made from another (``"answer:" + external_id``), no longer
    than :data:`MAX_KEY`: a digest of ``key`` stands in for one too long to carry whole.
    The same ``key`` always gives the same result, so a redelivery finds its record."""
    whole = prefix + key
    if len(whole) <= MAX_KEY:
        return whole
    return f"{prefix}#{hashlib.sha256(key.encode()).hexdigest()}"


def require_text(field: str, value: object, limit: int | None = None) -> str:
    """``value`` if it is a string of valid Unicode, at most ``limit`` characters."""
    if not isinstance(value, str):
        raise ValidationError.of(field, f"{field} must be a string, got {shown(value)}")
    if limit is not None and len(value) > limit:
        raise ValidationError.of(
            field,
            f"{field} is {len(value)} characters long; the limit is {limit} "
            "(Policy(limits=Limits(...)) sets it)",
        )
    return require_unicode(field, value)


def each_a(kind: type) -> Validator:
    """attrs validator: a collection whose every member is a ``kind``."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Iterable[Any]) -> None:
        wrong = [v for v in value if not isinstance(v, kind)]
        if wrong:
            raise ValidationError.of(
                attribute.name,
                f"{attribute.name} must hold {kind.__name__} objects, got {shown(wrong[0])}",
            )

    return check


def items(field: str) -> Callable[[Any], tuple[Any, ...]]:
    """attrs converter: any iterable but a string, as a tuple (a clear error otherwise)."""

    def convert(value: Any) -> tuple[Any, ...]:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise ValidationError.of(field, f"{field} must be a list, got {shown(value)}")
        return tuple(value)

    return convert


def require_count(field: str, value: object) -> int:
    """``value`` if it is a whole number >= 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError.of(field, f"{field} must be a whole number >= 0, got {shown(value)}")
    return value


def require_period(since: object, until: object) -> None:
    """Refuse ``[since, until)`` unless both are instants and ``until`` is the later."""
    start, end = require_aware("since", since), require_aware("until", until)
    if instant(end) <= instant(start):
        raise ValidationError.of(
            "until", f"until ({end.isoformat()}) must be after since ({start.isoformat()})"
        )


def so_far(since: datetime, until: datetime, now: datetime) -> datetime:
    """The end of ``[since, until)`` as measured at ``now``: ``until``, or just after
    ``now`` (by a microsecond, so that what happened at ``now`` is in) if sooner: a step
    due after now is not missed yet. A period starting after ``now`` is refused: nothing
    in it has happened yet."""
    require_period(since, until)
    end = now + _TICK
    if instant(until) <= instant(end):
        return until
    if instant(since) > instant(now):
        raise ValidationError.of(
            "since",
            f"the period starts at {since.isoformat()}, after now "
            f"({now.isoformat()}): nothing in it has happened yet; report a period "
            "that starts in the past",
        )
    return end


_TICK = timedelta(microseconds=1)


def require_limit(field: str, value: object) -> int:
    """``value`` if it is a whole number from 1 to :data:`MAX_LIMIT`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise ValidationError.of(
            field,
            f"{field} must be a whole number from 1 to {MAX_LIMIT}, got {shown(value)}; "
            "page through larger sets",
        )
    return value


def require_duration(field: str, value: object, longest: timedelta = LONGEST) -> timedelta:
    """``value`` if it is a timedelta longer than zero and at most ``longest``."""
    if not isinstance(value, timedelta) or not timedelta(0) < value <= longest:
        raise ValidationError.of(
            field,
            f"{field} must be a positive timedelta of at most {longest.days} days, "
            f"got {shown(value)}",
        )
    return value


def aware(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a timezone-aware datetime (``None`` is left to ``optional``)."""
    require_aware(attribute.name, value)


def non_empty(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a string with something in it besides white space."""
    require_unicode(attribute.name, require_filled(attribute.name, value))


def require_unicode(field: str, value: str) -> str:
    """Refuse text no store can keep: lone surrogates (from ``errors="surrogateescape"``)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError.of(
            field,
            f"{field} is not valid Unicode ({exc.reason} at position {exc.start}); "
            f"decode the input with errors='replace' first",
        ) from None
    return value


Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def is_a(kind: type) -> Validator:
    """attrs validator: an instance of ``kind``, else a ValidationError naming the field."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, kind):
            owner = type(instance).__name__
            raise ValidationError.of(
                attribute.name,
                f"{owner}.{attribute.name} must be a {kind.__name__}, got {shown(value)}",
            )

    return check


def positive_duration(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: a timedelta longer than zero, at most :data:`LONGEST`."""
    require_duration(attribute.name, value)


def sure_callable(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: something that can be called."""
    if not callable(value):
        raise ValidationError.of(
            attribute.name,
            f"{type(instance).__name__}.{attribute.name} must be a function, got {value!r}",
        )


def instant(value: datetime) -> datetime:
    """``value`` in UTC, for comparing and sorting instants.

    Python compares two datetimes that share a ``tzinfo`` by wall time, ignoring ``fold``,
    which puts the second 02:30 of a DST night before the first; UTC has no such nights.
    """
    return value.astimezone(UTC)
