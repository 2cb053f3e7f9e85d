"""Reading cases (the CaseStorage role): by id, by external id, by customer, the due and
unanswered queries, and the cases active in a period; and the due query's plan."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from closedloop.adapters.common import (
    check_instant,
    check_key,
    check_keys,
    check_limit,
    check_queue,
)
from closedloop.adapters.memory_search import check_rag_rows
from closedloop.adapters.rows import (
    from_snapshot,
    from_snapshots,
    from_us,
    preloaded,
    read_together,
    us,
)
from closedloop.adapters.sqlite.connection import CHUNK, TenantView
from closedloop.adapters.sqlite.search import explain_find, find_page, find_summaries, put_rag
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.due import DueCase
from closedloop.domain.cases.queues import Queue
from closedloop.domain.errors import CaseNotFoundError
from closedloop.domain.queues.query import CasePage, CaseQuery
from closedloop.domain.queues.rag import RagTimes
from closedloop.domain.queues.summary import SummaryPage

__all__ = ["SQLiteCaseStorage"]

# A page of cases picked by ``{where}``: each case's snapshot (see from_snapshot).
_CASES_PAGE = """
    SELECT id, snapshot FROM cases WHERE {where} ORDER BY {sort}, id LIMIT ?
"""
_DUE = """
    SELECT id, due_us, version FROM cases
    WHERE tenant = ? AND due_us IS NOT NULL AND due_us < ?
    ORDER BY due_us, id LIMIT ?
"""
# Named: without statistics SQLite prefers the full cases_opened index and walks a tenant's
# cases from the oldest until it finds unanswered ones.
UNANSWERED = """
    SELECT id, snapshot FROM cases INDEXED BY cases_unanswered
    WHERE tenant = ? AND acknowledged = 0 AND closed = 0 ORDER BY opened_us, id LIMIT ?
"""
_QUEUE = _CASES_PAGE.format(sort="queue_us", where="tenant = ? AND queue = ?")
_CASES_OF = """
    SELECT id, snapshot FROM cases WHERE tenant = ? AND customer = ? ORDER BY opened_us, id
"""
# A case's history up to a version: read when first needed (Case.events), never by a read.
_HISTORY = """
    SELECT body FROM events WHERE tenant = ? AND case_id = ? AND version <= ? ORDER BY version
"""


class SQLiteCaseStorage(TenantView):
    """The case queries, each one statement (one snapshot) except the paged
    :meth:`cases_active`. Each reads the cases' snapshots; a case's events are read when
    its history is first needed."""

    def _bodies(self, case_id: str, version: int | None) -> list[str]:
        upto = 2**62 if version is None else version
        return [body for (body,) in self._read(_HISTORY, (self._tenant, case_id, upto))]

    def get(self, case_id: str) -> Case:
        """The case with this id; raises :class:`~closedloop.CaseNotFoundError`."""
        check_key("case_id", case_id)
        rows = self._read(
            "SELECT snapshot FROM cases WHERE tenant = ? AND id = ?", (self._tenant, case_id)
        )
        if not rows:
            raise CaseNotFoundError(case_id)
        return from_snapshot(case_id, rows[0][0], self._bodies)

    def get_many(self, case_ids: Sequence[str]) -> Mapping[str, Case]:
        """The cases with these ids that exist and can be read, by id (the
        ``ReadsManyCases`` role): one statement per 500 ids."""
        ids = check_keys("case_ids", case_ids)
        found: dict[str, Case] = {}
        for start in range(0, len(ids), CHUNK):
            some = ids[start : start + CHUNK]
            rows = self._read(
                "SELECT id, snapshot FROM cases WHERE tenant = ? AND id IN"
                f" ({', '.join('?' * len(some))}) ORDER BY id",
                (self._tenant, *some),
            )
            bodies = read_together((case_id for case_id, _ in rows), self._page, self._bodies)
            found.update((case.id, case) for case in from_snapshots(rows, bodies))
        return found

    def _page(self, case_ids: list[str]) -> list[tuple[str, str]]:
        """The events of up to ``CHUNK`` cases, case by case in version order."""
        return self._read(
            f"SELECT case_id, body FROM events WHERE tenant = ? AND case_id IN"
            f" ({', '.join('?' * len(case_ids))}) ORDER BY case_id, version",
            (self._tenant, *case_ids),
        )

    def find_by_external_id(self, external_id: str) -> Case | None:
        """The case holding a message with this external id, if any."""
        check_key("external_id", external_id)
        rows = self._read(
            """
            SELECT cases.id, cases.snapshot FROM external_ids
            CROSS JOIN cases ON cases.tenant = external_ids.tenant
                       AND cases.id = external_ids.case_id
            WHERE external_ids.tenant = ? AND external_ids.external_id = ?
            """,
            (self._tenant, external_id),
        )
        return from_snapshot(rows[0][0], rows[0][1], self._bodies) if rows else None

    def cases_of(self, customer: str) -> Sequence[Case]:
        """Every case of one customer, by ``opened_at`` then id."""
        check_key("customer", customer)
        return from_snapshots(self._read(_CASES_OF, (self._tenant, customer)), self._bodies)

    def due(self, before: datetime, limit: int = 100) -> Sequence[DueCase]:
        """Open cases whose ``due_at`` is earlier than ``before``, by ``due_at`` then id;
        ``due_at`` comes back in UTC."""
        check_limit(limit)
        params = (self._tenant, us(check_instant("before", before)), limit)
        return [
            DueCase(case_id, from_us(due_us), version)
            for case_id, due_us, version in self._read(_DUE, params)
        ]

    def unanswered(self, limit: int = 100) -> Sequence[Case]:
        """Open cases never acknowledged, by ``opened_at`` then id."""
        check_limit(limit)
        return from_snapshots(self._read(UNANSWERED, (self._tenant, limit)), self._bodies)

    def queue(self, queue: Queue, limit: int = 100) -> Sequence[Case]:
        """The cases in work queue ``queue``, by ``queued_since`` then id."""
        check_limit(limit)
        name = check_queue(queue).value
        return from_snapshots(self._read(_QUEUE, (self._tenant, name, limit)), self._bodies)

    def cases_active(self, since: datetime, until: datetime) -> Iterator[Case]:
        """Cases with an event in ``[since, until)``, by ``opened_at`` then id, read a page
        of a few hundred at a time."""
        low, high = us(check_instant("since", since)), us(check_instant("until", until))
        after: tuple[int, str] = (-(2**62), "")
        while True:
            page = self._read(
                _CASES_PAGE.format(
                    sort="opened_us",
                    where="tenant = ? AND opened_us < ? AND (opened_us, id) > (?, ?)"
                    # Probe each case's own events by primary key: left to itself the
                    # planner scans the period's events for every case (quadratic).
                    " AND EXISTS (SELECT 1 FROM events AS e INDEXED BY sqlite_autoindex_events_1"
                    " WHERE e.tenant = cases.tenant"
                    " AND e.case_id = cases.id AND e.at_us >= ? AND e.at_us < ?)",
                ),
                (self._tenant, high, *after, low, high, CHUNK),
            )
            # Reports read the histories: the page's events in one statement, not one a case.
            events = page and self._page([case_id for case_id, _ in page])
            cases = from_snapshots(page, preloaded(events, self._bodies))
            yield from cases
            if len(cases) < CHUNK:
                return
            last = cases[-1]
            after = (us(last.opened_at), last.id)

    def explain_due_query(self, before: datetime, limit: int = 100) -> str:
        """Diagnostic: SQLite's ``EXPLAIN QUERY PLAN`` for :meth:`due`, one step a line.

        A healthy plan searches ``cases`` with the ``cases_due`` index instead of scanning
        the table.
        """
        check_limit(limit)
        params = (self._tenant, us(check_instant("before", before)), limit)
        rows = self._read("EXPLAIN QUERY PLAN " + _DUE, params)
        return "\n".join(str(row[-1]) for row in rows)

    def find_cases(
        self, query: CaseQuery, now: datetime, limit: int = 50, after: str | None = None
    ) -> CasePage:
        """The first ``limit`` cases ``query`` lists at ``now``, after cursor ``after`` (the
        ``SearchesCases`` role): one statement, led by one index (``docs/queues.md``)."""
        return find_page(self._read, self._bodies, self._tenant, query, now, limit, after)

    def find_summaries(
        self, query: CaseQuery, now: datetime, limit: int = 50, after: str | None = None
    ) -> SummaryPage:
        """The page :meth:`find_cases` lists, as summaries read from columns without
        decoding a case (the ``SummarisesCases`` role)."""
        return find_summaries(self._read, self._bodies, self._tenant, query, now, limit, after)

    def put_rag(self, times: Sequence[tuple[str, int, RagTimes | None]]) -> int:
        """Store each case's RAG instants if the case is still at the version given (a
        recomputation); returns how many were stored."""
        rows = check_rag_rows(times)
        with self._write() as db:
            return put_rag(db, self._tenant, rows)

    def explain_find(self, query: CaseQuery, now: datetime) -> str:
        """Diagnostic: SQLite's ``EXPLAIN QUERY PLAN`` for :meth:`find_cases`, one step a
        line. A healthy plan searches ``cases`` (or ``case_labels``) with an index."""
        return explain_find(self._read, self._tenant, query, now)
