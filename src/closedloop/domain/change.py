"""A Change: what one step commits, atomically."""

from __future__ import annotations

import attrs

from closedloop.domain.case import Case
from closedloop.domain.errors import ValidationError
from closedloop.domain.events import Event
from closedloop.domain.notification import Notification

__all__ = ["Change"]


@attrs.frozen
class Change:
    """A case's new state, its new events and the notifications they caused.

    ``expected_version`` is the version the change was computed from (0 for a new case).
    A store commits all of it or none of it, and refuses it if the stored case is no longer
    at ``expected_version``.
    """

    case: Case
    expected_version: int
    notifications: tuple[Notification, ...] = ()

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.expected_version < self.case.version:
            raise ValidationError(
                f"a change must move case {self.case.id!r} forward from expected_version "
                f"{self.expected_version}, but the case is at version {self.case.version}"
            )

    @property
    def events(self) -> tuple[Event, ...]:
        """The events this change adds to the case's history."""
        return self.case.events[self.expected_version :]
