"""Customers and the handles linked to them (the CustomerStorage role): reading them, and
committing customer changes with their versions and handles checked.
"""

from __future__ import annotations

from collections.abc import Sequence

from closedloop.adapters.common import check_customer_batch, check_key
from closedloop.adapters.postgres.connection import PostgresBase
from closedloop.adapters.rows import dump_json, load_customer_body
from closedloop.codec import dump_customer
from closedloop.domain.change import CustomerChange
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import ConcurrencyError, CustomerNotFoundError, HandleTakenError

__all__ = ["PostgresCustomerStorage"]


class PostgresCustomerStorage(PostgresBase):
    """The customers of a :class:`PostgresStore`."""

    def customer(self, customer_id: str) -> Customer:
        """The customer with this id; raises :class:`~closedloop.CustomerNotFoundError`."""
        check_key("customer_id", customer_id)
        rows = self._read(
            f"SELECT body FROM {self._s}.customers WHERE tenant = %s AND id = %s",
            (self._tenant, customer_id),
        )
        if not rows:
            raise CustomerNotFoundError(customer_id)
        return load_customer_body(rows[0][0], customer_id)

    def customer_of(self, handle: str) -> Customer | None:
        """The customer ``handle`` is linked to, or None."""
        check_key("handle", handle)
        s = self._s
        rows = self._read(
            f"SELECT c.body FROM {s}.customer_handles h JOIN {s}.customers c"
            " ON c.tenant = h.tenant AND c.id = h.customer_id"
            " WHERE h.tenant = %s AND h.handle = %s",
            (self._tenant, handle),
        )
        return load_customer_body(rows[0][0]) if rows else None

    def commit_customers(self, changes: Sequence[CustomerChange]) -> None:
        """Store every customer change, all or none (versions and handles checked)."""
        check_customer_batch(changes)
        s, t = self._s, self._tenant
        ids = [c.customer.id for c in changes]
        with self._tx() as cur:
            found = dict(
                cur.execute(
                    f"SELECT id, version FROM {s}.customers WHERE tenant = %s AND id = ANY(%b)"
                    " ORDER BY id FOR UPDATE",
                    (t, ids),
                ).fetchall()
            )
            for change in changes:
                actual = found.get(change.customer.id)
                if (actual or 0) != change.expected_version:
                    raise ConcurrencyError(
                        change.customer.id, change.expected_version, actual, record="customer"
                    )
            handles = [h for c in changes for h in c.customer.handles]
            taken = cur.execute(
                f"SELECT handle, customer_id FROM {s}.customer_handles WHERE tenant = %s"
                " AND handle = ANY(%b) AND NOT (customer_id = ANY(%b)) ORDER BY handle",
                (t, handles, ids),
            ).fetchall()
            if taken:
                raise HandleTakenError(taken[0][0], taken[0][1])
            cur.execute(
                f"DELETE FROM {s}.customer_handles WHERE tenant = %s AND customer_id = ANY(%b)",
                (t, ids),
            )
            for change in changes:
                c = change.customer
                cur.execute(
                    f"INSERT INTO {s}.customers (tenant, id, version, body)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT (tenant, id) DO UPDATE SET"
                    " version = excluded.version, body = excluded.body",
                    (t, c.id, c.version, dump_json(dump_customer(c))),
                )
                try:
                    cur.executemany(
                        f"INSERT INTO {s}.customer_handles (tenant, handle, customer_id)"
                        " VALUES (%s, %s, %s)",
                        [(t, h, c.id) for h in sorted(c.handles)],
                    )
                except self._shared.psycopg.errors.UniqueViolation:
                    # Another writer linked one of these handles since we looked.
                    raise HandleTakenError(", ".join(sorted(c.handles)), "another") from None
