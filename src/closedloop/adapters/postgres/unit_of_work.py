"""Committing changes (the UnitOfWork role): a batch of case and invitation changes and the
notifications they queue, in one transaction whose version checks the database makes.
The role's ``tenant`` and ``for_tenant`` are PostgresStore's own, beside its constructor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from closedloop.adapters.common import check_batch, split_batch
from closedloop.adapters.postgres.agents_schema import write_owners
from closedloop.adapters.postgres.connection import PostgresBase
from closedloop.adapters.postgres.reports import write_facts
from closedloop.adapters.postgres.search import write_labels
from closedloop.adapters.read_model import rows_for
from closedloop.adapters.rows import dump_json, new_external_ids, other_authors, snapshot_json, us
from closedloop.adapters.search import FIND_COLUMNS, rag_columns, search_columns
from closedloop.codec import (
    dump_datetime,
    dump_event,
    dump_invitation,
    dump_notification,
)
from closedloop.domain.cases.events import Escalated
from closedloop.domain.change import Change, InvitationChange, Write
from closedloop.domain.errors import ConcurrencyError, DuplicateExternalIdError
from closedloop.domain.outbox.notification import Notification

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresUnitOfWork"]

#: The search columns written with each case (closedloop.adapters.search), their types.
_FIND_COLUMNS = (*FIND_COLUMNS, "amber_us", "due_key")
_FIND = ", ".join(_FIND_COLUMNS)
_FIND_TYPES = (
    "%b::text[], %b::text[], %b::integer[], %b::text[], %b::text[], %b::bigint[], %b::text[],"
    " %b::text[], %b::bigint[], %b::bigint[]"
)
#: A batch, its case and invitation changes, and its cases' columns (``_state``).
_Prepared = tuple[Sequence[Write], list[Change], list[InvitationChange], tuple[list[Any], ...]]

# Up to this many rows go as plain statements; more go as one statement over arrays, sent
# in binary (%b): text arrays in text format cost an escaping pass over every JSON body.
_FEW = 4


class PostgresUnitOfWork(PostgresBase):
    """The commits of a :class:`PostgresStore`."""

    def commit(self, change: Write) -> None:
        """Store the change if the record is at ``change.expected_version``, else raise
        :class:`~closedloop.ConcurrencyError`; all of it or nothing."""
        check_batch((change,), "change")
        self.commit_many((change,))

    def commit_many(self, changes: Sequence[Write]) -> None:
        """Commit several changes in one transaction: all or none. A batch costs a handful
        of statements, however many cases it holds (``unnest`` over arrays)."""
        check_batch(changes)
        if not changes:
            return
        prepared = self._prepared(changes)
        with self._tx(pipelined=True) as cur:
            self._commit_in(cur, prepared)

    def _prepared(self, changes: Sequence[Write]) -> _Prepared:
        """A batch split by kind, with its cases' columns, worked out before the
        transaction: a case read from the store may read its history for these."""
        case_changes, invitation_changes = split_batch(changes)
        return changes, case_changes, invitation_changes, _state(case_changes)

    def _commit_in(self, cur: psycopg.Cursor[Any], prepared: _Prepared) -> None:
        """The body of :meth:`commit_many`, in the caller's transaction."""
        changes, case_changes, invitation_changes, state = prepared
        for change in invitation_changes:
            self._put_invitation(cur, change)
        if case_changes:
            self._put_cases(cur, case_changes, state)
            write_owners(cur, self._s, self._tenant, case_changes)
        notes = [n for c in changes for n in c.notifications]
        if notes:
            self._queue(cur, notes)

    def _queue(self, cur: psycopg.Cursor[Any], notes: list[Notification]) -> None:
        columns = (
            [n.key for n in notes],
            [n.case_id for n in notes],
            [n.to for n in notes],
            [us(n.ready_at) for n in notes],
            [dump_datetime(n.ready_at) for n in notes],
            [us(n.created_at) for n in notes],
            [dump_json(dump_notification(n)) for n in notes],
        )
        insert = (
            f"INSERT INTO {self._s}.outbox (tenant, key, case_id, recipient, status, attempts,"
            " next_attempt_us, next_attempt_at, created_us, body)"
        )
        if len(notes) <= _FEW:
            cur.executemany(
                insert + " VALUES (%s, %s, %s, %s, 'pending', 0, %s, %s, %s, %s)"
                " ON CONFLICT (tenant, key) DO NOTHING",
                [(self._tenant, *row) for row in zip(*columns, strict=True)],
            )
        else:
            cur.execute(
                insert + " SELECT %s, k, c, t, 'pending', 0, r, ra, cr, b FROM unnest("
                "%b::text[], %b::text[], %b::text[], %b::bigint[], %b::text[], %b::bigint[],"
                " %b::text[]) WITH ORDINALITY AS n(k, c, t, r, ra, cr, b, i)"
                " ORDER BY i"  # numbered (seq) in the batch's order: R7
                " ON CONFLICT (tenant, key) DO NOTHING",
                (self._tenant, *columns),
            )

    def _put_cases(
        self, cur: psycopg.Cursor[Any], changes: list[Change], state: tuple[list[Any], ...]
    ) -> None:
        """Write the cases of a batch (their columns in ``state``), then refuse it (rolled
        back) at the first change that does not hold, in batch order, as the in-memory
        reference does."""
        s, t = self._s, self._tenant
        cases = [c.case for c in changes]
        fresh = [i for i, c in enumerate(changes) if c.expected_version == 0]
        moved = [i for i, c in enumerate(changes) if c.expected_version > 0]
        written: set[str] = set()
        if len(changes) == 1:  # one step: plain statements cost the server less than arrays
            only = [column[0] for column in state]
            if fresh:
                cur.execute(
                    f"INSERT INTO {s}.cases (tenant, id, version, stage, due_us, acknowledged,"
                    f" closed, queue, queue_us, snapshot, {_FIND}, customer, opened_us)"
                    f" VALUES ({', '.join(['%s'] * (12 + len(_FIND_COLUMNS)))})"
                    " ON CONFLICT (tenant, id) DO NOTHING RETURNING id",
                    (t, *only, cases[0].customer, us(cases[0].opened_at)),
                )
            else:
                cur.execute(  # a commit ends a sweeper's claim: the case is due anew
                    f"UPDATE {s}.cases SET version = %s, stage = %s, due_us = %s,"
                    " claimed_until_us = NULL,"
                    " acknowledged = %s, closed = %s, queue = %s, queue_us = %s, snapshot = %s,"
                    f" {', '.join(f'{c} = %s' for c in _FIND_COLUMNS)}"
                    " WHERE tenant = %s AND id = %s AND version = %s RETURNING id",
                    (*only[1:], t, only[0], changes[0].expected_version),
                )
            written.update(r[0] for r in cur.fetchall())
            fresh = moved = []
        if fresh:
            cur.execute(
                f"INSERT INTO {s}.cases (tenant, id, version, stage, due_us, acknowledged,"
                f" closed, queue, queue_us, snapshot, {_FIND}, customer, opened_us) SELECT %s, *"
                " FROM unnest(%b::text[], %b::integer[], %b::text[], %b::bigint[], %b::boolean[],"
                f" %b::boolean[], %b::text[], %b::bigint[], %b::text[], {_FIND_TYPES},"
                " %b::text[], %b::bigint[])"
                " ON CONFLICT (tenant, id) DO NOTHING RETURNING id",
                (
                    t,
                    *([column[i] for i in fresh] for column in state),
                    [cases[i].customer for i in fresh],
                    [us(cases[i].opened_at) for i in fresh],
                ),
            )
            written.update(row[0] for row in cur.fetchall())
        if moved:
            cur.execute(
                f"UPDATE {s}.cases AS c SET version = u.version, stage = u.stage,"
                " due_us = u.due_us, claimed_until_us = NULL,"
                " acknowledged = u.acknowledged, closed = u.closed,"
                " queue = u.queue, queue_us = u.queue_us, snapshot = u.snapshot,"
                f" {', '.join(f'{c} = u.{c}' for c in _FIND_COLUMNS)}"
                " FROM unnest(%b::text[], %b::integer[], %b::text[], %b::bigint[],"
                " %b::boolean[], %b::boolean[], %b::text[], %b::bigint[], %b::text[],"
                f" {_FIND_TYPES}, %b::integer[])"
                " AS u(id, version, stage, due_us, acknowledged, closed, queue, queue_us,"
                f" snapshot, {_FIND}, expected)"
                " WHERE c.tenant = %s AND c.id = u.id AND c.version = u.expected RETURNING c.id",
                (
                    *([column[i] for i in moved] for column in state),
                    [changes[i].expected_version for i in moved],
                    t,
                ),
            )
            written.update(row[0] for row in cur.fetchall())
        owners = self._claim_external_ids(cur, changes)
        for change in changes:
            case = change.case
            if case.id not in written:
                row = cur.execute(
                    f"SELECT version FROM {s}.cases WHERE tenant = %s AND id = %s", (t, case.id)
                ).fetchone()
                actual = None if row is None else row[0]
                raise ConcurrencyError(case.id, change.expected_version, actual)
            for external_id in new_external_ids(change):
                if owners[external_id] != case.id:
                    raise DuplicateExternalIdError(case.id, external_id)
        events = [(c.case.id, e) for c in changes for e in c.events]
        columns = (
            [case_id for case_id, _ in events],
            [e.version for _, e in events],
            [type(e).__name__ for _, e in events],
            [us(e.at) for _, e in events],
            [dump_json(dump_event(e)) for _, e in events],
        )
        if len(events) <= _FEW:
            cur.executemany(
                f"INSERT INTO {s}.events (tenant, case_id, version, type, at_us, body)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [(t, *row) for row in zip(*columns, strict=True)],
            )
        else:
            cur.execute(
                f"INSERT INTO {s}.events (tenant, case_id, version, type, at_us, body)"
                " SELECT %s, * FROM unnest(%b::text[], %b::integer[], %b::text[],"
                " %b::bigint[], %b::text[])",
                (t, *columns),
            )
        authors = [(t, h, c.case.id) for c in changes for h in other_authors(c.case, c)]
        if authors:
            cur.executemany(
                f"INSERT INTO {s}.case_authors (tenant, handle, case_id) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                authors,
            )
        episodes = {c.case.id: c.case.reopen_count for c in changes}
        climbs = [
            (case_id, episodes[case_id], e.level, e.promise_id or "")
            for case_id, e in events
            if isinstance(e, Escalated)
        ]
        if climbs:
            added = cur.execute(
                f"INSERT INTO {s}.escalations (tenant, case_id, episode, level, promise_id)"
                " SELECT %s, * FROM unnest(%b::text[], %b::integer[], %b::integer[], %b::text[])"
                " ON CONFLICT DO NOTHING RETURNING case_id",
                (t, *(list(column) for column in zip(*climbs, strict=True))),
            ).fetchall()
            if len(added) < len(climbs):
                # The version check refuses a second escalation first; this key stops one
                # that slipped past it (a buggy caller, a hand-made change).
                raise ConcurrencyError(climbs[0][0], 0, None)
        facts = [
            (c.case.id, rows_for(t, c.case, c.facts), c.expected_version == 0) for c in changes
        ]
        write_facts(cur, s, t, facts)
        write_labels(cur, s, t, [c.case for c in changes])

    def _claim_external_ids(
        self, cur: psycopg.Cursor[Any], changes: list[Change]
    ) -> dict[str, str]:
        """Give each new external id to its case (the first claim wins) and return the
        owner of every one of them."""
        claims = [(x, c.case.id) for c in changes for x in new_external_ids(c)]
        if not claims:
            return {}
        s, t = self._s, self._tenant
        cur.execute(
            f"INSERT INTO {s}.external_ids (tenant, external_id, case_id)"
            " SELECT %s, * FROM unnest(%b::text[], %b::text[])"
            " ON CONFLICT (tenant, external_id) DO NOTHING",
            (t, [x for x, _ in claims], [case_id for _, case_id in claims]),
        )
        rows = cur.execute(
            f"SELECT external_id, case_id FROM {s}.external_ids"
            " WHERE tenant = %s AND external_id = ANY(%b)",
            (t, [x for x, _ in claims]),
        ).fetchall()
        return dict(rows)

    def _put_invitation(self, cur: psycopg.Cursor[Any], change: InvitationChange) -> None:
        s, t, i = self._s, self._tenant, change.invitation
        values = (
            i.version,
            None if i.due_at is None else us(i.due_at),
            None if i.response is None else us(i.response.received_at),
            dump_json(dump_invitation(i)),
        )
        if change.expected_version == 0:
            cur.execute(
                f"INSERT INTO {s}.invitations (version, due_us, answered_us, body, tenant, id,"
                " customer, created_us) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (tenant, id) DO NOTHING RETURNING id",
                (*values, t, i.id, i.customer, us(i.created_at)),
            )
        else:
            cur.execute(
                f"UPDATE {s}.invitations SET version = %s, due_us = %s, answered_us = %s,"
                " body = %s WHERE tenant = %s AND id = %s AND version = %s RETURNING id",
                (*values, t, i.id, change.expected_version),
            )
        if not cur.fetchall():  # read, not rowcount: in a pipeline it waits for the result
            row = cur.execute(
                f"SELECT version FROM {s}.invitations WHERE tenant = %s AND id = %s",
                (t, i.id),
            ).fetchone()
            raise ConcurrencyError(
                i.id, change.expected_version, None if row is None else row[0], record="invitation"
            )


def _state(changes: list[Change]) -> tuple[list[Any], ...]:
    """The ``cases`` columns of a batch, column by column: the snapshot, then the search
    columns (``_FIND``)."""
    cases = [c.case for c in changes]
    found = [(*search_columns(c.case), *rag_columns(c)) for c in changes]
    return (
        [c.id for c in cases],
        [c.version for c in cases],
        [c.stage.value for c in cases],
        [None if c.due_at is None else us(c.due_at) for c in cases],
        [c.acknowledged_at is not None for c in cases],
        [not c.is_active for c in cases],  # "closed": no steps left to take
        [None if c.queue is None else c.queue.value for c in cases],
        [None if c.queued_since is None else us(c.queued_since) for c in cases],
        [snapshot_json(c.case, c.kept) for c in changes],
        *([row[i] for row in found] for i in range(len(_FIND_COLUMNS))),
    )
