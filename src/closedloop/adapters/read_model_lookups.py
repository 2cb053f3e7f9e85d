"""The read model's lookups by case, shared by the SQLite and PostgreSQL stores: the
attributions of given cases, and the unsettled cases a page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from closedloop.adapters.common import check_basis, check_instant, check_keys
from closedloop.adapters.read_model import Read
from closedloop.adapters.rows import us
from closedloop.domain.reports.facts import Attribution

__all__ = ["attributions", "unsettled_page"]

# After the last page's (opened_us, case_id) as a row value: SQLite and PostgreSQL seek the
# index to it. Spelled out with OR, SQLite scanned from the first case for every page.
_UNSETTLED = """
    SELECT case_id, opened_us FROM case_facts
    WHERE tenant = ? AND opened_us < ? AND (opened_us, case_id) > (?, ?)
        AND (last_us >= ? OR basis <> ?)
    ORDER BY opened_us, case_id LIMIT ?
"""
_OWNERS = """
    SELECT case_id, owner, team FROM case_facts
    WHERE tenant = ? AND basis <> '' AND last_us < ? AND case_id IN ({})
"""
_CASE_TAGS = """
    SELECT case_id, tag FROM fact_tags
    WHERE tenant = ? AND basis <> '' AND last_us < ? AND case_id IN ({}) ORDER BY case_id, tag
"""


def attributions(
    read: Read, tenant: str, case_ids: Sequence[str], until: datetime, page: int
) -> dict[str, Attribution]:
    """The attribution of each of ``case_ids`` whose stored facts hold at ``until``, looked
    up ``page`` ids per statement."""
    ids = check_keys("case_ids", case_ids)
    high = us(check_instant("until", until))
    found: dict[str, Attribution] = {}
    for start in range(0, len(ids), page):
        some = ids[start : start + page]
        marks = ", ".join("?" * len(some))
        tags: dict[str, list[str]] = {}
        for case_id, tag in read(_CASE_TAGS.format(marks), (tenant, high, *some)):
            tags.setdefault(case_id, []).append(tag)
        for case_id, owner, team in read(_OWNERS.format(marks), (tenant, high, *some)):
            found[case_id] = Attribution(owner or None, team or None, tuple(tags.get(case_id, ())))
    return found


def unsettled_page(
    read: Read, tenant: str, until: datetime, basis: str, after: tuple[int, str], limit: int
) -> list[tuple[str, int]]:  # fmt: skip
    """Up to ``limit`` (id, opened_us) of cases opened before ``until`` whose facts do not
    hold there, after ``after`` in (opened_us, id) order."""
    high = us(check_instant("until", until))
    check_basis(basis)
    params = (tenant, high, after[0], after[1], high, basis, limit)
    return [(case_id, opened) for case_id, opened in read(_UNSETTLED, params)]
