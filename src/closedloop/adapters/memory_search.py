"""The in-memory store's SearchesCases role: every case of the tenant looked at, filtered
and sorted by the reference semantics (``closedloop.domain.queues.matching``)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from closedloop.adapters.common import check_instant, check_limit
from closedloop.domain.cases.case import Case
from closedloop.domain.errors import ValidationError
from closedloop.domain.queues.matching import reference_page
from closedloop.domain.queues.query import CasePage, CaseQuery
from closedloop.domain.queues.rag import RagTimes
from closedloop.domain.queues.summary import SummaryPage, summarise

__all__ = ["MemorySearch", "check_query", "check_rag_rows"]


class _Data(Protocol):
    lock: threading.RLock
    cases: dict[tuple[str, str], Case]
    rag: dict[tuple[str, str], RagTimes | None]


class MemorySearch:
    """``find_cases`` and ``find_summaries``: the reference the indexed stores are
    compared with."""

    _tenant: str
    _data: _Data

    def find_cases(
        self, query: CaseQuery, now: datetime, limit: int = 50, after: str | None = None
    ) -> CasePage:
        """The first ``limit`` cases ``query`` lists at ``now``, after cursor ``after``."""
        return self._page(query, now, limit, after)[0]

    def find_summaries(
        self, query: CaseQuery, now: datetime, limit: int = 50, after: str | None = None
    ) -> SummaryPage:
        """The page :meth:`find_cases` lists, as summaries."""
        page, times = self._page(query, now, limit, after)
        return SummaryPage((summarise(c, times[c.id], now) for c in page.cases), page.next)

    def _page(
        self, query: CaseQuery, now: datetime, limit: int, after: str | None
    ) -> tuple[CasePage, dict[str, RagTimes | None]]:
        check_query(query)
        check_limit(limit)
        check_instant("now", now)
        data, t = self._data, self._tenant
        with data.lock:
            items = [(c, data.rag.get(key)) for key, c in data.cases.items() if key[0] == t]
        page = reference_page(items, query, now, limit, after)
        return page, {case.id: rag for case, rag in items}

    def put_rag(self, times: Sequence[tuple[str, int, RagTimes | None]]) -> int:
        """Store each case's RAG instants if the case is still at the version given."""
        rows = check_rag_rows(times)
        data, t = self._data, self._tenant
        stored = 0
        with data.lock:
            for case_id, version, rag in rows:
                case = data.cases.get((t, case_id))
                if case is not None and case.version == version:
                    data.rag[t, case_id] = rag
                    stored += 1
        return stored


def check_rag_rows(times: object) -> list[tuple[str, int, RagTimes | None]]:
    """``times`` as a list of ``(case_id, version, RagTimes or None)``, else a clear error."""
    rows = list(times) if isinstance(times, Sequence) and not isinstance(times, str) else None
    if rows is None or not all(
        isinstance(r, tuple) and len(r) == 3 and isinstance(r[0], str)
        and isinstance(r[1], int) and (r[2] is None or isinstance(r[2], RagTimes))
        for r in rows
    ):  # fmt: skip
        raise ValidationError.of(
            "times", "times must be a list of (case_id, version, RagTimes or None) tuples"
        )
    if len({r[0] for r in rows}) != len(rows):
        raise ValidationError.of("times", "times names a case twice: give each case once")
    return rows


def check_query(query: object) -> CaseQuery:
    """``query`` if it is a ``CaseQuery``."""
    if not isinstance(query, CaseQuery):
        raise ValidationError.of("query", f"query must be a CaseQuery, got {type(query).__name__}")
    return query
