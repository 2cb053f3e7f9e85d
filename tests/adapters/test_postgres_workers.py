"""PostgresStore under many worker processes, against the real server: sweepers share the
work (sweeping at the same time, never racing for a case), a killed dispatcher is taken
over, one of two writers wins, tenants stay apart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from closedloop import CaseNotFoundError, ConcurrencyError, Delivery, Desk
from closedloop.adapters.postgres import PostgresStore
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.case import apply
from closedloop.domain.cases.events import Escalated
from closedloop.domain.change import Change
from closedloop.testing import ManualClock, RecordingNotifier
from tests.adapters.postgres_support import app_role
from tests.adapters.sweepers import run_children, sweep_together
from tests.helpers import START, make_feedback

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("workers", [2, 8])
def test_sweepers_share_the_work_and_escalate_every_case_exactly_once_with_one_alert(
    dsn: str, schema: str, workers: int, tmp_path: Path
) -> None:
    cases = 1_000
    with PostgresStore(dsn, schema=schema) as store:
        desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
        ids = {
            c.id for c in desk.listen_many(make_feedback(customer=f"c{i}") for i in range(cases))
        }
    late = START + timedelta(hours=4, seconds=1)  # past the acknowledgement standard
    counts = sweep_together(
        "postgres", workers, tmp_path / "gate", dsn, schema, now=late.isoformat()
    )
    assert sum(escalated for escalated, _ in counts) == cases  # none missed, none twice
    assert [conflicts for _, conflicts in counts] == [0] * workers  # claimed: never raced

    with PostgresStore(dsn, schema=schema) as store:
        assert {store.get(i).escalation_level for i in ids} == {1}
        alerts = store.outbox_claim(late + timedelta(days=1), limit=10 * cases)
        escalations = [m.notification for m in alerts if m.notification.purpose == "escalation"]
        assert len(escalations) == cases
        assert {n.case_id for n in escalations} == ids


DISPATCHER = """
import sys, time
from closedloop import Desk
from closedloop.adapters.postgres import PostgresStore

dsn, schema, marker = sys.argv[1:4]

class Hanging:
    def send(self, notification):
        with open(marker, "w") as f:
            f.write(notification.key)
        time.sleep(600)

Desk(PostgresStore(dsn, schema=schema), Hanging()).outbox.dispatch()
"""


def test_a_killed_dispatcher_is_taken_over_after_the_lease_with_the_same_key(
    dsn: str, schema: str, tmp_path: Path
) -> None:
    clock = ManualClock(datetime.now(UTC))
    with PostgresStore(dsn, schema=schema) as store:
        desk = Desk(store, RecordingNotifier(), clock=clock)
        case = desk.listen(make_feedback())
        desk.acknowledge(case.id, by="Amy")
    key = f"{case.id}/2/acknowledgement"
    marker = tmp_path / "claimed"
    child = subprocess.Popen([sys.executable, "-c", DISPATCHER, dsn, schema, str(marker)])
    try:
        deadline = time.monotonic() + 30
        # Until the key is written, not only the file made: a kill in between left it empty.
        while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), "the child never reached the notifier"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert marker.read_text() == key

    notifier = RecordingNotifier()
    with PostgresStore(dsn, schema=schema) as store:
        assert store.outbox_message(key).status is Delivery.PENDING  # claimed, never marked
        clock = ManualClock(datetime.now(UTC))
        desk = Desk(store, notifier, clock=clock)
        assert desk.outbox.dispatch().sent == ()  # the killed worker's lease still holds
        clock.advance(timedelta(minutes=5, seconds=1))
        assert desk.outbox.dispatch().sent == (key,)
        assert store.outbox_message(key).status is Delivery.SENT
    assert [n.key for n in notifier.sent] == [key]


WRITER = """
import sys
from datetime import datetime
from closedloop import ConcurrencyError
from closedloop.adapters.postgres import PostgresStore
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.case import apply
from closedloop.domain.change import Change

store = PostgresStore(sys.argv[1], schema=sys.argv[2])
case = store.get("c1")
moved = latte.assign(case, at=datetime.fromisoformat(sys.argv[3]), by="x", owner=sys.argv[4])
print("ready", flush=True)
sys.stdin.readline()
try:
    store.commit(Change(moved, case.version))
    print("won", flush=True)
except ConcurrencyError as error:
    print("lost", error.expected, error.actual, flush=True)
"""


def test_two_processes_commit_one_version_one_wins(dsn: str, schema: str) -> None:
    with PostgresStore(dsn, schema=schema) as store:
        store.commit(Change(latte.open_case("c1", make_feedback(), at=START), 0))
    outputs = run_children(
        WRITER, [[dsn, schema, START.isoformat(), owner] for owner in ("ann", "bob")]
    )
    assert sorted(o.split()[0] for o in outputs) == ["lost", "won"]
    assert [o.split()[1:] for o in outputs if o.startswith("lost")] == [["1", "2"]]
    with PostgresStore(dsn, schema=schema) as store:
        assert store.get("c1").version == 2


def test_a_second_escalation_at_one_level_is_refused_by_the_database(dsn: str, schema: str) -> None:
    with PostgresStore(dsn, schema=schema) as store:
        case = latte.open_case("c1", make_feedback(), at=START)
        store.commit(Change(case, 0))
        up = Escalated(
            case_id="c1", version=2, at=START, by="bug", level=1, rung="lead", target="x",
            standard="y",
        )  # fmt: skip
        first = apply(case, up)
        store.commit(Change(first, 1))
        # A buggy caller builds the same escalation again on top: the version is right,
        # the unique key on (case, level) is what refuses it.
        again = apply(first, attrs.evolve(up, version=3))
        with pytest.raises(ConcurrencyError):
            store.commit(Change(again, 2))
        assert store.get("c1") == first


def test_cross_tenant_reads_return_nothing_even_for_a_role_bound_by_row_level_security(
    dsn: str, schema: str
) -> None:
    import psycopg

    role = f"{schema}_app"
    owner = PostgresStore(dsn, schema=schema)
    acme = owner.for_tenant("acme")
    acme.commit(Change(latte.open_case("c1", make_feedback(), at=START), 0))
    owner.for_tenant("globex").commit(
        Change(latte.open_case("g1", make_feedback(customer="zed@example.com"), at=START), 0)
    )
    owner.enable_row_level_security()
    as_app = app_role(dsn, schema, role)
    try:
        app = PostgresStore(as_app, schema=schema, migrate=False, row_level_security=True)
        globex = app.for_tenant("globex")
        assert globex.get("g1").customer == "zed@example.com"
        assert globex.find_by_external_id("nope") is None
        assert globex.cases_of("mary@example.com") == []
        assert globex.due(START + timedelta(days=30)) == []
        # By hand, with the tenant setting naming globex, acme's rows stay invisible.
        with as_app() as conn, conn.transaction():
            conn.execute("SELECT set_config('closedloop.tenant', 'globex', true)")
            rows = conn.execute(f'SELECT tenant, id FROM "{schema}".cases').fetchall()
            assert rows == [("globex", "g1")]
            conn.execute("SELECT set_config('closedloop.tenant', '', true)")
            assert conn.execute(f'SELECT count(*) FROM "{schema}".events').fetchone() == (0,)
        app.close()
    finally:
        owner.close()
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_a_role_bound_to_a_tenant_cannot_read_another_even_by_hand(dsn: str, schema: str) -> None:
    import psycopg

    from closedloop import ValidationError

    role = f"{schema}_acme"
    owner = PostgresStore(dsn, schema=schema)
    owner.for_tenant("acme").commit(Change(latte.open_case("a1", make_feedback(), at=START), 0))
    owner.for_tenant("globex").commit(
        Change(latte.open_case("g1", make_feedback(customer="zed@example.com"), at=START), 0)
    )
    with pytest.raises(ValidationError, match="bind each role"):
        owner.enable_row_level_security({role: []})
    owner.enable_row_level_security({role: "acme"})
    as_acme = app_role(dsn, schema, role)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'REVOKE INSERT, UPDATE ON "{schema}".tenant_roles FROM "{role}"')
    try:
        app = PostgresStore(as_acme, schema=schema, migrate=False, row_level_security=True)
        assert app.for_tenant("acme").get("a1").customer == "mary@example.com"
        with pytest.raises(CaseNotFoundError):
            app.for_tenant("globex").get("g1")  # the store names globex: still nothing
        with as_acme() as conn, conn.transaction():
            conn.execute("SELECT set_config('closedloop.tenant', 'globex', true)")
            assert conn.execute(f'SELECT id FROM "{schema}".cases').fetchall() == []
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"INSERT INTO \"{schema}\".tenant_roles VALUES ('{role}', 'globex')")
        app.close()
        # Rebinding replaces: now the role serves globex only.
        owner.enable_row_level_security({role: ["globex"]})
        app = PostgresStore(as_acme, schema=schema, migrate=False, row_level_security=True)
        assert app.for_tenant("globex").get("g1").customer == "zed@example.com"
        with pytest.raises(CaseNotFoundError):
            app.for_tenant("acme").get("a1")
        app.close()
    finally:
        owner.close()
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_a_newer_schema_is_refused_and_two_migrations_at_once_are_one(
    dsn: str, schema: str
) -> None:
    import psycopg

    from closedloop import SchemaVersionError
    from closedloop.adapters.postgres import SCHEMA_VERSION

    with PostgresStore(dsn, schema=schema, migrate=False) as store:
        with pytest.raises(Exception, match="migrate"):
            store.get("c1")
        assert store.migrate() == 0
        assert store.migrate() == SCHEMA_VERSION  # again: nothing to do
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'UPDATE "{schema}".schema_version SET version = version + 1')
    with PostgresStore(dsn, schema=schema) as newer, pytest.raises(SchemaVersionError):
        newer.get("c1")


MIGRATOR = """
import sys
from closedloop.adapters.postgres import PostgresStore

store = PostgresStore(sys.argv[1], schema=sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
print(store.migrate(), flush=True)
"""


def test_processes_starting_at_once_migrate_once(dsn: str, schema: str) -> None:
    from closedloop.adapters.postgres import SCHEMA_VERSION

    outputs = run_children(MIGRATOR, [[dsn, schema]] * 4)
    assert sorted(int(o) for o in outputs)[0] == 0
    assert sorted(int(o) for o in outputs)[1:] == [SCHEMA_VERSION] * 3  # the rest found it done
