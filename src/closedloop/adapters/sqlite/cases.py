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
from closedloop.adapters.rows import from_us, group, replay, us
from closedloop.adapters.sqlite.connection import CHUNK, TenantView
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.due import DueCase
from closedloop.domain.cases.queues import Queue
from closedloop.domain.errors import CaseNotFoundError

__all__ = ["SQLiteCaseStorage"]

# The events of a page of cases picked by ``{where}``, in one statement (one snapshot).
_CASES_PAGE = """
    SELECT events.case_id, events.body
    FROM (SELECT id, {sort} AS sort FROM cases WHERE {where} ORDER BY {sort}, id LIMIT ?) AS page
    CROSS JOIN events ON events.tenant = ? AND events.case_id = page.id
    ORDER BY page.sort, page.id, events.version
"""
_DUE = """
    SELECT id, due_us, version FROM cases
    WHERE tenant = ? AND due_us IS NOT NULL AND due_us < ?
    ORDER BY due_us, id LIMIT ?
"""
_UNANSWERED = _CASES_PAGE.format(
    sort="opened_us", where="tenant = ? AND acknowledged = 0 AND closed = 0"
)
_QUEUE = _CASES_PAGE.format(sort="queue_us", where="tenant = ? AND queue = ?")
# CROSS JOIN makes SQLite loop over the customer's cases first, whatever its statistics say.
_CASES_OF = """
    SELECT events.case_id, events.body
    FROM cases CROSS JOIN events ON events.tenant = cases.tenant AND events.case_id = cases.id
    WHERE cases.tenant = ? AND cases.customer = ?
    ORDER BY cases.opened_us, cases.id, events.version
"""


class SQLiteCaseStorage(TenantView):
    """The case queries, each one statement (one snapshot) except the paged
    :meth:`cases_active`."""

    def get(self, case_id: str) -> Case:
        """The case with this id; raises :class:`~closedloop.CaseNotFoundError`."""
        check_key("case_id", case_id)
        rows = self._read(
            "SELECT body FROM events WHERE tenant = ? AND case_id = ? ORDER BY version",
            (self._tenant, case_id),
        )
        if not rows:
            raise CaseNotFoundError(case_id)
        return replay((body for (body,) in rows), case_id)

    def get_many(self, case_ids: Sequence[str]) -> Mapping[str, Case]:
        """The cases with these ids that exist and can be read, by id (the
        ``ReadsManyCases`` role): one statement per 500 ids."""
        ids = check_keys("case_ids", case_ids)
        found: dict[str, Case] = {}
        for start in range(0, len(ids), CHUNK):
            some = ids[start : start + CHUNK]
            rows = self._read(
                "SELECT case_id, body FROM events WHERE tenant = ? AND case_id IN"
                f" ({', '.join('?' * len(some))}) ORDER BY case_id, version",
                (self._tenant, *some),
            )
            found.update((case.id, case) for case in group(rows))
        return found

    def find_by_external_id(self, external_id: str) -> Case | None:
        """The case holding a message with this external id, if any."""
        check_key("external_id", external_id)
        rows = self._read(
            """
            SELECT events.body FROM external_ids
            CROSS JOIN events ON events.tenant = external_ids.tenant
                       AND events.case_id = external_ids.case_id
            WHERE external_ids.tenant = ? AND external_ids.external_id = ?
            ORDER BY events.version
            """,
            (self._tenant, external_id),
        )
        return replay(body for (body,) in rows) if rows else None

    def cases_of(self, customer: str) -> Sequence[Case]:
        """Every case of one customer, by ``opened_at`` then id."""
        check_key("customer", customer)
        return group(self._read(_CASES_OF, (self._tenant, customer)))

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
        return group(self._read(_UNANSWERED, (self._tenant, limit, self._tenant)))

    def queue(self, queue: Queue, limit: int = 100) -> Sequence[Case]:
        """The cases in work queue ``queue``, by ``queued_since`` then id."""
        check_limit(limit)
        name = check_queue(queue).value
        return group(self._read(_QUEUE, (self._tenant, name, limit, self._tenant)))

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
                (self._tenant, high, *after, low, high, CHUNK, self._tenant),
            )
            cases = group(page)
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
