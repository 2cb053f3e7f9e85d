"""R15: finding cases. A store lists the cases a ``CaseQuery`` names, in its order, a page
at a time, exactly as the in-memory reference does; paging by cursor neither skips nor
repeats a case that did not change; a RAG filter is read at the ``now`` given; erasure
renames the customer everywhere a filter looks.

Checks :class:`closedloop.ports.SearchesCases`, the optional role: a store without it is
skipped (``desk.queues.find`` then refuses to work, rather than load every case).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop.adapters.memory import InMemoryStore
from closedloop.domain.cases import labelling
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.cases.priority import Priority
from closedloop.domain.change import Change
from closedloop.domain.customers.erasure import Erasure
from closedloop.domain.errors import ValidationError
from closedloop.domain.latte import Stage
from closedloop.domain.queues.query import CasePage, CaseQuery, Order
from closedloop.domain.queues.rag import RagTimes
from closedloop.domain.standards.targets import Rag
from closedloop.ports import CaseStore, SearchesCases, SummarisesCases
from closedloop.testing.conformance.base import T0, StoreContract

__all__ = ["SearchContract", "commit_world", "every_page", "world"]

_H = timedelta(hours=1)
_OWNERS = ("amy", "bo", None)
_TEAMS = ("billing", "returns", None)
_TAGS = ("vip", "refund", "late")
_CHANNELS = (Channel.EMAIL, Channel.PHONE, Channel.CHAT)
_CUSTOMERS = ("ann@example.com", "bo@example.com", "cy@example.com")


def every_page(store: SearchesCases, query: CaseQuery, now: datetime, limit: int) -> list[str]:
    """The ids of every case ``query`` lists, read ``limit`` at a time by cursor."""
    found: list[str] = []
    after = None
    for _ in range(1000):
        page = store.find_cases(query, now, limit, after)
        found += [c.id for c in page.cases]
        if page.next is None:
            return found
        after = page.next
    raise AssertionError("paging did not end")


def _case(
    case_id: str,
    *,
    at: datetime,
    customer: str = "ann@example.com",
    channel: Channel = Channel.EMAIL,
    kind: FeedbackKind = FeedbackKind.COMPLAINT,
    priority: Priority = Priority.NORMAL,
    owner: str | None = None,
    team: str | None = None,
    tags: Sequence[str] = (),
    fields: dict[str, str] | None = None,
) -> Case:
    feedback = Feedback(
        customer=customer, channel=channel, received_at=at, text="Where is my parcel? 📦",
        kind=kind, tags=tags, fields=fields or {},
    )  # fmt: skip
    return latte.open_case(
        case_id, feedback, at=at, priority=priority, owner=owner, team=team, due_at=at + 4 * _H
    )


def world() -> list[tuple[Case, RagTimes | None]]:
    """Cases that tell every filter apart, each with when it turns amber and red."""
    a = _case("s1", at=T0, team="billing", tags=["vip", "refund"], fields={"plan": "pro"})
    b = _case("s2", at=T0 + _H, team="billing", owner="amy", priority=Priority.URGENT)
    c = _case("s3", at=T0 + 2 * _H, team="returns", channel=Channel.PHONE,
              kind=FeedbackKind.QUESTION, customer="bo@example.com", tags=["vip"])  # fmt: skip
    d = latte.acknowledge(_case("s4", at=T0 + 3 * _H, owner="bo"), at=T0 + 5 * _H, by="bo")
    e = _case("s5", at=T0 + 4 * _H, team="billing")
    done = latte.explain(
        latte.thank(
            latte.take_action(latte.acknowledge(_case("s6", at=T0 - _H, team="billing"),
                                                at=T0, by="amy"), at=T0, by="amy", summary="Done"),
            at=T0, by="amy"),
        at=T0 + 6 * _H, by="amy", what_failed="Courier", what_changes="New one",
    )  # fmt: skip
    return [
        (a, RagTimes(T0 + 3 * _H, T0 + 4 * _H)),
        (b, RagTimes(T0 + 4 * _H, T0 + 5 * _H)),
        (c, RagTimes(T0 + 20 * _H, T0 + 30 * _H)),
        (d, RagTimes(None, None)),
        (e, None),
        (done, RagTimes()),
    ]


def commit_world(store: CaseStore, cases: list[tuple[Case, RagTimes | None]]) -> None:
    """Commit new ``cases``, each with its RAG instants, in one transaction."""
    store.commit_many([Change(case, 0, rag=rag) for case, rag in cases])


class SearchContract(StoreContract):
    """R15 finding cases, as tests."""

    @pytest.fixture
    def searcher(self, store: CaseStore) -> SearchesCases:
        """The store as ``SearchesCases``; the tests skip for a store without the role."""
        if not isinstance(store, SearchesCases):
            pytest.skip("the store does not provide the optional SearchesCases role")
        return store

    def _ids(
        self, searcher: SearchesCases, now: datetime = T0 + 4.5 * _H, **query: object
    ) -> list[str]:
        return every_page(searcher, CaseQuery(**query), now, 2)  # type: ignore[arg-type]

    def test_r15_an_empty_store_finds_nothing(self, searcher: SearchesCases) -> None:
        assert searcher.find_cases(CaseQuery(), T0) == CasePage((), None)

    def test_r15_each_filter_lists_the_cases_it_names(
        self, store: CaseStore, searcher: SearchesCases
    ) -> None:
        commit_world(store, world())
        ids = self._ids
        assert ids(searcher) == ["s1", "s2", "s3", "s4", "s5"]
        assert ids(searcher, closed=True) == ["s6", "s1", "s2", "s3", "s4", "s5"]
        assert ids(searcher, owner="amy") == ["s2"]
        assert ids(searcher, unowned=True) == ["s1", "s3", "s5"]
        assert ids(searcher, team="billing") == ["s1", "s2", "s5"]
        assert ids(searcher, team="billing", closed=True) == ["s6", "s1", "s2", "s5"]
        assert ids(searcher, stage=Stage.ACKNOWLEDGED) == ["s4"]
        assert ids(searcher, priority=Priority.URGENT) == ["s2"]
        assert ids(searcher, channel="phone") == ["s3"]
        assert ids(searcher, kind=FeedbackKind.QUESTION) == ["s3"]
        assert ids(searcher, tags=["VIP"]) == ["s1", "s3"]
        assert ids(searcher, tags=["vip", "refund"]) == ["s1"]
        assert ids(searcher, fields={"plan": "pro"}) == ["s1"]
        assert ids(searcher, fields={"plan": "basic"}) == []
        assert ids(searcher, customer="bo@example.com") == ["s3"]
        assert ids(searcher, opened_since=T0 + _H, opened_until=T0 + 3 * _H) == ["s2", "s3"]
        assert ids(searcher, updated_since=T0 + 4 * _H) == ["s4", "s5"]
        assert ids(searcher, closed=True, updated_until=T0 + 2 * _H) == ["s1", "s2"]

    def test_r15_rag_is_read_at_now_from_the_instants_committed(
        self, store: CaseStore, searcher: SearchesCases
    ) -> None:
        commit_world(store, world())
        ids = self._ids
        now = T0 + 4 * _H  # s1 amber since 3h, red after 4h; s2 amber from 4h
        assert ids(searcher, now=now, rag=Rag.RED) == []
        assert ids(searcher, now=now, rag=Rag.AMBER) == ["s1", "s2"]
        assert ids(searcher, now=now, rag="green") == ["s3", "s4", "s5"]
        later = now + timedelta(microseconds=1)
        assert ids(searcher, now=later, rag=Rag.RED) == ["s1"]
        assert ids(searcher, now=later, rag=Rag.AMBER) == ["s2"]

    def test_r15_each_order_ends_with_the_id(
        self, store: CaseStore, searcher: SearchesCases
    ) -> None:
        commit_world(store, world())
        ids = self._ids
        # Earliest deadline first; no deadline (s4, s5) last, by id.
        assert ids(searcher, order=Order.DUE_FIRST) == ["s1", "s2", "s3", "s4", "s5"]
        assert ids(searcher, order=Order.RED_FIRST) == ["s1", "s2", "s3", "s4", "s5"]
        assert ids(searcher, order=Order.PRIORITY_THEN_DUE) == ["s2", "s1", "s3", "s4", "s5"]
        assert ids(searcher, order="oldest_first", closed=True)[0] == "s6"

    def test_r15_pages_neither_skip_nor_repeat_cases_that_did_not_change(
        self, store: CaseStore, searcher: SearchesCases
    ) -> None:
        commit_world(store, world())
        query = CaseQuery(closed=True, order=Order.DUE_FIRST)
        now = T0 + 4.5 * _H
        first = searcher.find_cases(query, now, 2)
        assert [c.id for c in first.cases] == ["s1", "s2"]
        assert first.next is not None
        # Meanwhile a new case opens before the cursor and s5 changes: neither disturbs
        # the cases that did not change.
        new = _case("s0", at=T0 - 2 * _H)
        s5 = store.get("s5")
        store.commit_many(
            [Change(new, 0, rag=RagTimes(T0, T0 + _H)),
             Change(latte.acknowledge(s5, at=T0 + 6 * _H, by="amy"), s5.version,
                    rag=RagTimes(T0 + 40 * _H, T0 + 50 * _H))]
        )  # fmt: skip
        rest: list[str] = []
        after: str | None = first.next
        while after is not None:
            page = searcher.find_cases(query, now, 2, after)
            rest += [c.id for c in page.cases]
            after = page.next
        assert rest == ["s3", "s5", "s4", "s6"]

    def test_r15_a_page_is_at_most_limit_and_the_last_has_no_next(
        self, store: CaseStore, searcher: SearchesCases
    ) -> None:
        commit_world(store, world())
        page = searcher.find_cases(CaseQuery(), T0, 5)
        assert len(page.cases) == 5
        assert page.next is None
        page = searcher.find_cases(CaseQuery(), T0, 4)
        assert len(page.cases) == 4
        assert page.next is not None
        last = searcher.find_cases(CaseQuery(), T0, 4, page.next)
        assert [c.id for c in last.cases] == ["s5"]
        assert last.next is None

    def test_r15_bad_input_is_refused(self, store: CaseStore, searcher: SearchesCases) -> None:
        commit_world(store, world())
        page = searcher.find_cases(CaseQuery(team="billing"), T0, 1)
        calls: list[Callable[[], object]] = [
            lambda: searcher.find_cases(CaseQuery(), T0, 0),
            lambda: searcher.find_cases(CaseQuery(), T0.replace(tzinfo=None)),
            lambda: searcher.find_cases(CaseQuery(), T0, 5, "not a cursor"),
            lambda: searcher.find_cases(CaseQuery(team="returns"), T0, 1, page.next),
            lambda: searcher.find_cases("team=billing", T0),  # type: ignore[arg-type]
        ]
        for call in calls:
            with pytest.raises(ValidationError):
                call()

    def test_r15_other_tenants_cases_are_not_found(
        self, store: CaseStore, searcher: SearchesCases
    ) -> None:
        other = store.for_tenant("other-tenant")
        commit_world(other, world())
        assert searcher.find_cases(CaseQuery(closed=True), T0).cases == ()
        assert isinstance(other, SearchesCases)
        assert len(other.find_cases(CaseQuery(tags=("vip",)), T0).cases) == 2

    def test_r15_labels_owner_and_rag_follow_every_commit(
        self, store: CaseStore, searcher: SearchesCases
    ) -> None:
        commit_world(store, world())
        s1 = store.get("s1")
        moved = labelling.route(s1, at=T0 + 5 * _H, by="lead", owner="bo", team="returns")
        moved = labelling.tag(moved, at=T0 + 5 * _H, by="bo", add=["late"], remove=["vip"])
        moved = labelling.set_fields(moved, at=T0 + 5 * _H, by="bo", values={}, clear=["plan"])
        store.commit(Change(moved, s1.version, rag=RagTimes(None, None)))
        ids = self._ids
        assert ids(searcher, tags=["vip"]) == ["s3"]
        assert ids(searcher, tags=["late"]) == ["s1"]
        assert ids(searcher, fields={"plan": "pro"}) == []
        assert ids(searcher, owner="bo") == ["s1", "s4"]
        assert ids(searcher, team="returns") == ["s1", "s3"]
        assert ids(searcher, now=T0 + 9 * _H, rag=Rag.RED) == ["s2", "s3"][:1]

    def test_r15_erasure_renames_the_customer_and_keeps_the_rest(
        self, store: CaseStore, searcher: SearchesCases
    ) -> None:
        commit_world(store, world())
        erasure = Erasure(handles=frozenset({"bo@example.com"}), pseudonym="erased-1")
        store.erase(erasure, T0 + 7 * _H)
        ids = self._ids
        assert ids(searcher, customer="bo@example.com") == []
        assert ids(searcher, customer="erased-1") == ["s3"]
        assert ids(searcher, tags=["vip"]) == ["s1", "s3"]
        assert ids(searcher, updated_since=T0 + 7 * _H) == ["s3"]
        assert ids(searcher, now=T0 + 31 * _H, rag=Rag.RED) == ["s1", "s2", "s3"]

    def test_r15_put_rag_stores_instants_only_at_the_version_given(
        self, store: CaseStore, searcher: SearchesCases
    ) -> None:
        commit_world(store, world())
        s3 = store.get("s3")
        stored = searcher.put_rag(
            [("s3", s3.version, RagTimes(T0, T0 + _H)), ("s4", 99, RagTimes(T0, T0 + _H)),
             ("s5", 1, RagTimes(T0, T0 + 2 * _H)), ("nobody", 1, None)]
        )  # fmt: skip
        assert stored == 2
        ids = self._ids
        assert ids(searcher, now=T0 + 3 * _H, rag=Rag.RED) == ["s3", "s5"]
        assert ids(searcher, now=T0 + 3 * _H, rag=Rag.GREEN) == ["s2", "s4"]
        assert searcher.put_rag([]) == 0
        with pytest.raises(ValidationError):
            searcher.put_rag([("s3", s3.version, None), ("s3", s3.version, None)])
        with pytest.raises(ValidationError):
            searcher.put_rag([("s3", "one", None)])  # type: ignore[list-item]

    def test_r15_equals_the_in_memory_reference_for_any_cases_and_query(self) -> None:
        make, dispose = self.make_store, self.close

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        @given(world=_worlds(), queries=st.lists(_queries(), min_size=1, max_size=4),
               now=_nows(), limit=st.integers(1, 4))  # fmt: skip
        def check(
            world: list[tuple[Case, RagTimes | None]],
            queries: list[CaseQuery],
            now: datetime,
            limit: int,
        ) -> None:
            store = make()
            try:
                if not isinstance(store, SearchesCases):
                    pytest.skip("the store does not provide the optional SearchesCases role")
                reference = InMemoryStore()
                for target in (store, reference):
                    commit_world(target, world)
                for query in queries:
                    assert every_page(store, query, now, limit) == every_page(
                        reference, query, now, limit
                    ), query
                    assert store.find_cases(query, now, limit) == reference.find_cases(
                        query, now, limit
                    ), query
                    if isinstance(store, SummarisesCases):  # R17 too
                        found = store.find_summaries(query, now, limit)
                        assert found == reference.find_summaries(query, now, limit), query
            finally:
                dispose(store)

        check()


def _nows() -> st.SearchStrategy[datetime]:
    return st.integers(-2, 40).map(lambda h: T0 + h * _H)


@st.composite
def _worlds(draw: st.DrawFn) -> list[tuple[Case, RagTimes | None]]:
    world = []
    for n in range(draw(st.integers(0, 12))):
        at = T0 + draw(st.integers(0, 20)) * _H
        case = _case(
            f"w{draw(st.sampled_from(['', 'A', 'é']))}{n}",
            at=at,
            customer=draw(st.sampled_from(_CUSTOMERS)),
            channel=draw(st.sampled_from(_CHANNELS)),
            kind=draw(st.sampled_from(list(FeedbackKind))),
            priority=draw(st.sampled_from(list(Priority))),
            owner=draw(st.sampled_from(_OWNERS)),
            team=draw(st.sampled_from(_TEAMS)),
            tags=draw(st.lists(st.sampled_from(_TAGS), max_size=2)),
            fields=draw(st.sampled_from([{}, {"plan": "pro"}, {"plan": "basic"}])),
        )
        acknowledged = draw(st.booleans())
        if acknowledged:
            case = latte.acknowledge(case, at=at + draw(st.integers(0, 5)) * _H, by="amy")
        if acknowledged and case.kind is FeedbackKind.COMPLAINT and draw(st.booleans()):
            case = latte.explain(
                latte.thank(latte.take_action(case, at=at + 6 * _H, by="amy", summary="Done"),
                            at=at + 6 * _H, by="amy"),
                at=at + 7 * _H, by="amy", what_failed="Courier", what_changes="New one",
            )  # fmt: skip
        amber, red = draw(st.none() | st.integers(0, 10)), draw(st.none() | st.integers(0, 20))
        rag = (
            None
            if draw(st.booleans())
            else RagTimes(
                None if amber is None else at + amber * _H, None if red is None else at + red * _H
            )
        )
        world.append((case, rag))
    return world


@st.composite
def _queries(draw: st.DrawFn) -> CaseQuery:
    def maybe(values: st.SearchStrategy[Any]) -> Any:
        return draw(st.none() | values)

    hours = st.integers(0, 20).map(lambda h: T0 + h * _H)
    owner = maybe(st.sampled_from(["amy", "bo"]))
    given: dict[str, Any] = {
        "owner": owner,
        "unowned": owner is None and draw(st.booleans()),
        "team": maybe(st.sampled_from(["billing", "returns"])),
        "stage": maybe(st.sampled_from([Stage.LISTENED, Stage.ACKNOWLEDGED, Stage.CLOSED])),
        "rag": maybe(st.sampled_from(list(Rag))),
        "priority": maybe(st.sampled_from(list(Priority))),
        "channel": maybe(st.sampled_from(["email", "phone"])),
        "kind": maybe(st.sampled_from(list(FeedbackKind))),
        "tags": draw(st.lists(st.sampled_from(_TAGS), max_size=2)),
        "fields": draw(st.sampled_from([{}, {"plan": "pro"}])),
        "customer": maybe(st.sampled_from(_CUSTOMERS)),
        "opened_since": maybe(hours),
        "opened_until": maybe(st.integers(21, 30).map(lambda h: T0 + h * _H)),
        "updated_since": maybe(st.integers(0, 27).map(lambda h: T0 + h * _H)),
        "closed": draw(st.booleans()),
        "order": draw(st.sampled_from(list(Order))),
    }
    return CaseQuery(**given)
