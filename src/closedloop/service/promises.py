"""Promises (``desk.promises``): commitments made to a customer, tracked until kept."""

from __future__ import annotations

from datetime import datetime

from closedloop.domain.cases import conversation as talk
from closedloop.domain.cases.case import Case
from closedloop.domain.checks import require_key
from closedloop.service.context import Context
from closedloop.service.lifecycle import advance, schedule

__all__ = ["Promises"]


class Promises:
    """Promises made to customers on their cases ("we will retrain the team by Friday"),
    reached as ``desk.promises``. The sweep escalates one not kept by its date like a
    breached standard; ``desk.reports.promises`` counts them."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def make(
        self,
        case_id: str,
        *,
        what: str,
        due_by: datetime,
        owner: str,
        by: str,
        expected_version: int | None = None,
    ) -> Case:
        """Record a promise made to the customer. The new promise is the case's last in
        ``case.promises``; its ``id`` keeps it."""
        ctx = self._ctx
        promise_id = ctx.new_id()
        return advance(
            ctx,
            case_id,
            lambda c, now: talk.make_promise(
                c, promise_id=promise_id, what=what, due_by=due_by, owner=owner, at=now, by=by,
                due_at=schedule(ctx),
            ),
            expected_version=expected_version,
        )  # fmt: skip

    def keep(
        self,
        case_id: str,
        promise_id: str,
        *,
        by: str,
        note: str = "",
        expected_version: int | None = None,
    ) -> Case:
        """Record that a promise was kept."""
        ctx = self._ctx
        require_key("promise_id", promise_id)
        return advance(
            ctx,
            case_id,
            lambda c, now: talk.keep_promise(
                c, promise_id, at=now, by=by, note=note, due_at=schedule(ctx)
            ),
            expected_version=expected_version,
        )
