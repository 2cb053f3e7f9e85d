"""Erasure in the customer records: the customer's own records lose every handle they ever
had (the pseudonym takes the place of the current ones, and of an id that was one of
them), and the records that name them in their history (a merge undone) name the
pseudonym instead. Pure; :class:`~closedloop.domain.customers.erasure.Erasure` calls it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

import attrs

from closedloop.domain.checks import require_aware
from closedloop.domain.customers.identity import (
    Customer,
    CustomerEvent,
    IdentityChange,
    not_before,
)
from closedloop.domain.errors import ValidationError

__all__ = ["related", "rewrite"]

_BY = "closedloop"


class Erasure(Protocol):
    """What this module needs of :class:`closedloop.domain.customers.erasure.Erasure`."""

    @property
    def handles(self) -> frozenset[str]: ...
    @property
    def pseudonym(self) -> str: ...
    def text(self, value: str) -> str: ...
    def mentions(self, value: str) -> bool: ...


def related(found: Iterable[Customer]) -> frozenset[str]:
    """The ids of the customers ``found`` name (merges, and the one each was merged into)
    that are not among them."""
    records = list(found)
    named = {e.other for c in records for e in c.events if e.other is not None}
    named |= {c.merged_into for c in records if c.merged_into is not None}
    return frozenset(named - {c.id for c in records})


def rewrite(
    erasure: Erasure, found: Iterable[Customer], at: datetime
) -> list[tuple[str, Customer]]:
    """Every record of ``found`` the erasure changes, after it, with the id it was stored
    under: the customer's own records (holding one of the handles, or with one as their
    id, or merged into one of those) end with an ``ERASED`` event, and one of them holds
    the pseudonym; when none is found, a record of the pseudonym alone is made, so that
    :meth:`Customer.is_erased` knows it. ``found`` must hold every record holding one of
    the handles or the pseudonym, or whose id is one of them, and those they name
    (:func:`related`)."""
    require_aware("at", at)
    records = {c.id: c for c in found}
    theirs = _theirs(erasure, records)
    ids = _new_ids(erasure, records, theirs)
    holder = _holder(erasure, records, theirs)
    out: list[tuple[str, Customer]] = []
    for key in sorted(records):
        record = records[key]
        if key in theirs:
            out.append((key, _erased(erasure, record, ids, at, holds=key == holder)))
        else:
            named = _renamed(erasure, record, ids)
            if named != record:
                out.append((key, attrs.evolve(named, version=record.version + 1)))
    if holder is None:
        event = CustomerEvent(IdentityChange.ERASED, 1, at, _BY, (erasure.pseudonym,))
        marker = Customer(erasure.pseudonym, frozenset({erasure.pseudonym}), 1, (event,))
        out.append((marker.id, marker))
    return out


def _theirs(erasure: Erasure, records: Mapping[str, Customer]) -> set[str]:
    pseudonym = erasure.pseudonym
    theirs = {
        key
        for key, c in records.items()
        if key in erasure.handles
        or not c.handles.isdisjoint(erasure.handles)
        or c.is_erased(pseudonym)  # left by an earlier erasure with the same pseudonym
    }
    for key, c in records.items():
        if key not in theirs and (pseudonym in c.handles or key == pseudonym):
            raise ValidationError.of(
                "pseudonym",
                f"the pseudonym {pseudonym!r} is customer {key!r}'s: choose another pseudonym",
            )
    grown = True
    while grown:  # a record merged into theirs is theirs too
        more = {k for k, c in records.items() if k not in theirs and c.merged_into in theirs}
        theirs |= more
        grown = bool(more)
    return theirs


def _new_ids(erasure: Erasure, records: Mapping[str, Customer], theirs: set[str]) -> dict[str, str]:
    """The new id of each of their records whose id holds one of the handles."""
    renamed = sorted(k for k in theirs if k in erasure.handles or erasure.mentions(k))
    taken = set(records) - set(renamed)
    ids: dict[str, str] = {}
    for key in renamed:
        new, n = erasure.pseudonym, 1
        while new in taken:
            n += 1
            new = f"{erasure.pseudonym}-{n}"
        ids[key] = new
        taken.add(new)
    return ids


def _holder(erasure: Erasure, records: Mapping[str, Customer], theirs: set[str]) -> str | None:
    """Which of their records takes the pseudonym as a handle: the one holding it or one
    of the handles, else one not merged away."""
    wanted = erasure.handles | {erasure.pseudonym}
    ordered = sorted(theirs)
    return next(
        (k for k in ordered if not records[k].handles.isdisjoint(wanted)),
        next((k for k in ordered if records[k].merged_into is None), None),
    )


def _erased(
    erasure: Erasure, record: Customer, ids: Mapping[str, str], at: datetime, *, holds: bool
) -> Customer:
    # Every handle they ever had goes from the history: the erased ones, and the ones
    # unlinked or moved away since (another customer may hold one now: their records keep it).
    past = {h for e in record.events for h in e.handles} - record.handles
    gone = erasure.handles | past
    events = tuple(
        attrs.evolve(
            e,
            by=erasure.text(e.by),
            handles=tuple(dict.fromkeys(erasure.pseudonym if h in gone else h for h in e.handles)),
            other=None if e.other is None else ids.get(e.other, e.other),
        )
        for e in record.events
    )
    handles = frozenset(h for h in record.handles if h not in gone)
    if holds:
        handles |= {erasure.pseudonym}
    version = record.version + 1
    # One erasure stamps every record it touches: one whose last change is later than ``at``
    # (a clock stepped back) gets it at that instant, its history kept in order.
    event = CustomerEvent(
        IdentityChange.ERASED, version, not_before(at, record), _BY,
        (erasure.pseudonym,) if holds else (),
    )  # fmt: skip
    merged_into = record.merged_into
    return Customer(
        ids.get(record.id, record.id), handles, version, (*events, event),
        merged_into=None if merged_into is None else ids.get(merged_into, merged_into),
    )  # fmt: skip


def _renamed(erasure: Erasure, record: Customer, ids: Mapping[str, str]) -> Customer:
    """Another customer's record, naming the erased one by pseudonym."""
    events = tuple(
        attrs.evolve(
            e,
            by=erasure.text(e.by),
            handles=tuple(erasure.pseudonym if h in erasure.handles else h for h in e.handles),
            other=None if e.other is None else ids.get(e.other, e.other),
        )
        for e in record.events
    )
    merged_into = record.merged_into
    return attrs.evolve(
        record, events=events,
        merged_into=None if merged_into is None else ids.get(merged_into, merged_into),
    )  # fmt: skip
