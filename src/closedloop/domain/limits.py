"""How much text closedloop keeps, and the check every record passes before a store sees it.

:class:`Limits` is the organisation's choice (``Policy(limits=...)``); :func:`check_record`
walks a record (an event, an invitation, a notification, a customer) and refuses text no
store can keep alike — lone surrogates, over-long ids — and instants out of range.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

import attrs

from closedloop.domain.checks import MAX_KEY, require_key, require_text, shown
from closedloop.domain.errors import ValidationError

__all__ = ["MAX_NOTIFICATION_KEY_BYTES", "Limits", "check_record"]

#: The longest outbox key, in UTF-8 bytes: it is indexed with the tenant in PostgreSQL.
MAX_NOTIFICATION_KEY_BYTES: Final = 2000

#: Fields holding a handle or a key the host gives: one line, at most ``Limits.key``.
_KEYS = frozenset({"by", "owner", "customer", "handles", "external_id", "matter_key", "to", "team"})
#: Fields holding an id: one line, at most 256 characters (ids come from ``Desk(ids=...)``).
_IDS = frozenset(
    {"case_id", "other", "into", "new_case_id", "id", "promise_id", "invitation_id",
     "recovery_case_id", "merged_into", "pseudonym", "token_digests"}
)  # fmt: skip
#: Fields holding a one-line label: at most ``Limits.subject`` characters.
_SUBJECTS = frozenset({"subject", "asked", "category", "root_cause"})


def _size(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    ceiling = MAX_KEY if attribute.name == "key" else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError.of(
            attribute.name, f"Limits.{attribute.name} must be a whole number >= 1, got {value!r}"
        )
    if ceiling is not None and value > ceiling:
        raise ValidationError.of(
            attribute.name,
            f"Limits.key may be at most {ceiling}: longer ids and handles do not fit the "
            f"indexes of every store; got {value}",
        )


@attrs.frozen
class Limits:
    """How long, in characters, the text closedloop stores may be. ``key`` is at most 256,
    which every store can index (ids, from ``Desk(ids=...)``, may always have 256).

    Longer input is refused with a :class:`~closedloop.ValidationError` naming the field.
    """

    key: int = attrs.field(default=MAX_KEY, validator=_size)
    """The longest handle, id, matter key or actor name (`by`, `owner`); at most 256."""
    subject: int = attrs.field(default=300, validator=_size)
    """The longest subject or other one-line label (a decline's category, a root cause)."""
    text: int = attrs.field(default=50_000, validator=_size)
    """The longest message, reply, note, summary or reason."""

    def check(self, records: Iterable[object]) -> None:
        """Refuse any record holding text longer than these limits."""
        for record in records:
            check_record(record, self)

    def check_checked(self, records: Iterable[object]) -> None:
        """:meth:`check` for records that passed :func:`check_record` already (those of a
        ``Change``): only their lengths are measured, unless one is too long."""
        for record in records:
            if not _fits(record, self):
                check_record(record, self)  # raises, naming the field


def check_record(record: object, limits: Limits | None = None) -> None:
    """Refuse what no store can keep alike: invalid Unicode, an id or handle that is not one
    line of at most 256 characters, an instant outside the supported years; with ``limits``,
    also text longer than they allow. Walks nested records, tuples and sets."""
    plan = _PLANS.get(type(record))
    if plan is None:
        plan = _PLANS[type(record)] = _plan(type(record))
    for name, check in plan:
        check(name, getattr(record, name), limits)


Check = Callable[[str, Any, "Limits | None"], None]
_PLANS: dict[type, tuple[tuple[str, Check], ...]] = {}


def _plan(cls: type) -> tuple[tuple[str, Check], ...]:
    if not attrs.has(cls):
        return ()
    attrs.resolve_types(cls)
    plan = ((f.name, _checker(f.name, f.type)) for f in attrs.fields(cls))
    return tuple((name, check) for name, check in plan if check is not None)


def _checker(name: str, hint: Any) -> Check | None:
    """How to check a field of type ``hint`` (None: nothing to check, as for numbers)."""
    options = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, type(int | None)) and len(options) == 1:
        inner = _checker(name, options[0])
        if inner is None:
            return None
        return lambda n, v, lim: None if v is None else inner(n, v, lim)
    if typing.get_origin(hint) in (tuple, frozenset):
        each = _checker(name, typing.get_args(hint)[0])
        if each is None:
            return None
        return lambda n, vs, lim: _each(each, n, vs, lim)
    if hint is str:
        if name == "key":
            return _notification_key
        if name in _KEYS:
            return lambda n, v, lim: _key(n, v, lim)
        if name in _IDS:
            return lambda n, v, lim: _key(n, v, None)
        return lambda n, v, lim: _text(n, v, lim)
    if hint is datetime:
        return lambda n, v, lim: _instant(n, v)
    if isinstance(hint, type) and attrs.has(hint):
        return lambda n, v, lim: check_record(v, lim)
    return None


Fit = Callable[[Any, Limits], bool]
_FITS: dict[type, tuple[tuple[str, Fit], ...]] = {}


def _fits(record: object, limits: Limits) -> bool:
    """Whether the text of a record (checked already) is within ``limits``."""
    plan = _FITS.get(type(record))
    if plan is None:
        plan = _FITS[type(record)] = _fit_plan(type(record))
    return all(fit(getattr(record, name), limits) for name, fit in plan)


def _fit_plan(cls: type) -> tuple[tuple[str, Fit], ...]:
    if not attrs.has(cls):
        return ()
    attrs.resolve_types(cls)
    plan = ((f.name, _fit(f.name, f.type)) for f in attrs.fields(cls))
    return tuple((name, fit) for name, fit in plan if fit is not None)


def _fit(name: str, hint: Any) -> Fit | None:
    """How :func:`_checker` measures a field against ``Limits`` (None: it does not)."""
    options = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, type(int | None)) and len(options) == 1:
        inner = _fit(name, options[0])
        return None if inner is None else lambda v, lim: v is None or inner(v, lim)
    if typing.get_origin(hint) in (tuple, frozenset):
        each = _fit(name, typing.get_args(hint)[0])
        return None if each is None else lambda vs, lim: all(each(v, lim) for v in vs)
    if hint is str:
        if name == "key" or name in _IDS:
            return None  # measured against fixed ceilings, not Limits
        if name in _KEYS:
            return lambda v, lim: len(v) <= lim.key
        if name in _SUBJECTS:
            return lambda v, lim: len(v) <= lim.subject
        return lambda v, lim: len(v) <= lim.text
    if isinstance(hint, type) and attrs.has(hint):
        return lambda v, lim: _fits(v, lim)
    return None


def _each(check: Check, name: str, values: Iterable[Any], limits: Limits | None) -> None:
    for value in values:
        check(name, value, limits)


def _key(name: str, value: object, limits: Limits | None) -> None:
    if value == "":  # some records leave an id empty on purpose (a notification of no case)
        return
    require_key(name, value, MAX_KEY if limits is None else limits.key)


def _text(name: str, value: object, limits: Limits | None) -> None:
    if limits is None:
        require_text(name, value)
    else:
        require_text(name, value, limits.subject if name in _SUBJECTS else limits.text)


def _notification_key(name: str, value: object, limits: Limits | None) -> None:
    require_text(name, value)
    assert isinstance(value, str)
    if len(value.encode()) > MAX_NOTIFICATION_KEY_BYTES:
        raise ValidationError.of(
            name,
            f"notification key is {len(value.encode())} bytes long, over "
            f"{MAX_NOTIFICATION_KEY_BYTES}: shorten the case id or the recipient",
        )


def _instant(name: str, value: object) -> None:
    """An aware datetime whose instant every store can compute and keep. (The years taken
    as input are narrower, see ``require_aware``; a deadline computed from one may lie a
    little beyond them.)"""
    try:
        usable = isinstance(value, datetime) and value.utcoffset() is not None
    except (ValueError, TypeError, OverflowError):
        usable = False
    if not usable:
        raise ValidationError.of(
            name, f"{name} must be a timezone-aware datetime, got {shown(value)}"
        )
    assert isinstance(value, datetime)
    if not 2 <= value.year <= 9998:
        raise ValidationError.of(
            name, f"{name} {value.isoformat()} lies outside the years a store can keep"
        )
