"""The in-memory store's SearchesCases role: every case of the tenant looked at, filtered
and sorted by the reference semantics (``closedloop.domain.queues.matching``)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Protocol

from closedloop.adapters.common import check_instant, check_limit
from closedloop.domain.cases.case import Case
from closedloop.domain.errors import ValidationError
from closedloop.domain.queues.matching import reference_page
from closedloop.domain.queues.query import CasePage, CaseQuery
from closedloop.domain.queues.rag import RagTimes

__all__ = ["MemorySearch"]


class _Data(Protocol):
    lock: threading.RLock
    cases: dict[tuple[str, str], Case]
    rag: dict[tuple[str, str], RagTimes | None]


class MemorySearch:
    """``find_cases``: the reference the indexed stores are compared with."""

    _tenant: str
    _data: _Data

    def find_cases(
        self, query: CaseQuery, now: datetime, limit: int = 50, after: str | None = None
    ) -> CasePage:
        """The first ``limit`` cases ``query`` lists at ``now``, after cursor ``after``."""
        check_query(query)
        check_limit(limit)
        check_instant("now", now)
        data, t = self._data, self._tenant
        with data.lock:
            items = [(c, data.rag.get(key)) for key, c in data.cases.items() if key[0] == t]
        return reference_page(items, query, now, limit, after)


def check_query(query: object) -> CaseQuery:
    """``query`` if it is a ``CaseQuery``."""
    if not isinstance(query, CaseQuery):
        raise ValidationError.of("query", f"query must be a CaseQuery, got {type(query).__name__}")
    return query
