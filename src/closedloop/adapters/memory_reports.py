"""The in-memory store's read model for reports (the ReportStorage role): facts kept by
case, folded in Python."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from closedloop.adapters.common import (
    check_basis,
    check_facts,
    check_instant,
    check_keys,
    instant,
    totals_for,
)
from closedloop.domain.cases.case import Case
from closedloop.domain.reports.facts import Attribution, CaseFacts
from closedloop.domain.reports.totals import NAMED_UNSETTLED, Totals

__all__ = ["MemoryReports"]


class _Data(Protocol):
    cases: dict[tuple[str, str], Case]
    facts: dict[tuple[str, str], CaseFacts | None]


class MemoryReports:
    """Facts live in ``_data.facts`` by case, None where missing (a change without them,
    or an erased case)."""

    _tenant: str
    _data: _Data

    def report_totals(
        self, since: datetime, until: datetime, basis: str, *, oldest: int = 20,
        examples: int = 3,
    ) -> Totals:  # fmt: skip
        """The totals of ``[since, until)`` over the settled cases' facts."""
        totals = totals_for(since, until, basis, oldest, examples)
        high = instant(until)
        settled = [
            f
            for (t, _), f in list(self._data.facts.items())
            if t == self._tenant and f is not None and f.basis == basis
            and instant(f.last_at) < high
        ]  # fmt: skip
        totals.extend(settled)
        named = [case.id for case in self.unsettled(until, basis)]
        totals.unsettled = named if len(named) <= NAMED_UNSETTLED else None
        return totals

    def unsettled(self, until: datetime, basis: str) -> Iterator[Case]:
        """Cases opened before ``until`` whose facts do not hold there, by opening then id."""
        high = instant(check_instant("until", until))
        check_basis(basis)
        found = []
        for (t, case_id), case in list(self._data.cases.items()):
            if t != self._tenant or instant(case.opened_at) >= high:
                continue
            f = self._data.facts.get((t, case_id))
            if f is None or f.basis != basis or instant(f.last_at) >= high:
                found.append(case)
        found.sort(key=lambda c: (instant(c.opened_at), c.id))
        return iter(found)

    def put_facts(self, facts: Sequence[CaseFacts]) -> int:
        """Store each of ``facts`` whose case is still at its version."""
        check_facts(facts)
        stored = 0
        for f in facts:
            case = self._data.cases.get((self._tenant, f.case_id))
            if case is not None and case.version == f.version:
                self._data.facts[self._tenant, f.case_id] = f
                stored += 1
        return stored

    def attributions(self, case_ids: Sequence[str], until: datetime) -> Mapping[str, Attribution]:
        """The attribution in each of these cases' facts that hold at ``until``."""
        ids = check_keys("case_ids", case_ids)
        high = instant(check_instant("until", until))
        found = {}
        for case_id in ids:
            f = self._data.facts.get((self._tenant, case_id))
            if f is not None and instant(f.last_at) < high:
                found[case_id] = f.attribution
        return found
