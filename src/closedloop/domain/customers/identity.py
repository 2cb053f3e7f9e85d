"""Customers: one person behind several handles (email addresses, phone numbers, social
handles, CRM ids). Linking, unlinking, merging and unmerging are recorded, so every
change to who-is-who can be read back and undone.

A customer's history never goes back in time: a change earlier than the record's last one
is refused (a ``ValidationError`` on ``at``; the Desk stamps a change at the later of its
clock and that instant, :func:`not_before`). A record a store reads back is taken whole,
never refused for its times.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import attrs

from closedloop.domain.checks import instant, items, require_aware, require_key
from closedloop.domain.errors import ValidationError

__all__ = [
    "Customer", "CustomerEvent", "IdentityChange", "held_at", "link", "merge", "not_before",
    "unlink", "unmerge",
]  # fmt: skip


class IdentityChange(enum.Enum):
    """What a :class:`CustomerEvent` did."""

    LINKED = "linked"
    """Handles joined this customer."""
    UNLINKED = "unlinked"
    """A handle left it."""
    MERGED = "merged"
    """This customer took every handle of ``other``."""
    MERGED_INTO = "merged_into"
    """This customer's handles went to ``other``."""
    UNMERGED = "unmerged"
    """This customer gave ``other`` back the handles a merge moved."""
    RESTORED = "restored"
    """This customer got its handles back from ``other``."""
    ERASED = "erased"
    """The customer was erased; ``handles`` holds the pseudonym left."""


@attrs.frozen
class CustomerEvent:
    """One change to a customer's handles: what, which handles, the other customer."""

    change: IdentityChange
    """What happened."""
    version: int
    """The customer's version after it."""
    at: datetime
    """When (timezone-aware)."""
    by: str
    """Who did it."""
    handles: tuple[str, ...] = ()
    """The handles it concerned (after an erasure, the pseudonym left)."""
    other: str | None = None
    """The other customer of a merge or an unmerge; None otherwise."""


@attrs.frozen
class Customer:
    """A customer: an id (the host's, or one closedloop made) and the handles that are
    theirs. ``merged_into`` names the customer that took its handles, while merged."""

    id: str
    """The customer's id: the host's, or one closedloop made."""
    handles: frozenset[str]
    """Every handle of theirs (email addresses, phone numbers, account ids)."""
    version: int
    """The number of events; a write names it to detect a concurrent change."""
    events: tuple[CustomerEvent, ...]
    """The customer's whole history, oldest first."""
    merged_into: str | None = None
    """The customer that took its handles, while merged; None otherwise."""

    def is_erased(self, handle: str) -> bool:
        """True if ``handle`` is the pseudonym an erasure left on this customer: nothing
        is sent to it."""
        return any(e.change is IdentityChange.ERASED and handle in e.handles for e in self.events)


def _clean(handles: Iterable[str]) -> tuple[str, ...]:
    if isinstance(handles, str):
        handles = (handles,)
    listed = items("handles")(handles)
    for handle in listed:
        require_key("handles", handle)
    found = tuple(dict.fromkeys(listed))
    if not found or not all(isinstance(h, str) and h.strip() == h and h for h in found):
        raise ValidationError.of(
            "handles",
            f"handles must be non-empty strings without surrounding spaces; got {found!r}",
        )
    return found


def _event(customer: Customer | None, change: IdentityChange, at: datetime, by: str,
           handles: tuple[str, ...] = (), other: str | None = None) -> CustomerEvent:  # fmt: skip
    require_aware("at", at)
    if not isinstance(by, str) or not by.strip():
        raise ValidationError.of("by", "say who made the change: by='...'")
    if customer is not None and customer.events:
        last = customer.events[-1].at
        if instant(at) < instant(last):
            raise ValidationError.of(
                "at",
                f"at={at.isoformat()} is before the last change ({last.isoformat()}) of "
                f"customer {customer.id!r}: a customer's history never goes back in time; "
                "give an at no earlier than its last change (the Desk stamps a change at the "
                "later of its clock and that instant)",
            )
    version = 1 if customer is None else customer.version + 1
    return CustomerEvent(change, version, at, by, handles, other)


def not_before(now: datetime, *customers: Customer | None) -> datetime:
    """``now``, or, when the clock stepped back behind one of ``customers``, the latest of
    their last changes: the instant a change to them is stamped at."""
    return max((now, *(e.at for c in customers if c is not None for e in c.events[-1:])),
               key=instant)  # fmt: skip


def _with(
    customer: Customer,
    event: CustomerEvent,
    handles: frozenset[str],
    merged_into: str | None = None,
) -> Customer:
    return attrs.evolve(
        customer, handles=handles, version=event.version, events=(*customer.events, event),
        merged_into=merged_into,
    )  # fmt: skip


def link(customer: Customer | str, handles: Iterable[str], *, at: datetime, by: str) -> Customer:
    """``customer`` (or a new one with this id) with ``handles`` added."""
    added = _clean(handles)
    if isinstance(customer, str):
        require_key("customer", customer)
        event = _event(None, IdentityChange.LINKED, at, by, added)
        return Customer(customer, frozenset(added), 1, (event,))
    _active(customer)
    new = tuple(h for h in added if h not in customer.handles)
    if not new:
        return customer
    event = _event(customer, IdentityChange.LINKED, at, by, new)
    return _with(customer, event, customer.handles | set(new))


def unlink(customer: Customer, handle: str, *, at: datetime, by: str) -> Customer:
    """``customer`` without ``handle``."""
    _active(customer)
    if require_key("handle", handle) not in customer.handles:
        raise ValidationError.of(
            "handle", f"{handle!r} is not a handle of customer {customer.id!r}"
        )
    if customer.is_erased(handle):
        raise ValidationError.of(
            "handle",
            f"{handle!r} is the pseudonym an erasure left on customer {customer.id!r}: it "
            "stays with them, so that nothing is ever sent to it",
        )
    event = _event(customer, IdentityChange.UNLINKED, at, by, (handle,))
    return _with(customer, event, customer.handles - {handle})


def merge(into: Customer, other: Customer, *, at: datetime, by: str) -> tuple[Customer, Customer]:
    """Both customers after ``into`` takes every handle of ``other``."""
    _active(into)
    _active(other)
    if into.id == other.id:
        raise ValidationError.of("other", f"cannot merge customer {into.id!r} into itself")
    moved = tuple(sorted(other.handles))
    gained = _with(into, _event(into, IdentityChange.MERGED, at, by, moved, other.id),
                   into.handles | other.handles)  # fmt: skip
    emptied = _with(other, _event(other, IdentityChange.MERGED_INTO, at, by, moved, into.id),
                    frozenset(), merged_into=into.id)  # fmt: skip
    return gained, emptied


def unmerge(into: Customer, other: Customer, *, at: datetime, by: str) -> tuple[Customer, Customer]:
    """Undo the last merge of ``other`` into ``into``: the handles it moved go back
    (those still on ``into``; a handle unlinked since stays unlinked, and the pseudonym of
    an erasure since stays on ``into``, whose history records the erasure)."""
    if other.merged_into != into.id:
        raise ValidationError.of("other", f"customer {other.id!r} is not merged into {into.id!r}")
    merged = next(
        e
        for e in reversed(into.events)
        if e.change is IdentityChange.MERGED and e.other == other.id
    )
    back = tuple(h for h in merged.handles if h in into.handles and not into.is_erased(h))
    kept = _with(into, _event(into, IdentityChange.UNMERGED, at, by, back, other.id),
                 into.handles - set(back))  # fmt: skip
    restored = _with(other, _event(other, IdentityChange.RESTORED, at, by, back, into.id),
                     frozenset(back), merged_into=None)  # fmt: skip
    return kept, restored


def _active(customer: Customer) -> None:
    if customer.merged_into is not None:
        raise ValidationError(
            f"customer {customer.id!r} is merged into {customer.merged_into!r}: change that "
            "one, or unmerge first"
        )


_GAINED = frozenset({IdentityChange.LINKED, IdentityChange.MERGED, IdentityChange.RESTORED})
_LOST = frozenset({IdentityChange.UNLINKED, IdentityChange.MERGED_INTO, IdentityChange.UNMERGED})


def held_at(customer: Customer, handle: str, at: datetime) -> bool:
    """Whether ``handle`` was one of ``customer``'s at ``at``, by its recorded changes (a
    handle unlinked since was theirs when they wrote from it, as was one unlinked at that
    very instant; one a merge brought and an unmerge gave back never was)."""
    # An unmerge corrects a mistaken merge: what it gave back was never theirs.
    undone = {
        (e.other, h) for e in customer.events if e.change is IdentityChange.UNMERGED
        for h in e.handles
    }  # fmt: skip
    held: set[str] = set()
    moment = instant(at)
    for event in customer.events:
        when = instant(event.at)
        if when > moment:
            break
        if event.change is IdentityChange.MERGED:
            held.update(h for h in event.handles if (event.other, h) not in undone)
        elif event.change in _GAINED:
            held.update(event.handles)
        elif event.change in _LOST:
            # Lost at the very instant they wrote: theirs when they wrote (after the clock
            # stepped back, the Desk stamps an unlink at the last instant on their cases).
            if when < moment:
                held.difference_update(event.handles)
        elif event.change is IdentityChange.ERASED:
            held = set(event.handles)
    return handle in held
