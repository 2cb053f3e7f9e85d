"""The read model reports what replaying every case reports, on demo databases, on every
store: the figures and the JSON document, for the whole run and for past periods."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop import CaseStore, Change, InvitationChange, SQLiteStore, Standard, Standards, Target
from closedloop.adapters.agent_rows import AGENT_TABLES
from closedloop.adapters.read_model import CHILD_TABLES
from closedloop.adapters.sqlite.read_model_schema import READ_MODEL
from closedloop.adapters.sqlite.schema import MIGRATIONS
from closedloop.cli import main
from closedloop.cli.demo import DEMO_START, run_demo
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.labelling import route, tag
from closedloop.domain.reports.facts import basis, case_facts
from closedloop.domain.standards.standard import office_hours
from closedloop.insights import Insights, compute, rebuild_facts, to_json
from closedloop.testing import InMemoryStore
from tests.adapters.search_support import undo_search_sqlite

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FAR = datetime(2999, 1, 1, tzinfo=UTC)
DEMOS = ((8, 1), (20, 3))


@pytest.fixture(scope="module", params=DEMOS, ids=lambda d: f"{d[0]}days-seed{d[1]}")
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    days, seed = request.param
    db = tmp_path_factory.mktemp("demo") / f"demo-{days}-{seed}.db"
    run_demo(db, days=days, seed=seed)
    return db


def periods(db: Path) -> list[tuple[datetime, datetime]]:
    """The whole run, its middle third, a few odd hours, and a period ending in the future."""
    days = int(db.stem.split("-")[1])
    end = DEMO_START + timedelta(days=days)
    third = timedelta(days=days / 3)
    return [
        (DEMO_START, end),
        (DEMO_START + third, end - third),
        (DEMO_START + timedelta(days=2, hours=7), DEMO_START + timedelta(days=5, hours=13)),
        (end - timedelta(days=7), end + timedelta(days=30)),
    ]


def labelled(case: Case, n: int) -> Case:
    """The ``n``-th case moved to a team (or none) and an owner (its own, another, or
    nobody), and tagged, some minutes after its last event (so after some periods' ends)."""
    at = case.events[-1].at + timedelta(minutes=7 * (n % 50))
    owner = (case.owner, "zoe@example.com", None)[n % 3]
    moved = case if n % 5 == 0 else route(
        case, at=at, by="lead", owner=owner, team=("billing", "care", None)[n % 4 % 3]
    )  # fmt: skip
    return tag(moved, at=at, by="lead", add=("billing", "vip", "web")[: n % 4])


def copy_into(
    db: Path, store: CaseStore, *, without_facts: int = 0, labels: bool = True
) -> CaseStore:
    """Every case and invitation of the demo, committed to ``store`` with its facts (all
    but every ``without_facts``-th case, committed without); with ``labels``, each case
    given a team, an owner and tags first (:func:`labelled`)."""
    with SQLiteStore(db) as source:
        customers: set[str] = set()
        for n, found in enumerate(source.cases_active(_EPOCH, DEMO_START + timedelta(days=999))):
            case = labelled(found, n) if labels else found
            bare = without_facts and n % without_facts == 0
            facts = None if bare else case_facts(case, Standards())
            store.commit(Change(case, 0, facts=facts))
            customers.add(case.customer)
        for customer in sorted(customers):
            for invitation in source.invitations_of(customer):
                store.commit(InvitationChange(invitation, 0))
    return store


def assert_same_report(
    store: CaseStore, since: datetime, until: datetime, **options: object
) -> None:
    replayed = compute(store, since, until, replay=True, **options)  # type: ignore[arg-type]
    read = compute(store, since, until, **options)  # type: ignore[arg-type]
    assert read == replayed
    assert to_json(read) == to_json(replayed)
    assert_every_case_counts_once(read)


def assert_every_case_counts_once(insights: Insights) -> None:
    """Each case counts for exactly one owner (or nobody) and one team (or none): the
    scorecards add up to the overall figures; answers about cases count once too."""
    o = insights.overall
    for cards in (insights.by_owner, insights.by_team):
        sections = [c.section for c in cards]
        assert sum(s.opened for s in sections) == o.opened
        assert sum(s.escalated for s in sections) == o.escalated
        assert sum(s.hand_offs for s in sections) == o.hand_offs
        assert sum(c.measured for c in cards) == sum(k.measured for k in o.kpis)
        assert sum(c.nps.answered for c in cards) <= insights.nps.answered


def test_the_sqlite_demo_reports_the_same_from_its_read_model(demo: Path) -> None:
    with SQLiteStore(demo) as store:
        for since, until in periods(demo):
            assert_same_report(store, since, until)


def test_memory_reports_the_same_from_its_read_model(demo: Path) -> None:
    store = copy_into(demo, InMemoryStore())
    for since, until in periods(demo):
        assert_same_report(store, since, until)


def test_cases_without_facts_are_replayed(demo: Path) -> None:
    store = copy_into(demo, InMemoryStore(), without_facts=3)
    for since, until in periods(demo):
        assert_same_report(store, since, until)


def test_other_standards_replay_every_case(demo: Path) -> None:
    hours = office_hours()
    stricter = Standards(rules=(Standard(Target.ACKNOWLEDGE, timedelta(hours=1), hours),))
    store = copy_into(demo, InMemoryStore())
    for since, until in periods(demo):
        assert_same_report(store, since, until, standards=stricter, oldest=3, top=2, examples=1)


@pytest.fixture(scope="module")
def memory_demo(tmp_path_factory: pytest.TempPathFactory) -> InMemoryStore:
    db = tmp_path_factory.mktemp("demo") / "demo-10-7.db"
    run_demo(db, days=10, seed=7)
    store = copy_into(db, InMemoryStore(), without_facts=5)
    assert isinstance(store, InMemoryStore)
    return store


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.integers(min_value=-2 * 24, max_value=12 * 24),
    hours=st.integers(min_value=1, max_value=12 * 24),
)
def test_any_period_reports_the_same(memory_demo: InMemoryStore, start: int, hours: int) -> None:
    since = DEMO_START + timedelta(hours=start)
    assert_same_report(memory_demo, since, since + timedelta(hours=hours))


@pytest.mark.postgres
def test_postgres_reports_the_same_from_its_read_model(demo: Path, postgres: CaseStore) -> None:
    copy_into(demo, postgres, without_facts=4)
    for since, until in periods(demo):
        assert_same_report(postgres, since, until)


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo-5-5.db"
    run_demo(db, days=5, seed=5)
    return db


def test_an_older_sqlite_file_is_migrated_then_back_filled(
    small_demo: Path, tmp_path: Path
) -> None:
    demo = small_demo
    older = tmp_path / "older.db"
    older.write_bytes(demo.read_bytes())
    db = sqlite3.connect(older)  # the file as closedloop wrote it before the read model
    undo_search_sqlite(db)
    for table in ("case_facts", *CHILD_TABLES, *AGENT_TABLES):  # (and before teams)
        db.execute(f"DROP TABLE {table}")
    db.execute(f"PRAGMA user_version = {MIGRATIONS.index(READ_MODEL)}")
    db.commit()
    db.close()
    seen: list[int] = []
    with SQLiteStore(older) as store:
        cases = len(list(store.unsettled(FAR, basis(Standards()))))
        assert cases == len(list(store.cases_active(_EPOCH, FAR))) > 0
        for since, until in periods(demo):
            assert_same_report(store, since, until)  # right before back-filling: replayed
        assert rebuild_facts(store, batch=100, progress=seen.append) == cases
        assert list(store.unsettled(FAR, basis(Standards()))) == []
        for since, until in periods(demo):
            assert_same_report(store, since, until)
    assert seen[-1] == cases
    assert seen == sorted(seen)


def test_a_policy_change_is_caught_up_by_a_rebuild(small_demo: Path, tmp_path: Path) -> None:
    demo = small_demo
    copy = tmp_path / "copy.db"
    copy.write_bytes(demo.read_bytes())
    stricter = Standards(rules=(Standard(Target.ACKNOWLEDGE, timedelta(hours=1), office_hours()),))
    with SQLiteStore(copy) as store:
        cases = len(list(store.cases_active(_EPOCH, FAR)))
        assert rebuild_facts(store, standards=stricter) == cases
        assert list(store.unsettled(FAR, basis(stricter))) == []
        assert len(list(store.unsettled(FAR, basis(Standards())))) == cases
        for since, until in periods(demo):
            assert_same_report(store, since, until, standards=stricter)
            assert_same_report(store, since, until)
    out = io.StringIO()
    assert main(["facts", "--db", str(copy)], out) == 0
    assert out.getvalue() == f"{cases} cases given report facts\n"
    assert main(["facts", "--db", str(copy)], out) == 0
    assert out.getvalue().endswith("\n0 cases given report facts\n")


def test_the_fingerprint_of_a_policy_is_its_content_not_its_identity() -> None:
    def stricter(hours: int) -> Standards:
        return Standards(
            rules=(Standard(Target.ACKNOWLEDGE, timedelta(hours=hours), office_hours()),)
        )

    first = basis(stricter(1))
    assert basis(stricter(1)) == first  # an equal policy, built again: the same basis
    assert basis(stricter(2)) != first
    assert basis(Standards()) == basis(Standards()) != first
    assert len({basis(stricter(h)) for h in range(1, 100)}) == 99  # past the cache's size
