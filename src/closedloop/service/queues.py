"""Work queues (``desk.queues``): labelling cases with tags and custom fields, and finding
the cases a person or a team has to work on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from closedloop.domain.cases import labelling
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import FeedbackKind
from closedloop.domain.cases.priority import Priority
from closedloop.domain.change import Change
from closedloop.domain.checks import instant, require_limit
from closedloop.domain.errors import ConcurrencyError, StorageError, ValidationError
from closedloop.domain.latte import Stage
from closedloop.domain.queues.query import CasePage, CaseQuery, Order
from closedloop.domain.queues.rag import rag_times
from closedloop.domain.queues.summary import SummaryPage, summarise
from closedloop.domain.standards.escalation import reschedule
from closedloop.domain.standards.targets import Rag
from closedloop.ports import SearchesCases, SummarisesCases
from closedloop.service.context import Context, not_before
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

    def find(
        self,
        query: CaseQuery | None = None,
        *,
        owner: str | None = None,
        unowned: bool = False,
        team: str | None = None,
        stage: Stage | str | None = None,
        rag: Rag | str | None = None,
        priority: Priority | str | None = None,
        channel: Channel | str | None = None,
        kind: FeedbackKind | str | None = None,
        tags: Iterable[str] = (),
        fields: Mapping[str, str] | None = None,
        customer: str | None = None,
        opened_since: datetime | None = None,
        opened_until: datetime | None = None,
        updated_since: datetime | None = None,
        updated_until: datetime | None = None,
        closed: bool = False,
        order: Order | str = Order.OLDEST_FIRST,
        limit: int = 50,
        after: str | None = None,
    ) -> CasePage:
        """One page of the cases that match every filter given, in ``order``: active cases
        only unless ``closed=True``; ``rag`` is read at the clock's now. Pass a page's
        ``next`` as ``after`` for the next page. Give a :class:`CaseQuery` or keywords,
        not both (``docs/queues.md``, "Finding cases")."""
        filtered = CaseQuery(
            owner=owner, unowned=unowned, team=team, stage=stage, rag=rag,  # type: ignore[arg-type]
            priority=priority, channel=channel, kind=kind,  # type: ignore[arg-type]
            tags=tags, fields=fields or {}, customer=customer,  # type: ignore[arg-type]
            opened_since=opened_since, opened_until=opened_until, updated_since=updated_since,
            updated_until=updated_until, closed=closed, order=order,  # type: ignore[arg-type]
        )  # fmt: skip
        if query is None:
            query = filtered
        elif not isinstance(query, CaseQuery):
            raise ValidationError.of(
                "query", f"query must be a CaseQuery, got {type(query).__name__}"
            )
        elif filtered != CaseQuery():
            raise ValidationError.of("query", "give a CaseQuery or filters as keywords, not both")
        return self._searcher().find_cases(query, self._ctx.clock.now(), limit, after)

    def summaries(
        self,
        /,
        query: CaseQuery | None = None,
        *,
        limit: int = 50,
        after: str | None = None,
        **filters: Any,
    ) -> SummaryPage:
        """One page of the case list ``query`` names (all active cases, oldest first, by
        default) as :class:`~closedloop.CaseSummary` rows, what a list view shows, read
        without decoding the cases: the same cases, order and cursors as :meth:`find`.
        Give a :class:`~closedloop.CaseQuery` or :meth:`find`'s filters as keywords, not
        both (``docs/queues.md``, "Case lists as summaries")."""
        if filters:
            query = _keywords(query, filters)
        elif query is None:
            query = CaseQuery()
        elif not isinstance(query, CaseQuery):
            raise ValidationError.of(
                "query", f"query must be a CaseQuery, got {type(query).__name__}"
            )
        store, now = self._searcher(), self._ctx.clock.now()
        if isinstance(store, SummarisesCases):
            return store.find_summaries(query, now, limit, after)
        page = store.find_cases(query, now, limit, after)
        standards, lifecycle = self._ctx.policy.standards, self._ctx.policy.lifecycle
        return SummaryPage(
            (summarise(c, rag_times(c, standards, lifecycle), now) for c in page.cases),
            page.next,
        )

    def reindex(self, *, batch: int = 500) -> int:
        """Recompute when each active case turns amber and red, and when the sweep must
        next look at it (``due_at``), under the desk's policy now: after changing the
        standards or the ladder, or after migrating a database written before cases could
        be found (whose cases count GREEN until then). A case whose due time changes gets
        a ``Rescheduled`` event. A page of ``batch`` cases at a time; a case that changes
        meanwhile keeps what its commit stored. Returns how many cases were updated."""
        require_limit("batch", batch)
        store, ctx = self._searcher(), self._ctx
        standards, lifecycle = ctx.policy.standards, ctx.policy.lifecycle
        query, after, stored = CaseQuery(), None, 0
        while True:
            now = ctx.clock.now()
            page = store.find_cases(query, now, batch, after)
            moved = {c.id: _moved(ctx, c, now) for c in page.cases}
            stored += _commit_each(ctx, [Change(m, c.version) for c in page.cases
                                          if (m := moved[c.id]) is not c])  # fmt: skip
            stored += store.put_rag(
                [(c.id, c.version, rag_times(c, standards, lifecycle))
                 for c in page.cases if moved[c.id] is c]
            )  # fmt: skip
            if page.next is None:
                return stored
            after = page.next

    def _searcher(self) -> SearchesCases:
        store = self._ctx.store
        if not isinstance(store, SearchesCases):
            raise StorageError(
                f"{type(store).__name__} cannot find cases: it lacks the optional "
                "SearchesCases role (find_cases, docs/storage.md R15); use SQLiteStore, "
                "PostgresStore or InMemoryStore, or implement it"
            )
        return store


_FILTERS = frozenset(a.name for a in attrs.fields(CaseQuery))


def _keywords(query: object, filters: dict[str, Any]) -> CaseQuery:
    """The ``CaseQuery`` of filters given as keywords, else a clear error."""
    if query is not None:
        raise ValidationError.of("query", "give a CaseQuery or filters as keywords, not both")
    unknown = sorted(set(filters) - _FILTERS)
    if unknown:
        raise ValidationError.of(
            unknown[0],
            f"{unknown[0]!r} is not a filter; the filters are {', '.join(sorted(_FILTERS))}",
        )
    return CaseQuery(**filters)


def _commit_each(ctx: Context, changes: list[Change]) -> int:
    """Commit ``changes`` at once, leaving out each case changed meanwhile (its own commit
    scheduled it); how many were committed."""
    while changes:
        try:
            ctx.commit_many(changes)
        except ConcurrencyError as conflict:
            left = [c for c in changes if c.case.id != conflict.case_id]
            if len(left) == len(changes):  # pragma: no cover - names none of these cases
                raise
            changes = left
            continue
        return len(changes)
    return 0


def _moved(ctx: Context, case: Case, now: datetime) -> Case:
    """``case`` rescheduled to the policy now, unless it waits for its closing notice to
    go out (the sweep's recheck time, not the policy's, is its due time then)."""
    if case.pause is not None and case.pause.notice_at is not None:
        return case
    return _rescheduled(ctx, None, case, now)


def _rescheduled(ctx: Context, before: Case | None, after: Case, now: datetime) -> Case:
    """``after``, rescheduled if its labels (or the policy) changed its next due time."""
    if after is before:
        return after
    due, was = schedule(ctx)(after), after.due_at
    if due is None or was is None:
        if due is was:
            return after
    elif instant(due) == instant(was):
        return after
    return reschedule(after, at=not_before(now, after), due_at=schedule(ctx))
