"""The operations roles (HealthStorage, StoreOverview) in SQLite: the health figures in one
statement, each from a partial index, and the tenants by skipping through primary keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from closedloop.adapters.common import check_instant
from closedloop.adapters.rows import from_us, us
from closedloop.adapters.sqlite.connection import TenantView
from closedloop.codec import load_datetime
from closedloop.domain.health import HealthFigures
from closedloop.domain.outbox.messages import WITHHELD

__all__ = ["ACTIVITY_QUERIES", "HEALTH_QUERIES", "TENANT_TABLES", "SQLiteOperations"]

#: Each figure's query, by name, with ``?`` for the tenant (and ``now``): each is served by
#: one partial index (``tests/adapters/test_health_plans.py`` checks the plans).
HEALTH_QUERIES = {
    "outbox_backlog": "SELECT count(*) FROM outbox WHERE tenant = ? AND status = 'pending'",
    "outbox_overdue": (
        "SELECT min(next_attempt_us) FROM outbox WHERE tenant = ? AND status = 'pending'"
    ),
    # The retrying messages (a failed delivery, pending again): their count, and the earliest
    # creation of those not held (``deliver_after``, read from the row) ...
    "outbox_retrying": (
        "SELECT count(*), min(CASE WHEN json_extract(body, '$.deliver_after') IS NULL"
        " THEN created_us END) FROM outbox"
        " WHERE tenant = ? AND status = 'pending' AND attempts > 0"
    ),
    # ... and the times the held ones were held until, which the caller reads as instants.
    "retrying_held": (
        "SELECT json_extract(body, '$.deliver_after') FROM outbox"
        " WHERE tenant = ? AND status = 'pending' AND attempts > 0"
        " AND json_extract(body, '$.deliver_after') IS NOT NULL"
    ),
    # Without statistics SQLite would pick a wider index of the tenant's rows for these two.
    "dead_letters": (
        "SELECT count(*) FROM outbox INDEXED BY outbox_dead WHERE tenant = ? AND status = 'dead'"
        f" AND (last_error IS NULL OR substr(last_error, 1, {len(WITHHELD)}) != '{WITHHELD}')"
    ),
    "oldest_unanswered": (
        "SELECT id, opened_us FROM cases INDEXED BY cases_unanswered"
        " WHERE tenant = ? AND acknowledged = 0 AND closed = 0"
        " ORDER BY opened_us, id LIMIT 1"
    ),
    "cases_due": (
        "SELECT count(*), min(due_us) FROM cases"
        " WHERE tenant = ? AND due_us IS NOT NULL AND due_us < ?"
    ),
}

#: The first opening and the last event of a tenant's cases.
ACTIVITY_QUERIES = (
    "SELECT min(opened_us) FROM cases WHERE tenant = ?",
    "SELECT max(at_us) FROM events WHERE tenant = ?",
)

#: The tables whose rows name a tenant, each with the tenant first in its primary key.
TENANT_TABLES = ("cases", "invitations", "customers", "outbox")

_TENANTS = """
WITH RECURSIVE seen(tenant) AS (
    SELECT (SELECT min(tenant) FROM {table})
    UNION ALL
    SELECT (SELECT min(tenant) FROM {table} WHERE tenant > seen.tenant)
    FROM seen WHERE seen.tenant IS NOT NULL
)
SELECT tenant FROM seen WHERE tenant IS NOT NULL
"""


class SQLiteOperations(TenantView):
    """Counts read from the indexes, never from the records."""

    def health_figures(self, now: datetime) -> HealthFigures:
        """The health figures of this tenant at ``now``."""
        at = us(check_instant("now", now))
        t = self._tenant
        q = HEALTH_QUERIES
        ((backlog,),) = self._read(q["outbox_backlog"], (t,))
        ((overdue,),) = self._read(q["outbox_overdue"], (t,))
        ((dead,),) = self._read(q["dead_letters"], (t,))
        unanswered = self._read(q["oldest_unanswered"], (t,))
        ((due, due_us),) = self._read(q["cases_due"], (t, at))
        ((retrying, made_us),) = self._read(q["outbox_retrying"], (t,))
        held = [us(load_datetime(text)) for (text,) in self._read(q["retrying_held"], (t,))]
        first_due = min([*held, *([] if made_us is None else [made_us])], default=None)
        return HealthFigures(
            outbox_backlog=backlog,
            outbox_overdue_since=None if overdue is None or overdue > at else from_us(overdue),
            dead_letters=dead,
            oldest_unanswered=unanswered[0][0] if unanswered else None,
            oldest_unanswered_at=from_us(unanswered[0][1]) if unanswered else None,
            cases_due=due,
            due_since=from_us(due_us) if due_us is not None else None,
            outbox_retrying=retrying,
            retrying_since=None if first_due is None else from_us(first_due),
        )

    def activity(self) -> tuple[datetime, datetime] | None:
        """The earliest opening and the latest event of this tenant's cases, each one step
        down an index (``cases_opened``, ``events_at``)."""
        ((first,),) = self._read(ACTIVITY_QUERIES[0], (self._tenant,))
        ((last,),) = self._read(ACTIVITY_QUERIES[1], (self._tenant,))
        return None if first is None or last is None else (from_us(first), from_us(last))

    def tenants(self) -> Sequence[str]:
        """Every tenant holding a case, an invitation, a customer or an outbox message, in
        code-point order: a skip through each table's primary key, a step per tenant."""
        found: set[str] = set()
        for table in TENANT_TABLES:
            found.update(row[0] for row in self._read(_TENANTS.format(table=table), ()))
        return sorted(found)
