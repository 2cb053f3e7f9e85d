"""The operations roles (HealthStorage, StoreOverview) in PostgreSQL: the health figures in
one statement of subqueries, each served by a partial index, and the tenants by skipping
through primary keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from closedloop.adapters.common import check_instant
from closedloop.adapters.postgres.connection import PostgresBase
from closedloop.adapters.rows import from_us, us
from closedloop.domain.health import HealthFigures
from closedloop.domain.outbox.messages import WITHHELD

__all__ = [
    "ACTIVITY_QUERY",
    "HEALTH_QUERY",
    "TENANT_TABLES",
    "UNANSWERED_QUERY",
    "PostgresOperations",
]

#: A message's ``deliver_after`` in microseconds (its text without a ``[Zone/Name]``), or NULL.
_HELD_US = (
    "(extract(epoch FROM split_part(body::jsonb ->> 'deliver_after', '[', 1)::timestamptz)"
    " * 1000000)::bigint"
)

#: The figures of one tenant (``%(t)s``) at ``%(now)s``, ``{s}`` the schema: each subquery
#: is served by one partial index (``tests/adapters/test_health_plans.py`` checks them).
HEALTH_QUERY = f"""
SELECT
    (SELECT count(*) FROM {{s}}.outbox WHERE tenant = %(t)s AND status = 'pending'),
    (SELECT min(next_attempt_us) FROM {{s}}.outbox WHERE tenant = %(t)s AND status = 'pending'),
    (SELECT count(*) FROM {{s}}.outbox WHERE tenant = %(t)s AND status = 'dead'
        AND (last_error IS NULL OR left(last_error, {len(WITHHELD)}) <> '{WITHHELD}')),
    (SELECT count(*) FROM {{s}}.cases
        WHERE tenant = %(t)s AND due_us IS NOT NULL AND due_us < %(now)s),
    (SELECT min(due_us) FROM {{s}}.cases
        WHERE tenant = %(t)s AND due_us IS NOT NULL AND due_us < %(now)s),
    (SELECT count(*) FROM {{s}}.outbox WHERE tenant = %(t)s AND status = 'pending'
        AND attempts > 0),
    (SELECT min(coalesce({_HELD_US}, created_us)) FROM {{s}}.outbox
        WHERE tenant = %(t)s AND status = 'pending' AND attempts > 0)
"""

#: The oldest unanswered case of one tenant.
UNANSWERED_QUERY = """
SELECT id, opened_us FROM {s}.cases WHERE tenant = %(t)s AND NOT acknowledged AND NOT closed
ORDER BY opened_us, id LIMIT 1
"""

#: The first opening and the last event of a tenant's cases.
ACTIVITY_QUERY = """
SELECT (SELECT min(opened_us) FROM {s}.cases WHERE tenant = %(t)s),
       (SELECT max(at_us) FROM {s}.events WHERE tenant = %(t)s)
"""

#: The tables whose rows name a tenant, each with the tenant first in its primary key.
TENANT_TABLES = ("cases", "invitations", "customers", "outbox")

_TENANTS = """
WITH RECURSIVE seen(tenant) AS (
    SELECT (SELECT min(tenant) FROM {s}.{table})
    UNION ALL
    SELECT (SELECT min(tenant) FROM {s}.{table} WHERE tenant > seen.tenant)
    FROM seen WHERE seen.tenant IS NOT NULL
)
SELECT tenant FROM seen WHERE tenant IS NOT NULL
"""


class PostgresOperations(PostgresBase):
    """Counts read from the indexes, never from the records."""

    def health_figures(self, now: datetime) -> HealthFigures:
        """The health figures of this tenant at ``now``, in one transaction."""
        at = us(check_instant("now", now))
        params = {"t": self._tenant, "now": at}
        with self._tx() as cur:
            ((backlog, overdue, dead, due, due_us, retrying, first_due),) = cur.execute(
                HEALTH_QUERY.format(s=self._s), params
            ).fetchall()
            unanswered = cur.execute(UNANSWERED_QUERY.format(s=self._s), params).fetchone()
        return HealthFigures(
            outbox_backlog=backlog,
            outbox_overdue_since=None if overdue is None or overdue > at else from_us(overdue),
            dead_letters=dead,
            oldest_unanswered=unanswered[0] if unanswered else None,
            oldest_unanswered_at=from_us(unanswered[1]) if unanswered else None,
            cases_due=due,
            due_since=from_us(due_us) if due_us is not None else None,
            outbox_retrying=retrying,
            retrying_since=None if first_due is None else from_us(first_due),
        )

    def activity(self) -> tuple[datetime, datetime] | None:
        """The earliest opening and the latest event of this tenant's cases, each one step
        down an index (``cases_opened``, ``events_at``)."""
        with self._tx() as cur:
            sql = ACTIVITY_QUERY.format(s=self._s)
            ((first, last),) = cur.execute(sql, {"t": self._tenant}).fetchall()
        return None if first is None or last is None else (from_us(first), from_us(last))

    def tenants(self) -> Sequence[str]:
        """Every tenant holding a case, an invitation, a customer or an outbox message, in
        code-point order: a skip through each table's primary key, a step per tenant."""
        found: set[str] = set()
        with self._tx() as cur:
            for table in TENANT_TABLES:
                sql = _TENANTS.format(s=self._s, table=table)
                found.update(row[0] for row in cur.execute(sql).fetchall())
        return sorted(found)
