"""Every filter docs/queues.md lists is served by an index: the plan of each leading filter
(and of each order with no filter) searches ``cases`` (or ``case_labels``) with the index
``closedloop.adapters.search.LEADS`` names, on SQLite and PostgreSQL, and scans no table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from closedloop import SQLiteStore
from closedloop.adapters.postgres import PostgresStore
from closedloop.adapters.postgres.search import statement
from closedloop.adapters.search import LEADS, leading
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.cases.priority import Priority
from closedloop.domain.change import Change
from closedloop.domain.latte import Stage
from closedloop.domain.queues.query import CaseQuery, Order
from closedloop.domain.queues.rag import RagTimes
from closedloop.domain.standards.targets import Rag
from closedloop.ports import CaseStore
from closedloop.testing.conformance.base import T0
from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema

_H = timedelta(hours=1)
NOW = T0 + 100 * _H

#: One query led by each filter, then each order with no filter, open and closed ones.
QUERIES = {
    "customer": CaseQuery(customer="c7@example.com", order=Order.DUE_FIRST),
    "tag": CaseQuery(tags=("vip",), order=Order.RED_FIRST),
    "tags": CaseQuery(tags=("vip", "refund"), team="t1"),
    "field": CaseQuery(fields={"plan": "pro"}),  # type: ignore[arg-type]
    "owner": CaseQuery(owner="agent3", order=Order.DUE_FIRST),
    "team": CaseQuery(team="t2", order=Order.RED_FIRST),
    "team, red": CaseQuery(team="t2", rag=Rag.RED, order=Order.RED_FIRST),
    "unowned": CaseQuery(unowned=True, team=None),
    "stage": CaseQuery(stage=Stage.ACKNOWLEDGED),
    "priority": CaseQuery(priority=Priority.URGENT, order=Order.PRIORITY_THEN_DUE),
    "kind": CaseQuery(kind=FeedbackKind.QUESTION),
    "channel": CaseQuery(channel="phone"),
    "updated": CaseQuery(updated_since=T0 + 50 * _H),
    "opened": CaseQuery(opened_since=T0 + 50 * _H, opened_until=T0 + 60 * _H),
    "rag": CaseQuery(rag=Rag.RED, order=Order.DUE_FIRST),
    "oldest first": CaseQuery(),
    "due first": CaseQuery(order=Order.DUE_FIRST),
    "priority then due": CaseQuery(order=Order.PRIORITY_THEN_DUE),
    "team, closed too": CaseQuery(team="t2", closed=True, order=Order.RED_FIRST),
    "due first, closed too": CaseQuery(closed=True, order=Order.DUE_FIRST),
}


def test_every_leading_filter_has_a_query_here() -> None:
    assert {leading(q) for q in QUERIES.values()} >= {index for _, index in LEADS}


def _fill(store: CaseStore) -> None:
    """600 cases over two tenants: ten teams, ten agents, a few tags, kinds and channels."""
    for tenant in ("default", "other"):
        changes = []
        for i in range(300):
            at = T0 + i * 20 * timedelta(minutes=1)
            feedback = Feedback(
                customer=f"c{i % 50}@example.com", received_at=at, text="Where is it?",
                channel=(Channel.EMAIL, Channel.PHONE, Channel.CHAT)[i % 3],
                kind=(FeedbackKind.COMPLAINT, FeedbackKind.QUESTION)[i % 2],
                tags=["vip"] if i % 7 == 0 else ["refund"] if i % 5 == 0 else [],
                fields={"plan": "pro"} if i % 11 == 0 else {},
            )  # fmt: skip
            case = latte.open_case(
                f"k{i:04}", feedback, at=at, team=f"t{i % 10}",
                owner=None if i % 4 == 0 else f"agent{i % 10}",
                priority=list(Priority)[i % 4],
            )  # fmt: skip
            if i % 3 == 0:
                case = latte.acknowledge(case, at=at + _H, by="amy")
            changes.append(Change(case, 0, rag=RagTimes(at + 3 * _H, at + 4 * _H)))
        store.for_tenant(tenant).commit_many(changes)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path_factory.mktemp("plans") / "search.db") as store:
        _fill(store)
        yield store


@pytest.mark.parametrize("name", list(QUERIES))
def test_sqlite_searches_with_the_leading_filters_index(
    sqlite_store: SQLiteStore, name: str
) -> None:
    query = QUERIES[name]
    plan = sqlite_store.explain_find(query, NOW).splitlines()
    # (A page of open and one of closed cases, merged, scans those pages: "SCAN a".)
    assert not any(step.startswith(("SCAN c", "SCAN l", "SCAN case")) for step in plan), plan
    index = leading(query)
    if index == "case_labels":
        assert any(step.startswith("SEARCH l USING") for step in plan), plan
        assert any("SEARCH c USING PRIMARY KEY" in step for step in plan), plan
    else:
        searches = [step for step in plan if " c USING " in step]
        assert searches, plan
        assert all(f"SEARCH c USING INDEX {index} (tenant=? AND " in s for s in searches), plan


def test_sqlite_a_teams_red_first_page_needs_no_sort(sqlite_store: SQLiteStore) -> None:
    plan = sqlite_store.explain_find(QUERIES["team"], NOW)
    assert plan == "SEARCH c USING INDEX cases_find_team (tenant=? AND team=? AND closed=?)"


@pytest.fixture(scope="module")
def postgres_store() -> Iterator[PostgresStore]:
    dsn, schema = dsn_or_skip(), new_schema()
    try:
        with PostgresStore(dsn, schema=schema) as store:
            _fill(store)
            yield store
    finally:
        drop_schema(dsn, schema)


def _pg_plan(store: PostgresStore, query: CaseQuery) -> str:
    import psycopg

    s = f'"{store.schema}"'
    found = statement(s, "default", query, NOW, 50, None)
    with psycopg.connect(dsn_or_skip(), autocommit=True) as conn:
        for table in ("cases", "case_labels"):
            conn.execute(f"ANALYZE {s}.{table}")
        # Small tables are cheaper to scan whole: forbid that, to see which index is chosen.
        conn.execute("SET enable_seqscan = off")
        rows: list[Any] = conn.execute("EXPLAIN " + found.sql, found.params).fetchall()
    return "\n".join(row[0] for row in rows)


@pytest.mark.postgres
@pytest.mark.parametrize("name", list(QUERIES))
def test_postgres_searches_with_an_index_of_the_filters(
    postgres_store: PostgresStore, name: str
) -> None:
    query = QUERIES[name]
    plan = _pg_plan(postgres_store, query)
    assert "Seq Scan" not in plan, plan
    assert "cases_pkey on" not in plan or "case_labels" in plan, plan
    index = leading(query)
    if index == "case_labels":
        assert "case_labels" in plan, plan
    else:
        assert re.search(r" (using|on) cases_(?!pkey)", plan), plan
