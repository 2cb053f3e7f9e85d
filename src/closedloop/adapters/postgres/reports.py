"""Reports' read model on PostgreSQL (the ReportStorage role): facts written with each
commit, period totals aggregated in SQL (see :mod:`closedloop.adapters.read_model`)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from closedloop.adapters.common import check_facts
from closedloop.adapters.postgres.connection import PostgresBase
from closedloop.adapters.read_model import (
    CHILD_TABLES,
    FACT_INSERTS,
    Read,
    Rows,
    fact_rows,
    marker_rows,
    report_totals,
)
from closedloop.adapters.read_model_lookups import attributions, unsettled_page
from closedloop.adapters.rows import group
from closedloop.domain.cases.case import Case
from closedloop.domain.reports.facts import Attribution, CaseFacts
from closedloop.domain.reports.totals import Totals

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresReportStorage", "write_facts"]

_PAGE = 500
_TABLE = re.compile(r"\b(FROM|INTO|JOIN) (case_facts|fact_\w+)")


def dialect(sql: str, s: str) -> str:
    """A shared statement for PostgreSQL: ``%s`` placeholders, tables in schema ``s``."""
    return _TABLE.sub(rf"\1 {s}.\2", sql).replace("?", "%s")


def write_facts(
    cur: psycopg.Cursor[Any], s: str, tenant: str,
    items: Sequence[tuple[str, tuple[Rows, ...], bool]],
) -> None:  # fmt: skip
    """Replace the facts of each (case id, its rows, new) (``new``: nothing to delete).
    PostgreSQL text cannot hold NUL: a case whose facts have one is marked missing instead
    (reports replay it)."""
    items = [(case_id, _storable(rows), new) for case_id, rows, new in items]
    stale = [case_id for case_id, _, new in items if not new]
    if stale:
        for table in ("case_facts", *CHILD_TABLES):
            cur.execute(
                f"DELETE FROM {s}.{table} WHERE tenant = %s AND case_id = ANY(%b)",
                (tenant, stale),
            )
    for n, sql in enumerate(FACT_INSERTS):
        rows = [row for _, table, _ in items for row in table[n]]
        if len(rows) > _FEW:  # one statement over arrays, in binary (as cases and events)
            cur.execute(_ARRAY_INSERTS[n].format(s=s), [list(c) for c in zip(*rows, strict=True)])
        elif rows:
            cur.executemany(dialect(sql, s), rows)


# Up to this many rows of a table go as plain statements, more as one over arrays.
_FEW = 4
#: The PostgreSQL type of each column of ``FACT_INSERTS``, in their order.
_TYPES = (
    "text text text bigint bigint integer text text text"
    + " integer" * 12
    + " text text text text text",
    "text text text bigint bigint integer text text text text text integer integer text text",
    "text text integer text bigint bigint bigint text text",
    "text text integer text bigint bigint integer integer integer",
    "text text integer text bigint bigint text text text text text",
    "text text text text bigint",
)


def _array_insert(sql: str, types: str) -> str:
    """``FACT_INSERTS``' statement ``sql`` as one insert over an array per column."""
    head = sql[: sql.index(" VALUES")]
    arrays = ", ".join(f"%b::{t}[]" for t in types.split())
    return _TABLE.sub(r"\1 {s}.\2", head) + f" SELECT * FROM unnest({arrays})"


_ARRAY_INSERTS = tuple(_array_insert(sql, t) for sql, t in zip(FACT_INSERTS, _TYPES, strict=True))


def _storable(rows: tuple[Rows, ...]) -> tuple[Rows, ...]:
    if not any(
        isinstance(value, str) and "\x00" in value
        for table in rows
        for row in table
        for value in row
    ):
        return rows
    tenant, case_id, _, opened_us, last_us, *_ = rows[0][0]
    assert isinstance(tenant, str)
    assert isinstance(case_id, str)
    assert isinstance(opened_us, int)
    assert isinstance(last_us, int)
    return marker_rows(tenant, case_id, opened_us, last_us)


class PostgresReportStorage(PostgresBase):
    """:meth:`report_totals`, :meth:`unsettled` and :meth:`put_facts`."""

    def report_totals(
        self, since: datetime, until: datetime, basis: str, *, oldest: int = 20,
        examples: int = 3,
    ) -> Totals:  # fmt: skip
        """The totals of ``[since, until)`` over the settled cases, and the ids of the
        others, in one snapshot."""
        with self._tx(snapshot=True) as cur:
            read = self._reader(cur)
            return report_totals(read, read, self._tenant, since, until, basis, oldest, examples)

    def unsettled(self, until: datetime, basis: str) -> Iterator[Case]:
        """Cases opened before ``until`` whose facts do not hold there, by opening then id,
        a page at a time."""
        after: tuple[int, str] = (-(2**62), "")
        while True:
            with self._tx() as cur:
                read = self._reader(cur)
                page = unsettled_page(read, self._tenant, until, basis, after, _PAGE)
                rows = cur.execute(
                    f"SELECT case_id, body FROM {self._s}.events"
                    " WHERE tenant = %s AND case_id = ANY(%b) ORDER BY case_id, version",
                    (self._tenant, [case_id for case_id, _ in page]),
                ).fetchall()
            found = {case.id: case for case in group(rows)}
            yield from (found[case_id] for case_id, _ in page if case_id in found)
            if len(page) < _PAGE:
                return
            after = page[-1][1], page[-1][0]

    def put_facts(self, facts: Sequence[CaseFacts]) -> int:
        """Store each of ``facts`` whose case is still at its version; how many were."""
        check_facts(facts)
        s, t = self._s, self._tenant
        with self._tx() as cur:
            # Each case's row locked until the facts are written, so that a commit to it
            # waits (and then writes its own); one a commit holds now is left to that commit.
            versions = dict(
                cur.execute(
                    f"SELECT id, version FROM {s}.cases WHERE tenant = %s AND id = ANY(%b)"
                    " FOR UPDATE SKIP LOCKED",
                    (t, [f.case_id for f in facts]),
                ).fetchall()
            )
            fresh = [f for f in facts if versions.get(f.case_id) == f.version]
            write_facts(cur, s, t, [(f.case_id, fact_rows(t, f), False) for f in fresh])
        return len(fresh)

    def attributions(self, case_ids: Sequence[str], until: datetime) -> Mapping[str, Attribution]:
        """The attribution in each of these cases' facts that hold at ``until``."""
        with self._tx() as cur:
            return attributions(self._reader(cur), self._tenant, case_ids, until, _PAGE)

    def _reader(self, cur: psycopg.Cursor[Any]) -> Read:
        s = self._s

        def read(sql: str, params: Sequence[object]) -> list[Any]:
            return cur.execute(dialect(sql, s), params).fetchall()

        return read
