"""Reading cases (the CaseStorage role): by id, by the external id of a message, by customer,
the due and the unanswered ones, and those active in a period. Cases are written by
:mod:`~closedloop.adapters.postgres.unit_of_work`.
"""

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
from closedloop.adapters.postgres.connection import PAGE, PostgresBase
from closedloop.adapters.postgres.search import SUMMARY, statement
from closedloop.adapters.rows import (
    from_snapshot,
    from_snapshots,
    from_us,
    preloaded,
    read_together,
    us,
)
from closedloop.adapters.search import page_of_rows, rag_columns
from closedloop.adapters.summaries import summary_page
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.due import DueCase
from closedloop.domain.cases.queues import Queue
from closedloop.domain.errors import CaseNotFoundError
from closedloop.domain.queues.query import CasePage, CaseQuery
from closedloop.domain.queues.rag import RagTimes
from closedloop.domain.queues.summary import SummaryPage

__all__ = ["PostgresCaseStorage"]


class PostgresCaseStorage(PostgresBase):
    """The case queries of a :class:`PostgresStore`. Each reads the cases' snapshots; a
    case's events are read when its history is first needed."""

    def _bodies(self, case_id: str, version: int | None) -> list[str]:
        upto = 2**31 - 1 if version is None else version
        return [
            body
            for (body,) in self._read(
                f"SELECT body FROM {self._s}.events WHERE tenant = %s AND case_id = %s"
                " AND version <= %s ORDER BY version",
                (self._tenant, case_id, upto),
            )
        ]

    def get(self, case_id: str) -> Case:
        """The case with this id; raises :class:`~closedloop.CaseNotFoundError`."""
        check_key("case_id", case_id)
        rows = self._read(
            f"SELECT snapshot FROM {self._s}.cases WHERE tenant = %s AND id = %s",
            (self._tenant, case_id),
        )
        if not rows:
            raise CaseNotFoundError(case_id)
        return from_snapshot(case_id, rows[0][0], self._bodies)

    def get_many(self, case_ids: Sequence[str]) -> Mapping[str, Case]:
        """The cases with these ids that exist and can be read, by id (the
        ``ReadsManyCases`` role), in one statement."""
        ids = check_keys("case_ids", case_ids)
        if not ids:
            return {}
        rows = self._read(
            f"SELECT id, snapshot FROM {self._s}.cases WHERE tenant = %s"
            " AND id = ANY(%b) ORDER BY id",
            (self._tenant, ids),
        )
        bodies = read_together((case_id for case_id, _ in rows), self._page, self._bodies)
        return {case.id: case for case in from_snapshots(rows, bodies)}

    def _page(self, case_ids: list[str]) -> list[tuple[str, str]]:
        """The events of these cases, case by case in version order."""
        return self._read(
            f"SELECT case_id, body FROM {self._s}.events WHERE tenant = %s"
            " AND case_id = ANY(%b) ORDER BY case_id, version",
            (self._tenant, case_ids),
        )

    def find_by_external_id(self, external_id: str) -> Case | None:
        """The case holding a message with this external id, if any."""
        check_key("external_id", external_id)
        rows = self._read(
            f"""
            SELECT c.id, c.snapshot FROM {self._s}.external_ids AS x
            JOIN {self._s}.cases AS c ON c.tenant = x.tenant AND c.id = x.case_id
            WHERE x.tenant = %s AND x.external_id = %s
            """,
            (self._tenant, external_id),
        )
        return from_snapshot(rows[0][0], rows[0][1], self._bodies) if rows else None

    def cases_of(self, customer: str) -> Sequence[Case]:
        """Every case of one customer, by ``opened_at`` then id."""
        check_key("customer", customer)
        rows = self._read(
            f"SELECT id, snapshot FROM {self._s}.cases WHERE tenant = %s AND customer = %s"
            " ORDER BY opened_us, id",
            (self._tenant, customer),
        )
        return from_snapshots(rows, self._bodies)

    def due(self, before: datetime, limit: int = 100) -> Sequence[DueCase]:
        """Cases whose ``due_at`` is earlier than ``before``, by ``due_at`` then id."""
        check_limit(limit)
        rows = self._read(
            f"SELECT id, due_us, version FROM {self._s}.cases WHERE tenant = %s"
            " AND due_us IS NOT NULL AND due_us < %s ORDER BY due_us, id LIMIT %s",
            (self._tenant, us(check_instant("before", before)), limit),
        )
        return [DueCase(case_id, from_us(due_us), version) for case_id, due_us, version in rows]

    def unanswered(self, limit: int = 100) -> Sequence[Case]:
        """Open cases never acknowledged, by ``opened_at`` then id."""
        check_limit(limit)
        rows = self._read(
            f"SELECT id, snapshot FROM {self._s}.cases"
            " WHERE tenant = %s AND NOT acknowledged AND NOT closed"
            " ORDER BY opened_us, id LIMIT %s",
            (self._tenant, limit),
        )
        return from_snapshots(rows, self._bodies)

    def queue(self, queue: Queue, limit: int = 100) -> Sequence[Case]:
        """The cases in work queue ``queue``, by ``queued_since`` then id."""
        check_limit(limit)
        name = check_queue(queue).value
        rows = self._read(
            f"SELECT id, snapshot FROM {self._s}.cases WHERE tenant = %s AND queue = %s"
            " ORDER BY queue_us, id LIMIT %s",
            (self._tenant, name, limit),
        )
        return from_snapshots(rows, self._bodies)

    def cases_active(self, since: datetime, until: datetime) -> Iterator[Case]:
        """Cases with an event in ``[since, until)``, by ``opened_at`` then id, a page at a
        time (with the page's events: reports read the histories)."""
        low, high = us(check_instant("since", since)), us(check_instant("until", until))
        s = self._s
        after: tuple[int, str] = (-(2**62), "")
        while True:
            with self._tx() as cur:  # the page and its events in one transaction
                page = cur.execute(
                    f"""
                    SELECT id, snapshot FROM {s}.cases AS c
                    WHERE tenant = %s AND opened_us < %s AND (opened_us, id) > (%s, %s)
                      AND EXISTS (SELECT 1 FROM {s}.events AS x WHERE x.tenant = c.tenant
                                  AND x.case_id = c.id AND x.at_us >= %s AND x.at_us < %s)
                    ORDER BY opened_us, id LIMIT %s
                    """,
                    (self._tenant, high, *after, low, high, PAGE),
                ).fetchall()
                events = cur.execute(
                    f"SELECT case_id, body FROM {s}.events WHERE tenant = %s"
                    " AND case_id = ANY(%b) ORDER BY case_id, version",
                    (self._tenant, [case_id for case_id, _ in page]),
                ).fetchall()
            cases = from_snapshots(page, preloaded(events, self._bodies))
            yield from cases
            if len(cases) < PAGE:
                return
            after = (us(cases[-1].opened_at), cases[-1].id)

    def find_cases(
        self, query: CaseQuery, now: datetime, limit: int = 50, after: str | None = None
    ) -> CasePage:
        """The first ``limit`` cases ``query`` lists at ``now``, after cursor ``after`` (the
        ``SearchesCases`` role): one statement over the search indexes (``docs/queues.md``)."""
        found = statement(self._s, self._tenant, query, now, limit, after)
        rows = self._read(found.sql, found.params)
        return page_of_rows(query, rows, found.keys, limit, self._bodies)

    def find_summaries(
        self, query: CaseQuery, now: datetime, limit: int = 50, after: str | None = None
    ) -> SummaryPage:
        """The page :meth:`find_cases` lists, as summaries read from columns without
        decoding a case (the ``SummarisesCases`` role)."""
        found = statement(self._s, self._tenant, query, now, limit, after, SUMMARY)
        rows = self._read(found.sql, found.params)
        return summary_page(query, rows, found.keys, limit, now, self._bodies)

    def put_rag(self, times: Sequence[tuple[str, int, RagTimes | None]]) -> int:
        """Store each case's RAG instants if the case is still at the version given (a
        recomputation); returns how many were stored."""
        rows = check_rag_rows(times)
        if not rows:
            return 0
        columns = [rag_columns(rag) for _, _, rag in rows]
        with self._tx() as cur:
            cur.execute(
                f"UPDATE {self._s}.cases AS c SET amber_us = u.amber, due_key = u.due"
                " FROM unnest(%b::text[], %b::integer[], %b::bigint[], %b::bigint[])"
                " AS u(id, version, amber, due)"
                " WHERE c.tenant = %s AND c.id = u.id AND c.version = u.version",
                (
                    [case_id for case_id, _, _ in rows],
                    [version for _, version, _ in rows],
                    [amber for amber, _ in columns],
                    [due for _, due in columns],
                    self._tenant,
                ),
            )
            return cur.rowcount

    def explain_find(self, query: CaseQuery, now: datetime) -> str:
        """Diagnostic: PostgreSQL's ``EXPLAIN`` for :meth:`find_cases`, one line a step."""
        found = statement(self._s, self._tenant, query, now, 50, None)
        return "\n".join(row[0] for row in self._read("EXPLAIN " + found.sql, found.params))
