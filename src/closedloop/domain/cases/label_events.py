"""The events of labelling a case: tags added or removed (:class:`Tagged`), custom fields
set or cleared (:class:`FieldsSet`). Registered with the other events
(:data:`~closedloop.domain.cases.events.EVENT_TYPES`), so stores read them back alike."""

from __future__ import annotations

import attrs

from closedloop.domain.cases.events import Event, _registered
from closedloop.domain.cases.labels import FieldValue

__all__ = ["FieldsSet", "Tagged"]


@_registered
@attrs.frozen(kw_only=True)
class Tagged(Event):
    """Tags were added to or removed from the case."""

    added: tuple[str, ...] = ()
    """The tags added (normalised: lower case, sorted)."""
    removed: tuple[str, ...] = ()
    """The tags removed."""


@_registered
@attrs.frozen(kw_only=True)
class FieldsSet(Event):
    """Custom fields were set or cleared on the case."""

    values: tuple[FieldValue, ...] = ()
    """The fields set, with their new values."""
    cleared: tuple[str, ...] = ()
    """The names of the fields cleared."""
