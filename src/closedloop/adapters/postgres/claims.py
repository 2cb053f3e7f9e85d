"""Claiming due cases (the optional ClaimsDueCases role): each case handed out is leased to
one worker, so several sweepers share the work without overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from closedloop.adapters.common import check_instant, check_lease, check_limit
from closedloop.adapters.postgres.connection import PostgresBase
from closedloop.adapters.rows import from_us, us
from closedloop.domain.cases.due import DueCase

__all__ = ["PostgresDueClaims"]


class PostgresDueClaims(PostgresBase):
    """The due-case claims of a :class:`PostgresStore`."""

    def claim_due(
        self, now: datetime, limit: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> Sequence[DueCase]:
        """Like :meth:`due` (due before ``now``), but each case returned is claimed until
        ``now + lease``, or until the case is next committed: other workers' claims skip
        it (``FOR UPDATE SKIP LOCKED``), so several sweepers share the work without
        overlap."""
        check_limit(limit)
        now, _ = check_instant("now", now), check_lease(lease)
        at = us(now)
        s = self._s
        rows = self._read(
            f"""
            WITH picked AS (
                SELECT id FROM {s}.cases
                WHERE tenant = %s AND due_us IS NOT NULL AND due_us < %s
                  AND (claimed_until_us IS NULL OR claimed_until_us <= %s)
                ORDER BY due_us, id LIMIT %s FOR UPDATE SKIP LOCKED
            )
            UPDATE {s}.cases AS c SET claimed_until_us = %s FROM picked
            WHERE c.tenant = %s AND c.id = picked.id
            RETURNING c.id, c.due_us, c.version
            """,
            (self._tenant, at, at, limit, us(now + lease), self._tenant),
        )
        rows.sort(key=lambda row: (row[1], row[0]))
        return [DueCase(case_id, from_us(due_us), version) for case_id, due_us, version in rows]
