"""What ``desk.queues.find`` asks for: a :class:`CaseQuery` of filters and an :class:`Order`,
checked when it is made, and the :class:`CasePage` it returns."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import FeedbackKind
from closedloop.domain.cases.labels import FieldValue, field_values, tags_of
from closedloop.domain.cases.priority import Priority
from closedloop.domain.checks import require_aware, require_key, shown
from closedloop.domain.errors import ValidationError
from closedloop.domain.latte import Stage
from closedloop.domain.standards.targets import Rag

__all__ = ["CasePage", "CaseQuery", "Order"]


class Order(enum.Enum):
    """The orders a case list comes in; every one ends with the case id (code-point order),
    so that no two cases tie and a page's cursor is exact."""

    OLDEST_FIRST = "oldest_first"
    """By ``opened_at``, then id: the longest waiting first."""
    DUE_FIRST = "due_first"
    """By the earliest deadline of the case's pending steps (when it turns red), then id;
    cases with no deadline running (closed, waiting on the customer) last. Red cases come
    first, then amber and green ones in the order they will turn red."""
    RED_FIRST = "due_first"  # noqa: PIE796 (an alias, on purpose)
    """Another name for :attr:`DUE_FIRST`: a case is red once its earliest deadline has
    passed, so the earliest deadline first is red first."""
    PRIORITY_THEN_DUE = "priority_then_due"
    """By priority, urgent first, then as :attr:`DUE_FIRST`."""

    @classmethod
    def _missing_(cls, value: object) -> Order | None:
        return cls.DUE_FIRST if value == "red_first" else None  # RED_FIRST's own name


E = TypeVar("E", bound=enum.Enum)


def _enum(kind: type[E], field: str) -> Callable[[object], E | None]:
    """Accept a member of ``kind`` or its value (``"red"``), else a clear error."""

    def convert(value: object) -> E | None:
        if value is None or isinstance(value, kind):
            return value
        try:
            return kind(value)
        except ValueError:
            names = ", ".join(repr(m.value) for m in kind)
            if kind is Order:
                names += ", 'red_first'"
            raise ValidationError.of(
                field, f"{field} must be a {kind.__name__} ({names}), got {shown(value)}"
            ) from None

    return convert


def _key(field: str) -> Callable[[object], str | None]:
    return lambda value: None if value is None else require_key(field, value)


def _channel(value: object) -> str | None:
    if isinstance(value, Channel):
        return value.name
    return None if value is None else require_key("channel", value)


def _time(field: str) -> Callable[[object], datetime | None]:
    return lambda value: None if value is None else require_aware(field, value)


def _flag(field: str) -> Callable[[object], bool]:
    def convert(value: object) -> bool:
        if not isinstance(value, bool):
            raise ValidationError.of(field, f"{field} must be True or False, got {shown(value)}")
        return value

    return convert


def _order(value: object) -> Order:
    found = _enum(Order, "order")(value)
    if found is None:
        raise ValidationError.of("order", "order must be an Order, got None")
    return found


_CONVERTERS: dict[str, Callable[[Any], object]] = {
    "owner": _key("owner"),
    "unowned": _flag("unowned"),
    "team": _key("team"),
    "stage": _enum(Stage, "stage"),
    "rag": _enum(Rag, "rag"),
    "priority": _enum(Priority, "priority"),
    "channel": _channel,
    "kind": _enum(FeedbackKind, "kind"),
    "tags": lambda value: tags_of(value, "tags"),
    "fields": lambda value: field_values(value, "fields"),
    "customer": _key("customer"),
    "opened_since": _time("opened_since"),
    "opened_until": _time("opened_until"),
    "updated_since": _time("updated_since"),
    "updated_until": _time("updated_until"),
    "closed": _flag("closed"),
    "order": _order,
}


@attrs.frozen(kw_only=True)
class CaseQuery:
    """Which cases to list, and in which order. Every filter left at its default matches
    every case; the filters given must all hold. Bad values raise ``ValidationError``
    naming the filter.

    By default only active cases are listed (open, not merged); ``closed=True`` lists
    closed and merged ones too."""

    owner: str | None = None
    """Cases owned by this person."""
    unowned: bool = False
    """Cases nobody owns (in their team's queue, or nobody's)."""
    team: str | None = None
    """Cases of this team."""
    stage: Stage | None = None
    """Cases at this LATTE stage."""
    rag: Rag | None = None
    """Cases with this RAG status at the desk's clock's now (``desk.standards.status``)."""
    priority: Priority | None = None
    """Cases of this priority."""
    channel: str | None = None
    """Cases that arrived on this channel (a ``Channel`` or its name): the one that picks
    their standards, not where replies go now."""
    kind: FeedbackKind | None = None
    """Cases of this feedback kind."""
    tags: tuple[str, ...] = ()
    """Cases carrying every one of these tags (compared in lower case)."""
    fields: tuple[FieldValue, ...] = ()
    """Cases whose custom fields have these values (``{"plan": "pro"}``)."""
    customer: str | None = None
    """Cases of this customer (their handle)."""
    opened_since: datetime | None = None
    """Cases opened at or after this instant."""
    opened_until: datetime | None = None
    """Cases opened before this instant."""
    updated_since: datetime | None = None
    """Cases whose last event happened at or after this instant."""
    updated_until: datetime | None = None
    """Cases whose last event happened before this instant."""
    closed: bool = False
    """Also list closed and merged cases."""
    order: Order = Order.OLDEST_FIRST
    """The order of the list."""

    def __attrs_post_init__(self) -> None:
        for name, convert in _CONVERTERS.items():
            object.__setattr__(self, name, convert(getattr(self, name)))
        if self.unowned and self.owner is not None:
            raise ValidationError.of(
                "unowned", "give owner= or unowned=True, not both: a case has one owner or none"
            )
        for low, high in (("opened_since", "opened_until"), ("updated_since", "updated_until")):
            since, until = getattr(self, low), getattr(self, high)
            if since is not None and until is not None and since >= until:
                raise ValidationError.of(
                    low, f"{low} must be before {high}, got {since} and {until}"
                )

    def describe(self) -> str:
        """The filters given, as ``name=value`` pairs (for cursors and logs)."""
        given = [
            f"{a.name}={getattr(self, a.name)!r}"
            for a in attrs.fields(CaseQuery)
            if getattr(self, a.name) != a.default
        ]
        return ", ".join(given)


def _cases(value: Iterable[Case]) -> tuple[Case, ...]:
    return tuple(value)


@attrs.frozen
class CasePage:
    """One page of a case list: its cases, and ``next``, the cursor of the next page (pass
    it as ``after=``), None when this page is the last."""

    cases: tuple[Case, ...] = attrs.field(converter=_cases)
    """The cases, in the query's order."""
    next: str | None = None
    """An opaque cursor after the last case of this page; None on the last page."""
