"""R12: reports' read model. Each commit writes its case's facts in the same transaction;
the store's period totals equal the in-memory fold of those facts (with the sections per
owner, team and tag); a case without facts, with facts of other standards, or changed
since, is left for the report to replay; ``attributions`` returns the owner, team and tags
of the facts that hold.

Checks :class:`closedloop.ports.ReportStorage`, the optional role: a store without it is
skipped (reports then replay every case).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.events import Kano
from closedloop.domain.cases.labelling import route, tag
from closedloop.domain.change import Change
from closedloop.domain.customers.erasure import Erasure
from closedloop.domain.errors import ValidationError
from closedloop.domain.reports.facts import Attribution, basis, case_facts
from closedloop.domain.reports.totals import Totals
from closedloop.domain.standards.standard import Standards
from closedloop.ports import CaseStore, ReportStorage
from closedloop.testing.conformance.base import T0, StoreContract, opened

__all__ = ["ReportStorageContract"]

_H = timedelta(hours=1)
_BASIS = basis(Standards())


def _world() -> list[Case]:
    """Cases that touch every fact: one waiting (in team care, tagged), one acknowledged
    late (amy's), one closed with a root cause (handed from amy to bo in billing, tagged
    twice), one declined, one opened before the period."""
    waiting = opened("r1", at=T0, customer="ann@example.com")
    waiting = tag(
        route(waiting, at=T0, by="lead", owner=None, team="care"), at=T0, by="lead",
        add=["vip"],
    )  # fmt: skip
    late = latte.acknowledge(opened("r2", at=T0 + _H), at=T0 + 9 * _H, by="amy")
    done = latte.take_action(
        latte.acknowledge(opened("r3", at=T0 + 2 * _H, customer="bo@example.com"),
                          at=T0 + 3 * _H, by="amy"),
        at=T0 + 4 * _H, by="amy", summary="Refunded",
    )  # fmt: skip
    done = route(done, at=T0 + 4 * _H, by="amy", owner="bo", team="billing", summary="Refunded")
    done = tag(done, at=T0 + 4 * _H, by="bo", add=["billing", "vip"])
    done = latte.explain(
        latte.thank(done, at=T0 + 5 * _H, by="amy"), at=T0 + 6 * _H, by="amy",
        what_failed="Courier", what_changes="New one", root_cause="courier", kano=Kano.DISSATISFIER,
    )  # fmt: skip
    declined = latte.decline(
        latte.acknowledge(opened("r4", at=T0 + 3 * _H), at=T0 + 4 * _H, by="amy"),
        at=T0 + 5 * _H, by="amy", reason="Out of stock", category="stock", asked="A blue one",
    )  # fmt: skip
    before = opened("r5", at=T0 - 48 * _H, customer="cy@example.com")
    return [waiting, late, done, declined, before]


def _commit(store: CaseStore, cases: list[Case]) -> None:
    for case in cases:
        store.commit(Change(case, 0, facts=case_facts(case, Standards())))


def summary(totals: Totals) -> dict[str, Any]:
    """Everything a report reads from ``totals``, as plain data to compare."""
    return {
        "sections": {k: list(v) for k, v in totals.sections.items()},
        "kpis": {
            k: (t.measured, t.met, t.times.quantile(0.5), t.times.quantile(0.9))
            for k, t in totals.kpis.items()
        },
        "ack": list(totals.ack),
        "ages": list(totals.ages),
        "channels": dict(totals.waiting_channels),
        "waiters": [w for _, w in totals.waiters],
        "causes": {k: (c.count, c.kano, list(c.examples)) for k, c in totals.causes.items()},
        "promises": list(totals.promises),
        "declines": dict(totals.declines),
        "decline_examples": {k: [e for _, e in v] for k, v in totals.decline_examples.items()},
    }


class ReportStorageContract(StoreContract):
    """R12 reports' read model, as tests."""

    @pytest.fixture
    def reports(self, store: CaseStore) -> ReportStorage:
        """The store as a ``ReportStorage``; the tests skip for a store without the role."""
        if not isinstance(store, ReportStorage):
            pytest.skip("the store does not provide the optional read model (ReportStorage)")
        return store

    def _expected(self, cases: list[Case], since: datetime, until: datetime) -> dict[str, Any]:
        facts = [case_facts(c, Standards()) for c in cases]
        return summary(Totals(since, until, 20, 3).extend(facts))

    @pytest.mark.parametrize(
        ("start", "end"), [(-72, 72), (0, 24), (2, 5), (-72, -24), (7, 30)], ids=str
    )
    def test_r12_totals_equal_the_fold_of_the_committed_facts(
        self, store: CaseStore, reports: ReportStorage, start: int, end: int
    ) -> None:
        cases = _world()
        _commit(store, cases)
        since, until = T0 + start * _H, T0 + end * _H
        settled = [c for c in cases if c.events[-1].at < until]
        found = reports.report_totals(since, until, _BASIS)
        assert summary(found) == self._expected(settled, since, until)

    def test_r12_a_change_without_facts_leaves_its_case_to_replay(
        self, store: CaseStore, reports: ReportStorage
    ) -> None:
        cases = _world()
        _commit(store, cases[1:])
        store.commit(Change(cases[0], 0))
        until = T0 + 72 * _H
        assert [c.id for c in reports.unsettled(until, _BASIS)] == ["r1"]
        found = reports.report_totals(T0 - 72 * _H, until, _BASIS)
        assert summary(found) == self._expected(cases[1:], T0 - 72 * _H, until)

    def test_r12_other_standards_or_a_later_change_leave_cases_to_replay(
        self, store: CaseStore, reports: ReportStorage
    ) -> None:
        cases = _world()
        _commit(store, cases)
        everyone = ["r5", "r1", "r2", "r3", "r4"]  # by opening, then id
        assert [c.id for c in reports.unsettled(T0 + 72 * _H, "another")] == everyone
        assert [c.id for c in reports.unsettled(T0 + 72 * _H, _BASIS)] == []
        # At 05:30 r2 (acknowledged at 09:00) and r3 (explained at 06:00) had yet to change.
        assert [c.id for c in reports.unsettled(T0 + 5.5 * _H, _BASIS)] == ["r2", "r3"]
        # At 01:00 r1 and r5 stood as they stand now; the others were not opened yet.
        assert [c.id for c in reports.unsettled(T0 + _H, _BASIS)] == []
        assert [c.id for c in reports.unsettled(T0 + 1.5 * _H, _BASIS)] == ["r2"]

    @pytest.mark.parametrize(("until", "basis"), [(72, _BASIS), (5.5, _BASIS), (72, "another")])
    def test_r12_totals_that_name_the_unsettled_name_those_unsettled_reads(
        self, store: CaseStore, reports: ReportStorage, until: float, basis: str
    ) -> None:
        """Optional: ``Totals.unsettled`` (None when not given) lists, in the totals'
        snapshot, the cases ``unsettled`` gives, in its order."""
        _commit(store, _world())
        at = T0 + until * _H
        found = reports.report_totals(T0 - 72 * _H, at, basis).unsettled
        if found is not None:
            assert found == [c.id for c in reports.unsettled(at, basis)]

    def test_r12_a_case_moving_on_replaces_its_facts(
        self, store: CaseStore, reports: ReportStorage
    ) -> None:
        case = opened("r1")
        _commit(store, [case])
        acked = latte.acknowledge(case, at=T0 + _H, by="amy")
        store.commit(Change(acked, 1, facts=case_facts(acked, Standards())))
        since, until = T0 - _H, T0 + 72 * _H
        assert summary(reports.report_totals(since, until, _BASIS)) == self._expected(
            [acked], since, until
        )

    def test_r12_put_facts_stores_only_facts_of_the_current_version(
        self, store: CaseStore, reports: ReportStorage
    ) -> None:
        case = opened("r1")
        store.commit(Change(case, 0))
        acked = latte.acknowledge(case, at=T0 + _H, by="amy")
        store.commit(Change(acked, 1))
        stale, current = case_facts(case, Standards()), case_facts(acked, Standards())
        assert reports.put_facts([stale]) == 0
        assert [c.id for c in reports.unsettled(T0 + 72 * _H, _BASIS)] == ["r1"]
        assert reports.put_facts([current]) == 1
        assert list(reports.unsettled(T0 + 72 * _H, _BASIS)) == []
        since, until = T0 - _H, T0 + 72 * _H
        assert summary(reports.report_totals(since, until, _BASIS)) == self._expected(
            [acked], since, until
        )

    def test_r12_erasure_leaves_no_handle_or_text_in_the_facts(
        self, store: CaseStore, reports: ReportStorage
    ) -> None:
        cases = _world()
        _commit(store, cases)
        store.erase(Erasure(frozenset({"ann@example.com"}), "erased-1"), T0 + 80 * _H)
        since, until = T0 - 72 * _H, T0 + 72 * _H
        found = summary(reports.report_totals(since, until, _BASIS))
        assert "ann@example.com" not in repr(found)
        assert "r1" in [c.id for c in reports.unsettled(until, _BASIS)]

    def test_r12_another_tenants_facts_are_not_counted(
        self, store: CaseStore, reports: ReportStorage
    ) -> None:
        _commit(store.for_tenant("other"), _world())
        since, until = T0 - 72 * _H, T0 + 72 * _H
        assert summary(reports.report_totals(since, until, _BASIS)) == self._expected(
            [], since, until
        )
        assert list(reports.unsettled(until, _BASIS)) == []

    def test_r12_attributions_are_those_of_the_facts_that_hold(
        self, store: CaseStore, reports: ReportStorage
    ) -> None:
        cases = _world()
        _commit(store, cases[1:])
        store.commit(Change(cases[0], 0))  # r1 without facts: the report replays it
        found = reports.attributions(["r1", "r2", "r3", "r5", "nobody"], T0 + 72 * _H)
        assert dict(found) == {
            "r2": Attribution("amy"),
            "r3": Attribution("bo", "billing", ("billing", "vip")),
            "r5": Attribution(),
        }
        # At 05:00 r3's facts (last changed at 06:00) do not hold yet; r2's do not at 09:00.
        assert sorted(reports.attributions(["r2", "r3"], T0 + 5 * _H)) == []
        assert sorted(reports.attributions(["r2", "r3"], T0 + 9.5 * _H)) == ["r2", "r3"]
        assert dict(reports.attributions([], T0)) == {}

    def test_r12_bad_input_is_refused(self, reports: ReportStorage) -> None:
        naive = datetime(2026, 11, 23, 9, 0)  # noqa: DTZ001 - the mistake under test
        with pytest.raises(ValidationError):
            reports.report_totals(naive, T0, _BASIS)
        with pytest.raises(ValidationError):
            reports.report_totals(T0, T0 + _H, _BASIS, oldest=-1)
        with pytest.raises(ValidationError):
            reports.put_facts(["not facts"])  # type: ignore[list-item]
        with pytest.raises(ValidationError):
            reports.attributions("r1", T0)
        with pytest.raises(ValidationError):
            reports.attributions(["r1"], naive)
