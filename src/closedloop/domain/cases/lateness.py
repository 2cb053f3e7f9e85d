"""Events of honest lateness: a promise to the customer about to be missed (its owner is
warned) and one missed (the customer is told, with a new time, per ``Lateness``).

They are registered with the other events (:data:`~closedloop.domain.cases.events.EVENT_TYPES`)
so stores read them back like any other.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from closedloop.domain.cases.events import Scheduled, _registered

__all__ = ["PromiseLate", "PromiseWarned"]


@_registered
@attrs.frozen(kw_only=True)
class PromiseWarned(Scheduled):
    """A promise's deadline is near (within ``Lateness.warn_before``): its owner was
    warned, once per deadline."""

    promise_id: str
    """The promise (an explicit one, or the acknowledgement's promise of a next contact)."""
    due_by: datetime
    """The deadline it is close to."""
    owner: str
    """Who was warned."""


@_registered
@attrs.frozen(kw_only=True)
class PromiseLate(Scheduled):
    """A promise's deadline passed unkept: its deadline moved to ``new_due``, and the
    customer was told so, with the new time, unless they have nowhere to read it."""

    promise_id: str
    """The promise (an explicit one, or the acknowledgement's promise of a next contact)."""
    what: str
    """What was promised, as the notice says it."""
    was_due: datetime
    """The deadline missed (the time first promised, or the last new time)."""
    new_due: datetime
    """The new time it must be kept by."""
    told: bool
    """Whether a notice went to the customer (False: they have no written contact)."""
