"""Customers (the CustomerStorage role): reading one by id or by handle, and committing
customer changes with the handles each holds."""

from __future__ import annotations

from collections.abc import Sequence

from closedloop.adapters.common import check_customer_batch, check_key
from closedloop.adapters.rows import dump_json, load_customer_body
from closedloop.adapters.sqlite.connection import TenantView
from closedloop.codec import dump_customer
from closedloop.domain.change import CustomerChange
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import ConcurrencyError, CustomerNotFoundError, HandleTakenError

__all__ = ["SQLiteCustomerStorage"]


class SQLiteCustomerStorage(TenantView):
    """The customer reads, and :meth:`commit_customers` in one transaction."""

    def customer(self, customer_id: str) -> Customer:
        """The customer with this id; raises :class:`~closedloop.CustomerNotFoundError`."""
        check_key("customer_id", customer_id)
        rows = self._read(
            "SELECT body FROM customers WHERE tenant = ? AND id = ?", (self._tenant, customer_id)
        )
        if not rows:
            raise CustomerNotFoundError(customer_id)
        return load_customer_body(rows[0][0], customer_id)

    def customer_of(self, handle: str) -> Customer | None:
        """The customer ``handle`` is linked to, or None."""
        check_key("handle", handle)
        rows = self._read(
            "SELECT c.body FROM customer_handles h JOIN customers c"
            " ON c.tenant = h.tenant AND c.id = h.customer_id"
            " WHERE h.tenant = ? AND h.handle = ?",
            (self._tenant, handle),
        )
        return load_customer_body(rows[0][0]) if rows else None

    def commit_customers(self, changes: Sequence[CustomerChange]) -> None:
        """Store every customer change, all or none (versions and handles checked)."""
        check_customer_batch(changes)
        t = self._tenant
        with self._write() as db:
            for change in changes:
                row = db.execute(
                    "SELECT version FROM customers WHERE tenant = ? AND id = ?",
                    (t, change.customer.id),
                ).fetchone()
                actual = None if row is None else row[0]
                if (actual or 0) != change.expected_version:
                    raise ConcurrencyError(
                        change.customer.id, change.expected_version, actual, record="customer"
                    )
            ids = [c.customer.id for c in changes]
            for change in changes:
                for handle in change.customer.handles:
                    row = db.execute(
                        "SELECT customer_id FROM customer_handles WHERE tenant = ? AND handle = ?",
                        (t, handle),
                    ).fetchone()
                    if row is not None and row[0] not in ids:
                        raise HandleTakenError(handle, row[0])
            for change in changes:
                c = change.customer
                db.execute(
                    "DELETE FROM customer_handles WHERE tenant = ? AND customer_id = ?", (t, c.id)
                )
                db.execute(
                    "INSERT INTO customers (tenant, id, version, body) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (tenant, id) DO UPDATE SET version = excluded.version,"
                    " body = excluded.body",
                    (t, c.id, c.version, dump_json(dump_customer(c))),
                )
            for change in changes:
                db.executemany(
                    "INSERT INTO customer_handles (tenant, handle, customer_id) VALUES (?, ?, ?)",
                    [(t, h, change.customer.id) for h in sorted(change.customer.handles)],
                )
