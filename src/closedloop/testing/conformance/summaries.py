"""R17: case lists as summaries. A store's ``find_summaries`` lists the cases its
``find_cases`` lists, in the same order with the same cursors, each as ``summarise`` makes
it under the RAG instants the store keeps; it follows commits and erasure like R15.

Checks :class:`closedloop.ports.SummarisesCases`, the optional role: a store without it is
skipped (``desk.queues.summaries`` then summarises the cases ``find_cases`` returns). The
R15 comparison with the in-memory reference compares summaries too, for any cases and query.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from closedloop.domain.cases import labelling
from closedloop.domain.change import Change
from closedloop.domain.customers.erasure import Erasure
from closedloop.domain.errors import ValidationError
from closedloop.domain.queues.query import CaseQuery, Order
from closedloop.domain.queues.rag import RagTimes
from closedloop.domain.queues.summary import SummaryPage, summarise
from closedloop.domain.standards.targets import Rag
from closedloop.ports import CaseStore, SummarisesCases
from closedloop.testing.conformance.base import T0, StoreContract
from closedloop.testing.conformance.search import commit_world, world

__all__ = ["SummaryContract"]

_H = timedelta(hours=1)


class SummaryContract(StoreContract):
    """R17 case lists as summaries, as tests."""

    @pytest.fixture
    def summariser(self, store: CaseStore) -> SummarisesCases:
        """The store as ``SummarisesCases``; the tests skip for a store without the role."""
        if not isinstance(store, SummarisesCases):
            pytest.skip("the store does not provide the optional SummarisesCases role")
        return store

    def _summarised(
        self, store: CaseStore, query: CaseQuery, now: datetime, limit: int, after: str | None
    ) -> SummaryPage:
        """What R17 asks: the cases of ``find_cases`` summarised under the kept instants."""
        kept = {case.id: rag for case, rag in world()}
        page = store.find_cases(query, now, limit, after)  # type: ignore[attr-defined]
        return SummaryPage((summarise(c, kept[c.id], now) for c in page.cases), page.next)

    @pytest.mark.parametrize(
        "query",
        [
            CaseQuery(),
            CaseQuery(order=Order.RED_FIRST, closed=True),
            CaseQuery(order=Order.PRIORITY_THEN_DUE),
            CaseQuery(team="billing", order=Order.DUE_FIRST),
            CaseQuery(tags=("vip",)),
            CaseQuery(rag=Rag.RED),
        ],
        ids=lambda q: q.describe() or "all",
    )
    def test_r17_each_page_summarises_the_cases_find_cases_lists(
        self, store: CaseStore, summariser: SummarisesCases, query: CaseQuery
    ) -> None:
        commit_world(store, world())
        for now in (T0, T0 + 4.5 * _H, T0 + 40 * _H):
            after: str | None = None
            while True:
                page = summariser.find_summaries(query, now, 2, after)
                assert page == self._summarised(store, query, now, 2, after), (now, after)
                if page.next is None:
                    break
                after = page.next

    def test_r17_a_summary_says_what_the_case_says(
        self, store: CaseStore, summariser: SummarisesCases
    ) -> None:
        commit_world(store, world())
        (s1,) = summariser.find_summaries(CaseQuery(tags=("refund",)), T0 + 3.5 * _H).summaries
        case = store.get("s1")
        assert (s1.id, s1.version, s1.customer, s1.subject) == (
            "s1", case.version, "ann@example.com", case.subject
        )  # fmt: skip
        assert (s1.team, s1.owner, s1.tags, s1.channel) == ("billing", None, case.tags, "email")
        assert s1.opened_at == case.opened_at
        assert s1.updated_at == case.events[-1].at
        assert (s1.rag, s1.red_at) == (Rag.AMBER, T0 + 4 * _H)

    def test_r17_summaries_follow_commits_and_erasure(
        self, store: CaseStore, summariser: SummarisesCases
    ) -> None:
        commit_world(store, world())
        s1 = store.get("s1")
        moved = labelling.route(s1, at=T0 + 5 * _H, by="lead", owner="bo", team="returns")
        moved = labelling.tag(moved, at=T0 + 6 * _H, by="bo", add=["late"], remove=["vip"])
        store.commit(Change(moved, s1.version, rag=RagTimes(None, None)))
        store.erase(Erasure(handles=frozenset({"ann@example.com"}), pseudonym="erased-1"), T0)
        (found,) = summariser.find_summaries(CaseQuery(tags=("late",)), T0 + 7 * _H).summaries
        assert (found.owner, found.team, found.tags) == ("bo", "returns", ("late", "refund"))
        erased = store.get("s1")  # as erasure left it
        assert (found.customer, found.version, found.updated_at, found.subject) == (
            "erased-1", erased.version, erased.events[-1].at, erased.subject
        )  # fmt: skip
        assert (found.rag, found.red_at) == (Rag.GREEN, None)

    def test_r17_bad_input_is_refused(self, store: CaseStore, summariser: SummarisesCases) -> None:
        commit_world(store, world())
        page = summariser.find_summaries(CaseQuery(team="billing"), T0, 1)
        calls: list[Callable[[], object]] = [
            lambda: summariser.find_summaries(CaseQuery(), T0, 0),
            lambda: summariser.find_summaries(CaseQuery(), T0.replace(tzinfo=None)),
            lambda: summariser.find_summaries(CaseQuery(team="returns"), T0, 1, page.next),
            lambda: summariser.find_summaries("team=billing", T0),  # type: ignore[arg-type]
        ]
        for call in calls:
            with pytest.raises(ValidationError):
                call()
