"""Erasing a customer (the ErasureStorage role): their details out of every case, invitation,
outbox message and customer record that names them, in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from closedloop.adapters.common import erased_customers
from closedloop.adapters.postgres.connection import PostgresBase
from closedloop.adapters.postgres.outbox import OUTBOX_COLUMNS
from closedloop.adapters.postgres.reports import write_facts
from closedloop.adapters.postgres.search import write_case_search
from closedloop.adapters.read_model import rows_for
from closedloop.adapters.rows import (
    dump_json,
    load_customer_body,
    load_invitation_body,
    load_message,
    message_state,
    other_authors,
    replay,
    us,
)
from closedloop.codec import dump_customer, dump_event, dump_invitation, dump_snapshot
from closedloop.domain.checks import require_aware
from closedloop.domain.customers.erasure import Erasure
from closedloop.domain.customers.identity import Customer

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresErasureStorage"]


class PostgresErasureStorage(PostgresBase):
    """The erasure of a :class:`PostgresStore`."""

    def erase(self, erasure: Erasure, at: datetime) -> int:
        """Remove a customer's details from every record that names them (see the
        protocol), in one transaction. PostgreSQL keeps the old row versions until
        ``VACUUM`` reclaims them: run it (or let autovacuum) after erasing."""
        require_aware("at", at)
        s, t, handles = self._s, self._tenant, sorted(erasure.handles)
        with self._tx() as cur:
            theirs = [
                row[0]
                for row in cur.execute(
                    f"SELECT id FROM {s}.cases WHERE tenant = %s AND customer = ANY(%b)",
                    (t, handles),
                ).fetchall()
            ]
            held = cur.execute(
                f"SELECT case_id FROM {s}.case_authors WHERE tenant = %s AND handle = ANY(%b)",
                (t, handles),
            ).fetchall()
            cases = sorted({*theirs, *(row[0] for row in held)})
            cur.execute(
                f"SELECT id FROM {s}.cases WHERE tenant = %s AND id = ANY(%b)"
                " ORDER BY id FOR UPDATE",
                (t, cases),
            )
            for case_id in cases:
                self._erase_case(cur, erasure, case_id, at)
            invitations = [
                load_invitation_body(body)
                for (body,) in cur.execute(
                    f"SELECT body FROM {s}.invitations WHERE tenant = %s AND customer = ANY(%b)"
                    " ORDER BY id FOR UPDATE",
                    (t, handles),
                ).fetchall()
            ]
            for invitation in invitations:
                i = erasure.invitation(invitation, at)
                answered = None if i.response is None else us(i.response.received_at)
                cur.execute(
                    f"UPDATE {s}.invitations SET customer = %s, version = %s, due_us = %s,"
                    " answered_us = %s, body = %s WHERE tenant = %s AND id = %s",
                    (i.customer, i.version, None if i.due_at is None else us(i.due_at),
                     answered, dump_json(dump_invitation(i)), t, i.id),
                )  # fmt: skip
            rows = cur.execute(
                f"SELECT {OUTBOX_COLUMNS} FROM {s}.outbox WHERE tenant = %s"
                " AND (case_id = ANY(%b) OR recipient = ANY(%b)) ORDER BY key FOR UPDATE",
                (t, theirs, handles),
            ).fetchall()
            for row in rows:
                m = erasure.message(load_message(row))
                cur.execute(
                    f"UPDATE {s}.outbox SET status = %s, next_attempt_us = %s,"
                    " next_attempt_at = %s, last_error = %s, body = %s, recipient = %s"
                    " WHERE tenant = %s AND key = %s",
                    (*message_state(m, t)[:5], m.notification.to, t, m.key),
                )
            read, owner = self._readers(cur)
            people = erased_customers(erasure, at, read, owner)
            for key, _ in people:
                cur.execute(f"DELETE FROM {s}.customers WHERE tenant = %s AND id = %s", (t, key))
                cur.execute(
                    f"DELETE FROM {s}.customer_handles WHERE tenant = %s AND customer_id = %s",
                    (t, key),
                )
            for _, person in people:
                cur.execute(
                    f"INSERT INTO {s}.customers (tenant, id, version, body)"
                    " VALUES (%s, %s, %s, %s)",
                    (t, person.id, person.version, dump_json(dump_customer(person))),
                )
                cur.executemany(
                    f"INSERT INTO {s}.customer_handles (tenant, handle, customer_id)"
                    " VALUES (%s, %s, %s)",
                    [(t, h, person.id) for h in sorted(person.handles)],
                )
        return len(cases) + len(invitations) + len(rows) + len(people)

    def _erase_case(
        self, cur: psycopg.Cursor[Any], erasure: Erasure, case_id: str, at: datetime
    ) -> None:
        """Rewrite one case: its events, columns, external ids of hers and other authors."""
        s, t = self._s, self._tenant
        bodies = cur.execute(
            f"SELECT body FROM {s}.events WHERE tenant = %s AND case_id = %s ORDER BY version",
            (t, case_id),
        ).fetchall()
        before = replay(b for (b,) in bodies)
        case = erasure.case(before, at)
        cur.execute(f"DELETE FROM {s}.events WHERE tenant = %s AND case_id = %s", (t, case_id))
        cur.executemany(
            f"INSERT INTO {s}.events (tenant, case_id, version, type, at_us, body)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (t, case_id, e.version, type(e).__name__, us(e.at), dump_json(dump_event(e)))
                for e in case.events
            ],
        )
        cur.execute(
            f"UPDATE {s}.cases SET customer = %s, version = %s, snapshot = %s"
            " WHERE tenant = %s AND id = %s",
            (case.customer, case.version, dump_json(dump_snapshot(case)), t, case_id),
        )
        write_facts(cur, s, t, [(case_id, rows_for(t, case, None), False)])  # no text kept
        write_case_search(cur, s, t, case)  # the customer's pseudonym; RAG instants stay
        cur.executemany(
            f"UPDATE {s}.external_ids SET external_id = %s "
            "WHERE tenant = %s AND external_id = %s AND case_id = %s",
            [(new, t, old, case_id) for old, new in erasure.external_ids(before).items()],
        )
        cur.execute(
            f"DELETE FROM {s}.case_authors WHERE tenant = %s AND case_id = %s", (t, case_id)
        )
        cur.executemany(
            f"INSERT INTO {s}.case_authors (tenant, handle, case_id) VALUES (%s, %s, %s)",
            [(t, h, case_id) for h in other_authors(case)],
        )

    def _readers(
        self, cur: psycopg.Cursor[Any]
    ) -> tuple[Callable[[str], Customer | None], Callable[[str], Customer | None]]:
        """Reading a customer by id, and by handle, in the erasure's transaction."""
        s, t = self._s, self._tenant

        def read(key: str) -> Customer | None:
            row = cur.execute(
                f"SELECT body FROM {s}.customers WHERE tenant = %s AND id = %s FOR UPDATE",
                (t, key),
            ).fetchone()
            return None if row is None else load_customer_body(row[0])

        def owner(handle: str) -> Customer | None:
            row = cur.execute(
                f"SELECT customer_id FROM {s}.customer_handles WHERE tenant = %s AND handle = %s",
                (t, handle),
            ).fetchone()
            return None if row is None else read(row[0])

        return read, owner
