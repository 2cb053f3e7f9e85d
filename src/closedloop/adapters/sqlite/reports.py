"""Reports' read model on SQLite (the ReportStorage role): facts written with each commit,
period totals aggregated in SQL (see :mod:`closedloop.adapters.read_model`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from closedloop.adapters.common import check_facts
from closedloop.adapters.read_model import (
    CHILD_TABLES,
    FACT_INSERTS,
    Rows,
    fact_rows,
    report_totals,
)
from closedloop.adapters.read_model_lookups import attributions, unsettled_page
from closedloop.adapters.rows import group
from closedloop.adapters.sqlite.connection import CHUNK, TenantView, run
from closedloop.domain.cases.case import Case
from closedloop.domain.errors import StorageError
from closedloop.domain.reports.facts import Attribution, CaseFacts
from closedloop.domain.reports.totals import Totals

__all__ = ["SQLiteReportStorage", "write_facts"]


def write_facts(
    db: sqlite3.Connection, tenant: str, items: Sequence[tuple[str, tuple[Rows, ...], bool]]
) -> None:
    """Replace the facts of each (case id, its rows from :func:`rows_for`, new) (``new``:
    nothing to delete)."""
    stale = [(tenant, case_id) for case_id, _, new in items if not new]
    for table in ("case_facts", *CHILD_TABLES):
        run(db, f"DELETE FROM {table} WHERE tenant = ? AND case_id = ?", stale)
    rows = [table_rows for _, table_rows, _ in items]
    for n, sql in enumerate(FACT_INSERTS):
        run(db, sql, [row for table in rows for row in table[n]])


class SQLiteReportStorage(TenantView):
    """:meth:`report_totals`, :meth:`unsettled` and :meth:`put_facts`."""

    def report_totals(
        self, since: datetime, until: datetime, basis: str, *, oldest: int = 20,
        examples: int = 3,
    ) -> Totals:  # fmt: skip
        """The totals of ``[since, until)`` over the settled cases, in one snapshot."""
        db = self._shared.connection
        with self._shared.lock:
            db.execute("BEGIN")
            try:
                return report_totals(
                    self._read, self._stream, self._tenant, since, until, basis, oldest,
                    examples,
                )  # fmt: skip
            finally:
                db.execute("COMMIT")

    def _stream(self, sql: str, params: Sequence[object]) -> Iterator[Any]:
        with self._shared.lock:
            try:
                yield from self._shared.connection.execute(sql, params)
            except sqlite3.Error as exc:
                raise StorageError(f"SQLite failed: {exc}") from exc

    def unsettled(self, until: datetime, basis: str) -> Iterator[Case]:
        """Cases opened before ``until`` whose facts do not hold there, by opening then id,
        a page at a time."""
        after: tuple[int, str] = (-(2**62), "")
        while True:
            page = unsettled_page(self._read, self._tenant, until, basis, after, CHUNK)
            if not page:
                return
            ids = [case_id for case_id, _ in page]
            marks = ", ".join("?" * len(ids))
            rows = self._read(
                f"SELECT case_id, body FROM events WHERE tenant = ? AND case_id IN ({marks})"
                " ORDER BY case_id, version",
                (self._tenant, *ids),
            )
            found = {case.id: case for case in group(rows)}
            yield from (found[case_id] for case_id in ids if case_id in found)
            if len(page) < CHUNK:
                return
            after = page[-1][1], page[-1][0]

    def attributions(self, case_ids: Sequence[str], until: datetime) -> Mapping[str, Attribution]:
        """The attribution in each of these cases' facts that hold at ``until``, in one
        snapshot."""
        db = self._shared.connection
        with self._shared.lock:
            db.execute("BEGIN")
            try:
                return attributions(self._read, self._tenant, case_ids, until, CHUNK)
            finally:
                db.execute("COMMIT")

    def put_facts(self, facts: Sequence[CaseFacts]) -> int:
        """Store each of ``facts`` whose case is still at its version; how many were."""
        check_facts(facts)
        stored = 0
        with self._write() as db:
            for start in range(0, len(facts), CHUNK):
                some = facts[start : start + CHUNK]
                marks = ", ".join("?" * len(some))
                versions = dict(
                    db.execute(
                        f"SELECT id, version FROM cases WHERE tenant = ? AND id IN ({marks})",
                        (self._tenant, *(f.case_id for f in some)),
                    ).fetchall()
                )
                fresh = [f for f in some if versions.get(f.case_id) == f.version]
                write_facts(
                    db,
                    self._tenant,
                    [(f.case_id, fact_rows(self._tenant, f), False) for f in fresh],
                )
                stored += len(fresh)
        return stored
