"""Work queues (``desk.queues``): labelling cases with tags and custom fields, and finding
the cases a person or a team has to work on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from closedloop.domain.cases import labelling
from closedloop.domain.cases.case import Case
from closedloop.domain.checks import instant
from closedloop.domain.standards.escalation import reschedule
from closedloop.service.context import Context
from closedloop.service.lifecycle import advance, schedule

__all__ = ["Queues"]


class Queues:
    """Tags, custom fields and the case lists agents work from, reached as
    ``desk.queues`` (``docs/queues.md``)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def tag(
        self,
        case_id: str,
        *,
        by: str,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        expected_version: int | None = None,
    ) -> Case:
        """Add and remove tags (recorded as one ``Tagged`` event; nothing is recorded when
        the case has them already). Tags are kept lower case: ``"Billing"`` is ``"billing"``.
        A tag that changes which standards apply (``Standard(tags=...)``) reschedules the
        case's deadlines (a ``Rescheduled`` event after it)."""
        return advance(
            self._ctx,
            case_id,
            lambda c, now: _rescheduled(
                self._ctx, c, labelling.tag(c, at=now, by=by, add=add, remove=remove), now
            ),
            expected_version=expected_version,
        )

    def set_fields(
        self,
        case_id: str,
        values: Mapping[str, str],
        *,
        by: str,
        clear: Iterable[str] = (),
        expected_version: int | None = None,
    ) -> Case:
        """Set custom fields (``{"plan": "pro"}``) and clear those named in ``clear``
        (recorded as one ``FieldsSet`` event; nothing is recorded when nothing changes)."""
        return advance(
            self._ctx,
            case_id,
            lambda c, now: labelling.set_fields(c, at=now, by=by, values=values, clear=clear),
            expected_version=expected_version,
        )


def _rescheduled(ctx: Context, before: Case, after: Case, now: datetime) -> Case:
    """``after``, rescheduled if its labels changed its next due time."""
    if after is before:
        return after
    due, was = schedule(ctx)(after), after.due_at
    if due is None or was is None:
        if due is was:
            return after
    elif instant(due) == instant(was):
        return after
    return reschedule(after, at=now, due_at=schedule(ctx))
