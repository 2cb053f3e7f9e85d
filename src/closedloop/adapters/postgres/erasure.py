"""Erasing a customer (the ErasureStorage role): their details out of every case, invitation,
outbox message and customer record that holds them, in one transaction.
"""

from __future__ import annotations

from datetime import datetime

from closedloop.adapters.common import erased_message
from closedloop.adapters.postgres.connection import PostgresBase
from closedloop.adapters.postgres.outbox import OUTBOX_COLUMNS
from closedloop.adapters.rows import (
    dump_json,
    load_customer_body,
    load_invitation_body,
    load_message,
    message_state,
    replay,
    us,
)
from closedloop.codec import dump_customer, dump_event, dump_invitation
from closedloop.domain.checks import require_aware
from closedloop.domain.customers.erasure import Erasure

__all__ = ["PostgresErasureStorage"]


class PostgresErasureStorage(PostgresBase):
    """The erasure of a :class:`PostgresStore`."""

    def erase(self, erasure: Erasure, at: datetime) -> int:
        """Remove a customer's details from every record (see the protocol), in one
        transaction. PostgreSQL keeps the old row versions until ``VACUUM`` reclaims them:
        run it (or let autovacuum) after erasing."""
        require_aware("at", at)
        s, t, handles = self._s, self._tenant, sorted(erasure.handles)
        with self._tx() as cur:
            case_ids = [
                row[0]
                for row in cur.execute(
                    f"SELECT id FROM {s}.cases WHERE tenant = %s AND customer = ANY(%s) FOR UPDATE",
                    (t, handles),
                ).fetchall()
            ]
            for case_id in case_ids:
                bodies = cur.execute(
                    f"SELECT body FROM {s}.events WHERE tenant = %s AND case_id = %s"
                    " ORDER BY version",
                    (t, case_id),
                ).fetchall()
                case = erasure.case(replay(b for (b,) in bodies), at)
                cur.execute(
                    f"DELETE FROM {s}.events WHERE tenant = %s AND case_id = %s", (t, case_id)
                )
                cur.executemany(
                    f"INSERT INTO {s}.events (tenant, case_id, version, type, at_us, body)"
                    " VALUES (%s, %s, %s, %s, %s, %s)",
                    [
                        (t, case_id, e.version, type(e).__name__, us(e.at),
                         dump_json(dump_event(e)))
                        for e in case.events
                    ],
                )  # fmt: skip
                cur.execute(
                    f"UPDATE {s}.cases SET customer = %s, version = %s WHERE tenant = %s"
                    " AND id = %s",
                    (erasure.pseudonym, case.version, t, case_id),
                )
                old = cur.execute(
                    f"DELETE FROM {s}.external_ids WHERE tenant = %s AND case_id = %s"
                    " RETURNING external_id",
                    (t, case_id),
                ).fetchall()
                if old:
                    cur.executemany(
                        f"INSERT INTO {s}.external_ids (tenant, external_id, case_id)"
                        " VALUES (%s, %s, %s)",
                        [(t, erasure.external_id(x), case_id) for (x,) in old],
                    )
            invitations = [
                load_invitation_body(body)
                for (body,) in cur.execute(
                    f"SELECT body FROM {s}.invitations WHERE tenant = %s AND customer = ANY(%s)"
                    " FOR UPDATE",
                    (t, handles),
                ).fetchall()
            ]
            for invitation in invitations:
                cleaned = erasure.invitation(invitation)
                cur.execute(
                    f"UPDATE {s}.invitations SET customer = %s, version = %s, body = %s"
                    " WHERE tenant = %s AND id = %s",
                    (erasure.pseudonym, cleaned.version, dump_json(dump_invitation(cleaned)),
                     t, invitation.id),
                )  # fmt: skip
            rows = cur.execute(
                f"SELECT {OUTBOX_COLUMNS} FROM {s}.outbox WHERE tenant = %s AND"
                " (case_id = ANY(%s) OR EXISTS (SELECT 1 FROM unnest(%s::text[]) AS h"
                " WHERE strpos(body, h) > 0)) FOR UPDATE",
                (t, case_ids, handles),
            ).fetchall()
            for row in rows:
                m = erased_message(load_message(row), erasure)
                cur.execute(
                    f"UPDATE {s}.outbox SET status = %s, next_attempt_us = %s,"
                    " next_attempt_at = %s, last_error = %s, body = %s"
                    " WHERE tenant = %s AND key = %s",
                    message_state(m, t),
                )
            owners = cur.execute(
                f"SELECT c.id, c.body FROM {s}.customers c WHERE c.tenant = %s AND c.id IN"
                f" (SELECT customer_id FROM {s}.customer_handles WHERE tenant = %s"
                " AND handle = ANY(%s)) ORDER BY c.id FOR UPDATE",
                (t, t, handles),
            ).fetchall()
            for owner, body in owners:
                person = erasure.customer(load_customer_body(body))
                cur.execute(
                    f"UPDATE {s}.customers SET version = %s, body = %s"
                    " WHERE tenant = %s AND id = %s",
                    (person.version, dump_json(dump_customer(person)), t, owner),
                )
                cur.execute(
                    f"DELETE FROM {s}.customer_handles WHERE tenant = %s AND customer_id = %s",
                    (t, owner),
                )
                cur.executemany(
                    f"INSERT INTO {s}.customer_handles (tenant, handle, customer_id)"
                    " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    [(t, h, owner) for h in sorted(person.handles)],
                )
        return len(case_ids) + len(invitations) + len(rows) + len(owners)
