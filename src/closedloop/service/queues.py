"""Work queues (``desk.queues``): labelling cases with tags and custom fields, and finding
the cases a person or a team has to work on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from closedloop.domain.cases import labelling
from closedloop.domain.cases.case import Case
from closedloop.service.context import Context
from closedloop.service.lifecycle import advance

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
        the case has them already). Tags are kept lower case: ``"Billing"`` is ``"billing"``."""
        return advance(
            self._ctx,
            case_id,
            lambda c, now: labelling.tag(c, at=now, by=by, add=add, remove=remove),
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
