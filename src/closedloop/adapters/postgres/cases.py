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
from closedloop.adapters.postgres.connection import PAGE, PostgresBase
from closedloop.adapters.rows import from_us, group, replay, us
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.due import DueCase
from closedloop.domain.cases.queues import Queue
from closedloop.domain.errors import CaseNotFoundError

__all__ = ["PostgresCaseStorage"]


class PostgresCaseStorage(PostgresBase):
    """The case queries of a :class:`PostgresStore`."""

    def get(self, case_id: str) -> Case:
        """The case with this id; raises :class:`~closedloop.CaseNotFoundError`."""
        check_key("case_id", case_id)
        rows = self._read(
            f"SELECT body FROM {self._s}.events WHERE tenant = %s AND case_id = %s"
            " ORDER BY version",
            (self._tenant, case_id),
        )
        if not rows:
            raise CaseNotFoundError(case_id)
        return replay((body for (body,) in rows), case_id)

    def get_many(self, case_ids: Sequence[str]) -> Mapping[str, Case]:
        """The cases with these ids that exist and can be read, by id (the
        ``ReadsManyCases`` role), in one statement."""
        ids = check_keys("case_ids", case_ids)
        if not ids:
            return {}
        rows = self._read(
            f"SELECT case_id, body FROM {self._s}.events WHERE tenant = %s"
            " AND case_id = ANY(%s) ORDER BY case_id, version",
            (self._tenant, ids),
        )
        return {case.id: case for case in group(rows)}

    def find_by_external_id(self, external_id: str) -> Case | None:
        """The case holding a message with this external id, if any."""
        check_key("external_id", external_id)
        rows = self._read(
            f"""
            SELECT e.body FROM {self._s}.external_ids AS x
            JOIN {self._s}.events AS e ON e.tenant = x.tenant AND e.case_id = x.case_id
            WHERE x.tenant = %s AND x.external_id = %s ORDER BY e.version
            """,
            (self._tenant, external_id),
        )
        return replay(body for (body,) in rows) if rows else None

    def cases_of(self, customer: str) -> Sequence[Case]:
        """Every case of one customer, by ``opened_at`` then id."""
        check_key("customer", customer)
        return group(
            self._read(
                f"""
                SELECT e.case_id, e.body FROM {self._s}.cases AS c
                JOIN {self._s}.events AS e ON e.tenant = c.tenant AND e.case_id = c.id
                WHERE c.tenant = %s AND c.customer = %s
                ORDER BY c.opened_us, c.id, e.version
                """,
                (self._tenant, customer),
            )
        )

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
        return group(
            self._read(
                f"""
                SELECT e.case_id, e.body FROM (
                    SELECT id, opened_us FROM {self._s}.cases
                    WHERE tenant = %s AND NOT acknowledged AND NOT closed
                    ORDER BY opened_us, id LIMIT %s
                ) AS page
                JOIN {self._s}.events AS e ON e.tenant = %s AND e.case_id = page.id
                ORDER BY page.opened_us, page.id, e.version
                """,
                (self._tenant, limit, self._tenant),
            )
        )

    def queue(self, queue: Queue, limit: int = 100) -> Sequence[Case]:
        """The cases in work queue ``queue``, by ``queued_since`` then id."""
        check_limit(limit)
        name = check_queue(queue).value
        return group(
            self._read(
                f"""
                SELECT e.case_id, e.body FROM (
                    SELECT id, queue_us FROM {self._s}.cases
                    WHERE tenant = %s AND queue = %s
                    ORDER BY queue_us, id LIMIT %s
                ) AS page
                JOIN {self._s}.events AS e ON e.tenant = %s AND e.case_id = page.id
                ORDER BY page.queue_us, page.id, e.version
                """,
                (self._tenant, name, limit, self._tenant),
            )
        )

    def cases_active(self, since: datetime, until: datetime) -> Iterator[Case]:
        """Cases with an event in ``[since, until)``, by ``opened_at`` then id, a page at a
        time."""
        low, high = us(check_instant("since", since)), us(check_instant("until", until))
        s = self._s
        after: tuple[int, str] = (-(2**62), "")
        while True:
            cases = group(
                self._read(
                    f"""
                    SELECT e.case_id, e.body FROM (
                        SELECT id, opened_us FROM {s}.cases AS c
                        WHERE tenant = %s AND opened_us < %s AND (opened_us, id) > (%s, %s)
                          AND EXISTS (SELECT 1 FROM {s}.events AS x WHERE x.tenant = c.tenant
                                      AND x.case_id = c.id AND x.at_us >= %s AND x.at_us < %s)
                        ORDER BY opened_us, id LIMIT %s
                    ) AS page
                    JOIN {s}.events AS e ON e.tenant = %s AND e.case_id = page.id
                    ORDER BY page.opened_us, page.id, e.version
                    """,
                    (self._tenant, high, *after, low, high, PAGE, self._tenant),
                )
            )
            yield from cases
            if len(cases) < PAGE:
                return
            after = (us(cases[-1].opened_at), cases[-1].id)
