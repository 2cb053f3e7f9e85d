"""SQLiteStore: its own guarantees (pragmas, migrations, query plans, several processes,
crashes), and agreement with the in-memory reference."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop import (
    Case,
    CaseNotFoundError,
    Channel,
    ClosedLoopError,
    ConcurrencyError,
    DuplicateExternalIdError,
    Feedback,
    FeedbackKind,
    MessageNotFoundError,
    NaiveDatetimeError,
    Notification,
    SchemaVersionError,
    StorageError,
    ValidationError,
)
from closedloop.adapters.sqlite import SCHEMA_VERSION, SQLiteStore
from closedloop.adapters.sqlite import schema as sqlite_module
from closedloop.domain.cases import steps as domain
from closedloop.domain.cases.case import replay
from closedloop.domain.change import Change
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, strategies
from closedloop.testing.conformance import Capabilities, CaseStoreContract
from tests.helpers import START, make_feedback

PROCESS_TIMEOUT = 60


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "closedloop.db"


@pytest.fixture
def sqlite_store(path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(path) as store:
        yield store


def new_case(
    case_id: str | None = None,
    *,
    due_at: datetime | None = None,
    customer: str = "mary@example.com",
    external_id: str | None = None,
) -> Case:
    return domain.open_case(
        case_id or uuid.uuid4().hex,
        make_feedback(customer=customer, external_id=external_id),
        at=START,
        due_at=due_at,
    )


def notification(case: Case, key: str, created_at: datetime = START) -> Notification:
    return Notification(
        key=key,
        case_id=case.id,
        to=case.customer,
        channel=case.reply_channel,
        purpose="acknowledgement",
        subject="We have it",
        body="Amy is on it.",
        created_at=created_at,
    )


def raw(path: Path, sql: str) -> Any:
    db = sqlite3.connect(path)
    try:
        row = db.execute(sql).fetchone()
        return None if row is None else row[0]
    finally:
        db.close()


class TestSQLiteStore(CaseStoreContract):
    """Every requirement of docs/storage.md, on a file."""

    capabilities = Capabilities(concurrent_writers=True, persistent=True)

    def make_store(self) -> CaseStore:
        return SQLiteStore(Path(tempfile.mkdtemp(prefix="closedloop-")) / "cases.db")

    def reopen(self, store: CaseStore) -> CaseStore:
        assert isinstance(store, SQLiteStore)
        return SQLiteStore(store.path, tenant=store.tenant)

    def close(self, store: CaseStore) -> None:
        assert isinstance(store, SQLiteStore)
        store.close()
        shutil.rmtree(Path(store.path).parent, ignore_errors=True)


class TestSQLiteStoreInMemory(CaseStoreContract):
    """The same, on ":memory:" (no WAL, no file)."""

    def make_store(self) -> CaseStore:
        return SQLiteStore()


# -- pragmas ------------------------------------------------------------------------------------


def test_a_file_store_runs_in_wal_with_full_sync(sqlite_store: SQLiteStore) -> None:
    pragmas = sqlite_store.pragmas()
    assert pragmas["journal_mode"] == "wal"
    assert pragmas["synchronous"] == 2  # FULL
    assert pragmas["foreign_keys"] == 1
    assert pragmas["busy_timeout"] == 30_000
    assert pragmas["cache_size"] == -64 * 1024  # KiB: 64 MiB


def test_synchronous_and_busy_timeout_are_honoured(path: Path) -> None:
    with SQLiteStore(path, synchronous="normal", busy_timeout=2.5) as store:
        assert store.pragmas()["synchronous"] == 1
        assert store.pragmas()["busy_timeout"] == 2_500


@pytest.mark.parametrize("value", ["FAST", "", "2", None])
def test_a_bad_synchronous_value_is_refused(path: Path, value: Any) -> None:
    with pytest.raises(ValidationError, match="synchronous must be one of OFF, NORMAL"):
        SQLiteStore(path, synchronous=value)
    assert not path.exists()


def test_the_page_cache_is_the_size_asked_for(path: Path) -> None:
    with SQLiteStore(path, cache_mib=0.5) as store:
        assert store.pragmas()["cache_size"] == -512


@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), 1 << 20, "64", True])
def test_a_bad_cache_size_is_refused(path: Path, value: Any) -> None:
    with pytest.raises(ValidationError, match="cache_mib must be MiB >= 0"):
        SQLiteStore(path, cache_mib=value)
    assert not path.exists()


@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), "30", True])
def test_a_bad_busy_timeout_is_refused(path: Path, value: Any) -> None:
    with pytest.raises(ValidationError, match="busy_timeout"):
        SQLiteStore(path, busy_timeout=value)


def test_an_in_memory_store_works_without_wal() -> None:
    with SQLiteStore() as store:
        assert store.pragmas()["journal_mode"] == "memory"
        case = new_case()
        store.commit(Change(case, 0))
        assert store.get(case.id) == case


# -- migrations ---------------------------------------------------------------------------------


def test_a_new_file_gets_the_latest_schema(sqlite_store: SQLiteStore, path: Path) -> None:
    assert SCHEMA_VERSION == len(sqlite_module.MIGRATIONS) >= 1
    assert sqlite_store.pragmas()["user_version"] == SCHEMA_VERSION
    assert raw(path, "PRAGMA user_version") == SCHEMA_VERSION


def test_reopening_keeps_schema_and_data(path: Path) -> None:
    case = new_case()
    with SQLiteStore(path) as store:
        store.commit(Change(case, 0))
    schema = raw(path, "SELECT group_concat(sql, ';') FROM sqlite_master")
    with SQLiteStore(path) as store:
        assert store.get(case.id) == case
    assert raw(path, "SELECT group_concat(sql, ';') FROM sqlite_master") == schema
    assert raw(path, "PRAGMA user_version") == SCHEMA_VERSION


def test_an_older_file_gets_only_the_missing_migrations(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = new_case()
    with SQLiteStore(path) as store:
        store.commit(Change(case, 0))
    step = ("ALTER TABLE cases ADD COLUMN note TEXT", "UPDATE cases SET note = 'migrated'")
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (*sqlite_module.MIGRATIONS, step))
    monkeypatch.setattr(sqlite_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with SQLiteStore(path) as store:
        assert store.pragmas()["user_version"] == SCHEMA_VERSION + 1
        assert store.get(case.id) == case
    assert raw(path, "SELECT note FROM cases") == "migrated"
    # Applied once: adding the column again would fail.
    with SQLiteStore(path) as store:
        assert store.get(case.id) == case


def test_a_failing_migration_changes_nothing(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with SQLiteStore(path):
        pass
    step = ("CREATE TABLE extra (x)", "THIS IS NOT SQL")
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (*sqlite_module.MIGRATIONS, step))
    monkeypatch.setattr(sqlite_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StorageError):
        SQLiteStore(path)
    assert raw(path, "PRAGMA user_version") == SCHEMA_VERSION
    assert raw(path, "SELECT count(*) FROM sqlite_master WHERE name = 'extra'") == 0


def test_a_file_from_a_newer_closedloop_is_refused_and_left_alone(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE future (x)")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(SchemaVersionError, match="upgrade closedloop") as caught:
        SQLiteStore(path)
    assert (caught.value.found, caught.value.supported) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_a_file_that_is_not_sqlite_is_a_storage_error(path: Path) -> None:
    path.write_bytes(b"these are not the pages you are looking for\n" * 200)
    with pytest.raises(StorageError, match="is it a SQLite file") as caught:
        SQLiteStore(path)
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)
    assert str(path) in str(caught.value)


def test_a_file_another_process_holds_locked_says_so(path: Path) -> None:
    """Found by a newcomer's upgrade probe: waiting out another process's long migration
    said "is it a SQLite file?"."""
    with SQLiteStore(path):
        pass
    other = sqlite3.connect(path, isolation_level=None)
    other.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")  # an older file...
    other.execute("BEGIN EXCLUSIVE")  # ...that another process is migrating
    try:
        with pytest.raises(StorageError, match="locked by another connection") as caught:
            SQLiteStore(path, busy_timeout=0.05)
        assert "is it a SQLite file" not in str(caught.value)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_migration_another_process_finished_meanwhile_is_not_logged(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by a newcomer's upgrade probe: a second process logged "schema migrated from
    version 15 to 15" after waiting for the first's migration."""
    with SQLiteStore(path):
        pass
    db = sqlite3.connect(path, isolation_level=None)
    with caplog.at_level("INFO", logger="closedloop.storage.sqlite"):
        sqlite_module._migrate(db)  # as if it had found an older version before the lock
    db.close()
    assert [r.getMessage() for r in caplog.records if "migrated" in r.getMessage()] == []
    assert raw(path, "PRAGMA user_version") == SCHEMA_VERSION


def test_an_unopenable_path_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        SQLiteStore(tmp_path / "no" / "such" / "dir" / "x.db")


# -- the due query's plan -----------------------------------------------------------------------


def test_the_due_query_reads_only_its_partial_index(sqlite_store: SQLiteStore) -> None:
    changes = []
    for i in range(3_000):
        case = new_case(f"c{i:05}", due_at=START + timedelta(minutes=i))
        if i % 3 == 0:
            case = domain.acknowledge(case, at=START, by="amy", due_at=START + timedelta(days=1))
        changes.append(Change(case, 0))
    sqlite_store.commit_many(changes)
    plan = sqlite_store.explain_due_query(START + timedelta(hours=1))
    # Covering: the query never walks the cases' rows, snapshots and all, to read a version.
    assert "SEARCH cases USING COVERING INDEX cases_due" in plan, plan
    assert not any(line.startswith("SCAN cases") for line in plan.splitlines()), (
        plan
    )  # a full scan of cases
    due = sqlite_store.due(START + timedelta(hours=1), limit=10)
    assert [c.id for c in due] == [f"c{i:05}" for i in (1, 2, 4, 5, 7, 8, 10, 11, 13, 14)]


# -- round trips --------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(strategies.cases())
def test_any_case_reads_back_equal(case: Case) -> None:
    with SQLiteStore() as store:
        first = replay(case.events[:1])
        store.commit(Change(first, 0))
        if case.version > 1:
            store.commit(Change(case, 1))
        back = store.get(case.id)
        assert back == case
        assert [e.at.utcoffset() for e in back.events] == [e.at.utcoffset() for e in case.events]
        assert store.cases_of(case.customer) == [case]
        external_id = case.messages[0].external_id
        if external_id is not None:
            assert store.find_by_external_id(external_id) == case


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(strategies.cases(), min_size=1, max_size=6, unique_by=lambda c: c.id))
def test_cases_survive_closing_and_reopening_a_file(tmp_path: Path, cases: list[Case]) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.db"
    with SQLiteStore(path, synchronous="OFF") as store:
        store.commit_many([Change(c, 0) for c in cases])
    with SQLiteStore(path) as store:
        for case in cases:
            assert store.get(case.id) == case


def test_unicode_zones_and_offsets_survive_a_file(path: Path) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    before_dst = datetime(2026, 3, 28, 23, 0, tzinfo=berlin)  # +01:00
    feedback = Feedback(
        customer="مريم 🧕 mary@example.com",
        channel=Channel.custom("whatsapp", public=False, written=True),
        received_at=before_dst,
        text="הזמנה 42 הגיעה שבורה 📦💥 — Zoë's order",
        kind=FeedbackKind.COMPLAINT,
        score=0,
        external_id="wamid.ÄÖÜ-✓",
        subject="Bestellung kaputt ✗",
    )
    case = domain.open_case(
        "case-🙂", feedback, at=before_dst, due_at=datetime(2026, 3, 29, 3, 30, tzinfo=berlin)
    )
    case = domain.acknowledge(
        case,
        at=datetime(2026, 3, 29, 4, 0, tzinfo=berlin),  # +02:00, after the change
        by="Amélie Ñúñez",
        next_contact_by=datetime(
            2026, 3, 30, 9, 0, tzinfo=timezone(timedelta(hours=-3, minutes=-30))
        ),
    )
    case = domain.take_action(
        case, at=datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=berlin), by="amy", summary="✔ ersetzt"
    )
    with SQLiteStore(path) as store:
        store.commit(Change(case, 0))
    with SQLiteStore(path) as store:
        back = store.get(case.id)
        assert back == case
        assert back.events[-1].at.fold == 1
        assert back.events[1].at.tzinfo == berlin
        assert back.messages[0].channel == Channel.custom("whatsapp")
        assert store.find_by_external_id("wamid.ÄÖÜ-✓") == case
        assert store.cases_of("مريم 🧕 mary@example.com") == [case]


def test_text_that_is_not_unicode_is_refused(sqlite_store: SQLiteStore) -> None:
    # Feedback refuses it on construction; an id looked up is checked at the boundary.
    with pytest.raises(ValidationError, match="not valid Unicode"):
        new_case(customer="bad \udcff byte")
    with pytest.raises(ValidationError, match="not valid Unicode"):
        sqlite_store.get("bad \udcff id")


# -- commits ------------------------------------------------------------------------------------


def test_a_stale_commit_changes_nothing(sqlite_store: SQLiteStore) -> None:
    case = new_case()
    sqlite_store.commit(Change(case, 0))
    acked = domain.acknowledge(case, at=START, by="amy")
    sqlite_store.commit(Change(acked, 1, (notification(acked, "k1"),)))
    rival = domain.assign(case, at=START, by="lead", owner="bo")
    with pytest.raises(ConcurrencyError) as caught:
        sqlite_store.commit(Change(rival, 1, (notification(rival, "k2"),)))
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    with pytest.raises(ConcurrencyError) as again:
        sqlite_store.commit(Change(case, 0))
    assert (again.value.expected, again.value.actual) == (0, 2)
    assert sqlite_store.get(case.id) == acked
    with pytest.raises(MessageNotFoundError):
        sqlite_store.outbox_message("k2")


def test_a_batch_is_all_or_nothing(sqlite_store: SQLiteStore) -> None:
    held = new_case("held", external_id="delivery-1")
    sqlite_store.commit(Change(held, 0))
    fresh = new_case("fresh", due_at=START)
    clash = new_case("clash", external_id="delivery-1")
    with pytest.raises(DuplicateExternalIdError) as caught:
        sqlite_store.commit_many(
            [Change(fresh, 0, (notification(fresh, "n-fresh"),)), Change(clash, 0)]
        )
    assert (caught.value.case_id, caught.value.external_id) == ("clash", "delivery-1")
    stale = Change(new_case("held"), 0)
    with pytest.raises(ConcurrencyError):
        sqlite_store.commit_many([Change(fresh, 0), stale])
    for case_id in ("fresh", "clash"):
        with pytest.raises(CaseNotFoundError):
            sqlite_store.get(case_id)
    with pytest.raises(MessageNotFoundError):
        sqlite_store.outbox_message("n-fresh")
    assert sqlite_store.due(START + timedelta(days=1)) == []
    assert sqlite_store.find_by_external_id("delivery-1") == held


def test_one_batch_may_not_give_one_external_id_to_two_cases(sqlite_store: SQLiteStore) -> None:
    a, b = new_case("a", external_id="x"), new_case("b", external_id="x")
    with pytest.raises(DuplicateExternalIdError):
        sqlite_store.commit_many([Change(a, 0), Change(b, 0)])
    assert sqlite_store.find_by_external_id("x") is None


def test_a_duplicate_notification_key_keeps_the_first(sqlite_store: SQLiteStore) -> None:
    a, b = new_case("a"), new_case("b")
    sqlite_store.commit(Change(a, 0, (notification(a, "same"),)))
    sqlite_store.commit(Change(b, 0, (notification(b, "same"),)))
    assert sqlite_store.outbox_message("same").notification.case_id == "a"


# -- queries and the outbox ---------------------------------------------------------------------


def test_queries_order_by_instant_then_id(sqlite_store: SQLiteStore) -> None:
    plus5 = timezone(timedelta(hours=5))
    berlin = ZoneInfo("Europe/Berlin")
    # 10:00+05:00 is 05:00 UTC: earlier than 06:00 UTC though its text sorts later.
    due = {
        "d": datetime(2026, 1, 1, 6, 0, tzinfo=UTC),
        "c": datetime(2026, 1, 1, 10, 0, tzinfo=plus5),
        "b": datetime(2026, 1, 1, 6, 0, tzinfo=berlin),  # 05:00 UTC too: a tie, by id
        "a": datetime(2026, 1, 1, 7, 0, tzinfo=UTC),
    }
    for case_id, at in due.items():
        case = domain.open_case(case_id, make_feedback(), at=at, due_at=at)
        sqlite_store.commit(Change(case, 0))
    closed = new_case("closed", due_at=START)
    closed = domain.acknowledge(closed, at=START, by="amy")
    sqlite_store.commit(Change(closed, 0))
    cutoff = datetime(2026, 1, 1, 7, 0, tzinfo=UTC)
    assert [c.id for c in sqlite_store.due(cutoff)] == ["b", "c", "d"]
    assert [c.id for c in sqlite_store.due(cutoff, limit=2)] == ["b", "c"]
    assert [c.id for c in sqlite_store.unanswered()] == ["b", "c", "d", "a"]
    assert [c.id for c in sqlite_store.cases_of("mary@example.com")] == [
        "b", "c", "d", "a", "closed"
    ]  # fmt: skip


def test_the_outbox_lifecycle(sqlite_store: SQLiteStore) -> None:
    case = new_case()
    later = START + timedelta(minutes=1)
    lease = timedelta(minutes=10)
    sqlite_store.commit(
        Change(case, 0, (notification(case, "new", later), notification(case, "old", START)))
    )
    assert sqlite_store.outbox_claim(START - timedelta(seconds=1)) == []
    # Oldest first by creation, though "new" sorts before "old".
    assert [m.key for m in sqlite_store.outbox_claim(later, limit=1, lease=lease)] == ["old"]
    claimed = sqlite_store.outbox_claim(later, lease=lease)
    assert [(m.key, m.next_attempt_at) for m in claimed] == [("new", later)]  # as before the lease
    assert sqlite_store.outbox_claim(later + timedelta(minutes=9)) == []  # both leased
    assert sqlite_store.outbox_message("new").next_attempt_at == later + lease

    sqlite_store.mark_sent("old", later)
    sqlite_store.mark_sent("old", later + timedelta(hours=1))  # no-op
    sqlite_store.mark_failed("old", later, "late echo", None)  # no-op
    sent = sqlite_store.outbox_message("old")
    assert (sent.status.value, sent.attempts, sent.sent_at, sent.next_attempt_at) == (
        "sent", 1, later, None
    )  # fmt: skip

    retry = later + timedelta(minutes=30)
    sqlite_store.mark_failed("new", later, "smtp down", retry)
    failed = sqlite_store.outbox_message("new")
    assert (failed.status.value, failed.attempts, failed.last_error) == ("pending", 1, "smtp down")
    assert [m.key for m in sqlite_store.outbox_claim(retry)] == ["new"]
    sqlite_store.mark_failed("new", retry, "still down", None)
    assert [(m.key, m.attempts) for m in sqlite_store.dead_letters()] == [("new", 2)]
    sqlite_store.mark_failed("new", retry, "late echo", retry)  # dead stays dead
    assert [(m.key, m.attempts) for m in sqlite_store.dead_letters()] == [("new", 2)]
    assert sqlite_store.outbox_claim(retry + timedelta(days=1)) == []

    sqlite_store.requeue("new", retry)
    sqlite_store.requeue("old", retry)  # not dead: no-op
    again = sqlite_store.outbox_message("new")
    assert (again.status.value, again.attempts, again.next_attempt_at) == ("pending", 0, retry)
    assert sqlite_store.dead_letters() == []
    assert sqlite_store.outbox_message("old") == sent


# -- tenants, closing, bad arguments ------------------------------------------------------------


def test_tenants_share_the_file_but_nothing_else(sqlite_store: SQLiteStore) -> None:
    acme = sqlite_store.for_tenant("acme")
    assert (sqlite_store.tenant, acme.tenant) == ("default", "acme")
    ours = new_case("same-id", external_id="x", due_at=START)
    theirs = new_case("same-id", external_id="x", due_at=START, customer="other")
    sqlite_store.commit(Change(ours, 0, (notification(ours, "k"),)))
    acme.commit(Change(theirs, 0, (notification(theirs, "k"),)))
    later = START + timedelta(hours=1)
    assert sqlite_store.get("same-id") == ours
    assert acme.get("same-id") == theirs
    assert sqlite_store.find_by_external_id("x") == ours
    assert acme.find_by_external_id("x") == theirs
    assert acme.cases_of("mary@example.com") == []
    assert [acme.get(d.id).customer for d in acme.due(later)] == ["other"]
    assert acme.outbox_message("k").notification.to == "other"
    sqlite_store.mark_sent("k", later)
    assert [m.notification.to for m in acme.outbox_claim(later)] == ["other"]
    assert sqlite_store.outbox_claim(later) == []
    with pytest.raises(CaseNotFoundError):
        sqlite_store.for_tenant("globex").get("same-id")


def test_closing_closes_every_view(path: Path) -> None:
    with SQLiteStore(path) as store:
        view = store.for_tenant("acme")
        assert "acme" in repr(view)
    with pytest.raises(StorageError):
        view.get("x")
    store.close()  # twice is fine


def test_bad_arguments_are_refused(sqlite_store: SQLiteStore) -> None:
    with pytest.raises(ValidationError):
        SQLiteStore(tenant=" ")
    with pytest.raises(ValidationError):
        sqlite_store.due(START, limit=0)
    with pytest.raises(ValidationError):
        sqlite_store.unanswered(limit=True)
    with pytest.raises(NaiveDatetimeError):
        sqlite_store.due(datetime(2026, 1, 1))
    with pytest.raises(NaiveDatetimeError):
        sqlite_store.outbox_claim(datetime(2026, 1, 1))
    with pytest.raises(CaseNotFoundError):
        sqlite_store.get("nope")
    for call in (
        lambda: sqlite_store.outbox_message("nope"),
        lambda: sqlite_store.mark_sent("nope", START),
        lambda: sqlite_store.mark_failed("nope", START, "boom", None),
        lambda: sqlite_store.requeue("nope", START),
    ):
        with pytest.raises(MessageNotFoundError):
            call()


# -- the same answers as the in-memory reference ------------------------------------------------


@st.composite
def histories(draw: st.DrawFn) -> list[Change]:
    """Changes that build a few cases step by step, some with notifications."""
    cases = draw(st.lists(strategies.cases(max_steps=5), max_size=6, unique_by=lambda c: c.id))
    changes: list[Change] = []
    for case in cases:
        cuts = sorted(draw(st.sets(st.integers(1, case.version), max_size=2)) - {case.version})
        done = 0
        for cut in [*cuts, case.version]:
            at = draw(strategies.aware_datetimes())
            notes = draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=2, unique=True))
            step = replay(case.events[:cut])
            changes.append(
                Change(step, done, tuple(notification(step, f"{case.id}/{n}", at) for n in notes))
            )
            done = cut
    return changes


def agree(reference: InMemoryStore, store: SQLiteStore, call: Callable[[Any], Any]) -> Any:
    """Make the same call on both stores; they must return, or fail, alike."""
    outcomes = []
    for target in (reference, store):
        try:
            outcomes.append(call(target))
        except ClosedLoopError as exc:
            outcomes.append((type(exc), exc.args))
    assert outcomes[1] == outcomes[0]
    return outcomes[0]


@settings(max_examples=60, deadline=None)
@given(histories(), st.data())
def test_answers_match_the_in_memory_reference(changes: list[Change], data: st.DataObject) -> None:
    reference = InMemoryStore()
    with SQLiteStore() as store:

        def check(call: Callable[[Any], Any]) -> Any:
            return agree(reference, store, call)

        if data.draw(st.booleans()):
            for change in changes[::2]:
                check(lambda s, c=change: s.commit(c))
            check(lambda s: s.commit_many(changes[1::2]))
        else:
            for change in changes:
                check(lambda s, c=change: s.commit(c))

        for case_id in {c.case.id for c in changes}:
            check(lambda s, i=case_id: s.get(i))
        for customer in {c.case.customer for c in changes}:
            check(lambda s, who=customer: s.cases_of(who))
        limit = data.draw(st.integers(1, 8))
        check(lambda s: s.unanswered(limit))
        for _ in range(3):
            before = data.draw(strategies.aware_datetimes())
            check(lambda s, b=before: s.due(b, limit))

        keys = [n.key for c in changes for n in c.notifications] + ["missing"]
        # In UTC, so that leases and retries (now + ...) never land in a DST fold.
        now = data.draw(strategies.aware_datetimes()).astimezone(UTC)
        for _ in range(data.draw(st.integers(0, 12))):
            op = data.draw(st.sampled_from(["claim", "sent", "failed", "dead", "requeue"]))
            key = data.draw(st.sampled_from(keys))
            now += data.draw(st.timedeltas(timedelta(0), timedelta(days=400)))
            if op == "claim":
                check(lambda s, t=now: s.outbox_claim(t, limit, timedelta(hours=1)))
            elif op == "sent":
                check(lambda s, k=key, t=now: s.mark_sent(k, t))
            elif op == "failed":
                check(lambda s, k=key, t=now: s.mark_failed(k, t, "boom", t + timedelta(1)))
            elif op == "dead":
                check(lambda s, k=key, t=now: s.mark_failed(k, t, "gone", None))
            else:
                check(lambda s, k=key, t=now: s.requeue(k, t))
            check(lambda s: s.dead_letters(limit))
        for key in keys:
            check(lambda s, k=key: s.outbox_message(k))


# -- threads and processes ----------------------------------------------------------------------


def spawn(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_together(children: list[subprocess.Popen[str]]) -> list[str]:
    """Wait until every child says it is ready, let them all go, return what they print."""
    try:
        for child in children:
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line == "ready\n", line + (child.stderr.read() if child.stderr else "")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = []
        for child in children:
            out, err = child.communicate(timeout=PROCESS_TIMEOUT)
            assert child.returncode == 0, err
            outputs.append(out.strip())
        return outputs
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
            child.communicate()


COMMIT_ONE_STEP = """
import sys
from closedloop import ConcurrencyError
from closedloop.adapters.sqlite import SQLiteStore
from closedloop.domain.cases import steps as domain
from closedloop.domain.change import Change

path, case_id, me = sys.argv[1:]
store = SQLiteStore(path)
case = store.get(case_id)
moved = domain.acknowledge(case, at=case.opened_at, by=me)
print("ready", flush=True)
sys.stdin.readline()
try:
    store.commit(Change(moved, case.version))
    print("committed")
except ConcurrencyError as exc:
    print(f"conflict {exc.expected} {exc.actual}")
"""


def test_two_processes_committing_one_version_one_wins(path: Path) -> None:
    case = new_case()
    with SQLiteStore(path) as store:
        store.commit(Change(case, 0))
    children = [spawn(COMMIT_ONE_STEP, str(path), case.id, name) for name in ("amy", "bo")]
    outputs = start_together(children)
    assert sorted(outputs) == ["committed", "conflict 1 2"]
    winner = ("amy", "bo")[outputs.index("committed")]
    with SQLiteStore(path) as store:
        stored = store.get(case.id)
    assert stored.version == 2
    assert stored.owner == winner


LISTEN_ONCE = """
import sys
from closedloop import Desk
from closedloop.adapters.sqlite import SQLiteStore
from closedloop.testing import RecordingNotifier
from tests.helpers import make_feedback

desk = Desk(SQLiteStore(sys.argv[1]), RecordingNotifier())
print("ready", flush=True)
sys.stdin.readline()
print(desk.listen(make_feedback(external_id="webhook-7")).id)
"""


def test_processes_listening_to_one_delivery_make_one_case(path: Path) -> None:
    SQLiteStore(path).close()  # create the schema once, so the race is about the case
    outputs = start_together([spawn(LISTEN_ONCE, str(path)) for _ in range(4)])
    assert len(set(outputs)) == 1, outputs
    with SQLiteStore(path) as store:
        assert [c.id for c in store.cases_of("mary@example.com")] == outputs[:1]


OPEN_AT_ONCE = """
import sys
from closedloop.adapters.sqlite import SQLiteStore
print("ready", flush=True)
sys.stdin.readline()
with SQLiteStore(sys.argv[1]) as store:
    print(store.pragmas()["user_version"])
"""


def test_processes_creating_one_file_at_once_migrate_it_once(path: Path) -> None:
    outputs = start_together([spawn(OPEN_AT_ONCE, str(path)) for _ in range(4)])
    assert outputs == [str(SCHEMA_VERSION)] * 4
    assert raw(path, "PRAGMA integrity_check") == "ok"
