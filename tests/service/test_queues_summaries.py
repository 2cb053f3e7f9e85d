"""desk.queues.summaries: the case list of desk.queues.find as CaseSummary rows, read from
the store's search columns (SummarisesCases) or, on a store without that role, made from
the cases find_cases returns; either way the same cases, order and cursors as find."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from closedloop import (
    BusinessCalendar,
    CaseQuery,
    CaseStore,
    CaseSummary,
    Channel,
    Desk,
    Feedback,
    FeedbackKind,
    Order,
    Policy,
    Rag,
    SQLiteStore,
    Stage,
    Standard,
    Standards,
    SummaryPage,
    Target,
    ValidationError,
)
from closedloop.adapters.postgres.schema import MIGRATIONS as PG_MIGRATIONS
from closedloop.adapters.postgres.search import SUMMARIES as PG_SUMMARIES
from closedloop.adapters.sqlite.schema import MIGRATIONS as SQLITE_MIGRATIONS
from closedloop.adapters.sqlite.search import SUMMARIES as SQLITE_SUMMARIES
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.adapters.search_support import undo_subject
from tests.helpers import START

_QUERIES = [
    CaseQuery(),
    CaseQuery(order=Order.RED_FIRST, closed=True),
    CaseQuery(order=Order.PRIORITY_THEN_DUE),
    CaseQuery(tags=("billing",)),
    CaseQuery(owner="amy", order=Order.DUE_FIRST),
    CaseQuery(rag=Rag.RED),
]


def _busy_desk(store: CaseStore) -> tuple[Desk, ManualClock]:
    """Cases of three kinds, some tagged, acknowledged, owned or closed, over two days."""
    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock)
    kinds = [FeedbackKind.COMPLAINT, FeedbackKind.QUESTION, FeedbackKind.COMPLIMENT]
    for n in range(7):
        feedback = Feedback(
            customer=f"customer{n % 3}@example.com", channel=Channel.EMAIL,
            received_at=clock.now(), text=f"Problem number {n}", kind=kinds[n % 3],
            tags=["Billing"] if n % 2 else [],
        )  # fmt: skip
        case = desk.listen(feedback)
        if n % 3 == 0:
            desk.acknowledge(case.id, by="amy")
        if n == 3:  # a complaint amy acknowledged: closed
            desk.take_action(case.id, by="amy", summary="Refunded")
            desk.thank(case.id, by="amy")
            desk.explain(case.id, by="amy", what_failed="A typo", what_changes="A check")
        if n == 4:
            desk.acknowledge(case.id, by="bo")
        clock.advance(hours=5)
    return desk, clock


def _nul_feedback(clock: ManualClock) -> Feedback:
    """Feedback whose subject holds a NUL, which PostgreSQL's text cannot."""
    return Feedback(
        customer="mary@example.com", channel=Channel.EMAIL, received_at=clock.now(),
        text="Broken\x00 in the middle", tags=["odd"],
    )  # fmt: skip


def _escapes(desk: Desk, clock: ManualClock) -> None:
    """Cases whose snapshots hold the JSON escape of a NUL outside the subject, or a
    backslash and "u0000" in it: their subjects are fine, and kept in their column."""
    for subject, text in (("Clean subject", "A NUL\x00 in the text"), (None, "Literal \\u0000")):
        feedback = Feedback(
            customer="olu@example.com", channel=Channel.EMAIL, received_at=clock.now(),
            text=text, subject=subject, tags=["odd"],
        )  # fmt: skip
        desk.listen(feedback)


def _pages(desk: Desk, query: CaseQuery, limit: int) -> list[SummaryPage]:
    pages, after = [], None
    while True:
        page = desk.queues.summaries(query, limit=limit, after=after)
        pages.append(page)
        if page.next is None:
            return pages
        after = page.next


def _expected(desk: Desk, query: CaseQuery, limit: int) -> list[tuple[list[str], str | None]]:
    found, after = [], None
    while True:
        page = desk.queues.find(query, limit=limit, after=after)
        found.append(([c.id for c in page.cases], page.next))
        if page.next is None:
            return found
        after = page.next


@pytest.mark.parametrize("query", _QUERIES, ids=lambda q: q.describe() or "all")
def test_summaries_list_what_find_lists_and_say_what_the_case_says(
    every_store: CaseStore, query: CaseQuery
) -> None:
    desk, clock = _busy_desk(every_store)
    for _ in range(2):
        pages = _pages(desk, query, 2)
        assert [([s.id for s in p.summaries], p.next) for p in pages] == _expected(desk, query, 2)
        for summary in (s for p in pages for s in p.summaries):
            case = desk.get(summary.id)
            assert (summary.version, summary.customer, summary.subject, summary.stage) == (
                case.version, case.customer, case.subject, case.stage
            )  # fmt: skip
            assert (summary.kind, summary.priority, summary.owner, summary.tags) == (
                case.kind, case.priority, case.owner, case.tags
            )  # fmt: skip
            assert summary.opened_at == case.opened_at
            assert summary.updated_at == case.events[-1].at
            # RAG as the Desk's standards say, read at the clock's now.
            assert summary.rag is (Rag.GREEN if case.is_closed else desk.standards.status(case.id))
        clock.advance(hours=20)


def test_each_rag_lists_exactly_the_cases_summarised_with_it(every_store: CaseStore) -> None:
    desk, _ = _busy_desk(every_store)
    everything = {s.id: s.rag for p in _pages(desk, CaseQuery(), 3) for s in p.summaries}
    assert {Rag.GREEN, Rag.RED} <= set(everything.values())
    for rag in Rag:
        listed = {s.id for p in _pages(desk, CaseQuery(rag=rag), 3) for s in p.summaries}
        assert listed == {i for i, r in everything.items() if r is rag}


class _NoSummaries:
    """A store with SearchesCases but not SummarisesCases (an adapter written before it)."""

    def __init__(self, inner: CaseStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name == "find_summaries":
            raise AttributeError(name)
        return getattr(self._inner, name)


def test_a_store_without_the_role_gets_the_same_summaries_from_its_cases() -> None:
    store = InMemoryStore()
    desk, clock = _busy_desk(store)
    plain = Desk(_NoSummaries(store), RecordingNotifier(), clock=clock)  # type: ignore[arg-type]
    for query in _QUERIES:
        assert _pages(plain, query, 3) == _pages(desk, query, 3)


def test_a_case_without_a_snapshot_is_summarised_from_its_events(tmp_path: Path) -> None:
    path = tmp_path / "loop.db"
    with SQLiteStore(path) as store:
        desk, _ = _busy_desk(store)
        before = _pages(desk, CaseQuery(closed=True), 50)
        raw = sqlite3.connect(path)
        with raw:
            raw.execute("UPDATE cases SET snapshot = NULL")
        raw.close()
        assert _pages(desk, CaseQuery(closed=True), 50) == before
        (first,) = desk.queues.summaries(CaseQuery(stage=Stage.CLOSED, closed=True)).summaries
        assert isinstance(first, CaseSummary)
        assert first.subject == desk.get(first.id).subject


def test_a_query_that_is_not_a_case_query_is_refused() -> None:
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=ManualClock(START))
    with pytest.raises(ValidationError, match="must be a CaseQuery"):
        desk.queues.summaries("team=billing")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="limit"):
        desk.queues.summaries(limit=0)


def test_an_sqlite_file_from_before_summaries_gets_subjects_and_tags_from_its_snapshots(
    tmp_path: Path,
) -> None:
    path = tmp_path / "loop.db"
    with SQLiteStore(path) as store:
        desk, clock = _busy_desk(store)
        desk.listen(_nul_feedback(clock))
        _escapes(desk, clock)
        before = _pages(desk, CaseQuery(closed=True), 3)
    db = sqlite3.connect(path)  # the file as closedloop wrote it before this migration
    undo_subject(db)
    db.execute(f"PRAGMA user_version = {SQLITE_MIGRATIONS.index(SQLITE_SUMMARIES)}")
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        desk = Desk(store, RecordingNotifier(), clock=clock)
        assert _pages(desk, CaseQuery(closed=True), 3) == before
    db = sqlite3.connect(path)
    stored = db.execute(
        "SELECT subject, tags FROM cases ORDER BY subject IS NULL, subject"
    ).fetchall()
    db.close()
    assert stored[:2] == [("Clean subject", "odd"), ("Literal \\u0000", "odd")]
    assert stored[2:4] == [("Problem number 0", ""), ("Problem number 1", "billing")]
    assert stored[-1] == (None, "odd")  # the subject with a NUL: read from the case


@pytest.mark.postgres
def test_a_postgres_schema_from_before_summaries_gets_subjects_and_tags_from_its_snapshots() -> (
    None
):
    import psycopg

    from closedloop import PostgresStore
    from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema

    dsn, schema = dsn_or_skip(), new_schema()
    try:
        with PostgresStore(dsn, schema=schema) as store:
            desk, clock = _busy_desk(store)
            desk.listen(_nul_feedback(clock))
            _escapes(desk, clock)
            before = _pages(desk, CaseQuery(closed=True), 3)
        with psycopg.connect(dsn, autocommit=True) as conn:
            undo_subject(conn, schema)
            conn.execute(
                f'UPDATE "{schema}".schema_version SET version = %s',
                (PG_MIGRATIONS.index(PG_SUMMARIES),),
            )
        with PostgresStore(dsn, schema=schema) as store:
            desk = Desk(store, RecordingNotifier(), clock=clock)
            assert _pages(desk, CaseQuery(closed=True), 3) == before
        with psycopg.connect(dsn) as conn:
            stored = conn.execute(
                f'SELECT subject, tags FROM "{schema}".cases ORDER BY subject IS NULL, subject'
            ).fetchall()
        assert stored[:2] == [("Clean subject", "odd"), ("Literal \\u0000", "odd")]
        assert stored[2:4] == [("Problem number 0", ""), ("Problem number 1", "billing")]
        assert stored[-1] == (None, "odd")  # the subject with a NUL: read from the case
    finally:
        drop_schema(dsn, schema)


def test_a_subject_postgresql_cannot_hold_is_summarised_from_the_case(
    every_store: CaseStore,
) -> None:
    clock = ManualClock(START)
    desk = Desk(every_store, RecordingNotifier(), clock=clock)
    case = desk.listen(_nul_feedback(clock))
    (summary,) = desk.queues.summaries().summaries
    assert (summary.id, summary.subject, summary.tags) == (case.id, case.subject, ("odd",))
    assert "\x00" in summary.subject


def test_filters_given_as_keywords_are_the_case_query_they_make(every_store: CaseStore) -> None:
    desk, _ = _busy_desk(every_store)
    for query in _QUERIES:
        given = {a: getattr(query, a) for a in ("owner", "tags", "rag", "order", "closed")}
        assert _pages(desk, query, 3) == _pages(desk, CaseQuery(**given), 3)
        assert desk.queues.summaries(**given) == desk.queues.summaries(CaseQuery(**given))
    with pytest.raises(ValidationError, match="not both"):
        desk.queues.summaries(CaseQuery(), owner="amy")
    with pytest.raises(ValidationError, match="'bogus' is not a filter") as raised:
        desk.queues.summaries(bogus="x")
    assert raised.value.field == "bogus"


def test_times_are_in_utc_from_every_store(every_store: CaseStore) -> None:
    berlin = BusinessCalendar.weekdays(zone="Europe/Berlin")
    policy = Policy(
        standards=Standards(rules=[Standard(Target.ACKNOWLEDGE, within=timedelta(hours=2),
                                            calendar=berlin)])
    )  # fmt: skip
    clock = ManualClock(START)
    desk = Desk(every_store, RecordingNotifier(), clock=clock, policy=policy)
    case = desk.listen(_nul_feedback(clock))
    (summary,) = desk.queues.summaries().summaries
    due = min(d.due_at for d in desk.standards.deadlines(case.id) if d.due_at is not None)
    assert summary.red_at == due
    for at in (summary.opened_at, summary.updated_at, summary.red_at):
        assert at is not None
        assert at.utcoffset() == timedelta(0)
        assert at.tzname() == "UTC"
