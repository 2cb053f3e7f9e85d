"""When a case turns amber and red: computed at commit time under the desk's standards, so
a store can answer "which cases are red now" from an index, without replaying a case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle
from closedloop.domain.checks import instant, shown
from closedloop.domain.errors import ValidationError
from closedloop.domain.standards.standard import Standards, due_times
from closedloop.domain.standards.targets import Rag

__all__ = ["NO_DEADLINE", "RagTimes", "micros", "rag_at", "rag_times"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

#: The due key of a case with no deadline running: after every real one, so such cases
#: come last when the earliest deadline comes first.
NO_DEADLINE: Final = 2**62


def micros(value: datetime) -> int:
    """UTC microseconds since the epoch (what SQL stores keep): sorts by instant."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _optional_aware(
    instance: object, attribute: attrs.Attribute[datetime | None], value: object
) -> None:
    if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
        raise ValidationError.of(
            attribute.name,
            f"{attribute.name} must be an aware datetime or None, got {shown(value)}",
        )


@attrs.frozen
class RagTimes:
    """When a case turns AMBER and RED: the earliest ``amber_at`` and ``due_at`` of its
    pending steps (:func:`~closedloop.domain.standards.standard.due_times`). None: no step's
    clock is running towards it (a closed case; a case paused before reaching it)."""

    amber_at: datetime | None = attrs.field(default=None, validator=_optional_aware)
    """From this instant on the case is AMBER (unless RED)."""
    red_at: datetime | None = attrs.field(default=None, validator=_optional_aware)
    """After this instant the case is RED: its earliest pending step is late."""

    @property
    def due_key(self) -> int:
        """The order of "earliest deadline first": ``red_at`` in microseconds, or
        :data:`NO_DEADLINE`."""
        return NO_DEADLINE if self.red_at is None else micros(self.red_at)


def rag_times(case: Case, standards: Standards, lifecycle: Lifecycle = LATTE) -> RagTimes:
    """The instants ``case`` turns amber and red under ``standards``, from its events alone.

    :func:`rag_at` of them at any ``now`` after the case's last event is
    ``status(deadlines(case, standards, now))``: a step is RED once ``now`` is past its
    ``due_at`` and AMBER once ``amber_at`` of its time is used, so the worst of a case's
    steps turns at the earliest of each."""
    dues = due_times(case, standards, amber=True, lifecycle=lifecycle)
    amber = [d.amber_at for d in dues if d.amber_at is not None]
    red = [d.due_at for d in dues if d.due_at is not None]
    return RagTimes(
        amber_at=min(amber, key=instant, default=None),
        red_at=min(red, key=instant, default=None),
    )


def rag_at(times: RagTimes | None, now: datetime) -> Rag:
    """The RAG status at ``now`` of a case that turns at ``times`` (None: GREEN)."""
    if times is None:
        return Rag.GREEN
    if times.red_at is not None and instant(now) > instant(times.red_at):
        return Rag.RED
    if times.amber_at is not None and instant(now) >= instant(times.amber_at):
        return Rag.AMBER
    return Rag.GREEN
