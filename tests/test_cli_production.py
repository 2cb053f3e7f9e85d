"""The command line in production: PostgreSQL by --dsn or CLOSEDLOOP_DSN, one tenant or all
of them, `closedloop health` and its exit codes, `python -m closedloop`, progress only on a
terminal, a closed pipe, and a report period that covers the stored data."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from closedloop import Desk, HealthThresholds, SQLiteStore, Threshold
from closedloop.cli import main
from closedloop.cli.progress import Progress
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema
from tests.helpers import START, make_feedback

LATE = (START + timedelta(days=2)).isoformat()  # two days after the cases opened
TENANTS = ("acme", "globex")


def fill(store: CaseStore) -> None:
    """Two tenants: acme with two cases, globex with one; all opened at START."""
    for tenant, count in zip(TENANTS, (2, 1), strict=True):
        desk = Desk(store.for_tenant(tenant), RecordingNotifier(), clock=ManualClock(START))
        for i in range(count):
            desk.listen(make_feedback(customer=f"c{i}@{tenant}.example"))


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), out=out), out.getvalue()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> list[str]:
    db = tmp_path / "loop.db"
    with SQLiteStore(db) as store:
        fill(store)
    return ["--db", str(db)]


@pytest.fixture
def postgres_db() -> Iterator[list[str]]:
    from closedloop.adapters.postgres import PostgresStore

    dsn = dsn_or_skip()
    schema = new_schema()
    with PostgresStore(dsn, schema=schema) as store:
        fill(store)
    yield ["--dsn", dsn, "--schema", schema]
    drop_schema(dsn, schema)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> list[str]:
    """The arguments naming a database holding :func:`fill`'s cases, of each kind."""
    found: list[str] = request.getfixturevalue(f"{request.param}_db")
    return found


def test_sweep_works_on_one_tenant_or_on_all(database: list[str]) -> None:
    code, out = run("sweep", *database, "--tenant", "globex", "--now", LATE)
    assert code == 0
    assert ": 1 escalated" in out.splitlines()[0]
    code, out = run("sweep", *database, "--all-tenants", "--now", LATE)
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("tenant ")]
    assert lines[0].startswith("tenant acme: sweep at 2026-11-25 09:00 UTC: 2 escalated")
    assert lines[1].startswith("tenant globex: sweep at 2026-11-25 09:00 UTC: 0 escalated")
    code, out = run("sweep", *database, "--now", LATE)  # the default tenant: nothing there
    assert ": 0 escalated" in out


def test_dispatch_and_its_dry_run_go_tenant_by_tenant(
    database: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("sweep", *database, "--all-tenants", "--now", LATE)
    code, out = run("dispatch", *database, "--all-tenants", "--dry-run", "--now", LATE)
    assert code == 0
    assert "tenant acme: 2 ready" in out
    assert "tenant globex: 1 ready" in out
    (tmp_path / "ops_mail.py").write_text(
        "SENT = []\nclass Mail:\n    def send(self, n):\n        SENT.append(n.key)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    code, out = run("dispatch", *database, "--tenant", "acme", "--notifier", "ops_mail:Mail")
    assert (code, out) == (0, "2 sent, 0 to retry, 0 given up\n")
    import ops_mail  # type: ignore[import-not-found]

    assert len(ops_mail.SENT) == 2
    sys.modules.pop("ops_mail", None)


def test_health_exits_by_status_and_says_why(database: list[str]) -> None:
    code, out = run("health", *database, "--tenant", "acme", "--now", START.isoformat())
    assert code == 0
    assert out.startswith("closedloop health: ok (tenant acme, at 2026-11-23T09:00:00+00:00)")
    assert "  cases due          0 not swept" in out
    code, out = run("health", *database, "--tenant", "acme", "--now", LATE)
    assert code == 4
    assert out.startswith("closedloop health: fail")
    assert "  cases due          2 not swept" in out
    assert "is 'closedloop sweep' running?" in out
    code, out = run("health", *database, "--all-tenants", "--json", "--now", LATE)
    assert code == 4
    documents = json.loads(out)
    assert [d["tenant"] for d in documents] == list(TENANTS)
    assert [d["cases_due"] for d in documents] == [2, 1]
    assert documents[0]["unanswered_age_seconds"] == 2 * 86_400
    assert documents[0]["status"] == "fail"


def test_health_shows_the_messages_waiting_for_a_retry(tmp_path: Path) -> None:
    db = tmp_path / "down.db"

    class Down:
        def send(self, notification: object) -> None:
            raise RuntimeError("smtp down")

    with SQLiteStore(db) as store:
        desk = Desk(store, Down(), clock=ManualClock(START))
        desk.acknowledge(desk.listen(make_feedback()).id, by="amy")
        assert desk.outbox.dispatch().retrying
    at = (START + timedelta(minutes=20)).isoformat()
    code, out = run("health", "--db", str(db), "--now", at)
    assert code == 3
    assert "  retrying           1 failed, the oldest due 20m ago" in out
    assert "warn: 1 messages failed delivery and wait for a retry" in out
    code, out = run("health", "--db", str(db), "--now", at, "--json")
    document = json.loads(out)
    assert (document["outbox_retrying"], document["retrying_age_seconds"]) == (1, 1200)


def test_health_takes_the_hosts_thresholds(
    sqlite_db: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ops_limits.py").write_text(
        "from datetime import timedelta\n"
        "from closedloop import HealthThresholds, Threshold\n"
        "THRESHOLDS = HealthThresholds(sweep_lag=Threshold(warn=timedelta(minutes=1)),"
        " cases_due=Threshold(), unanswered_age=Threshold())\n"
        "NOT_ONE = 3\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        code, out = run("health", *sqlite_db, "--tenant", "acme", "--now", LATE,
                        "--thresholds", "ops_limits")  # fmt: skip
        assert code == 3
        assert out.startswith("closedloop health: warn")
        assert run("health", *sqlite_db, "--thresholds", "ops_limits:NOT_ONE")[0] == 1
    finally:
        sys.modules.pop("ops_limits", None)
    assert isinstance(HealthThresholds(sweep_lag=Threshold()), HealthThresholds)


def test_report_goes_tenant_by_tenant(database: list[str], tmp_path: Path) -> None:
    code, out = run("report", *database, "--all-tenants", "--format", "json")
    assert code == 0
    documents = json.loads(out)
    assert sorted(documents) == list(TENANTS)
    assert documents["acme"]["overall"]["opened"] == 2
    code, out = run("report", *database, "--all-tenants")
    assert out.startswith("== tenant acme ==\nclosedloop report: ")
    assert "== tenant globex ==" in out
    target = tmp_path / "r.html"
    code = main(["report", *database, "--all-tenants", "--format", "html", "--out", str(target)])
    assert code == 1
    assert not target.exists()


def test_the_default_report_period_covers_the_stored_cases(database: list[str]) -> None:
    code, out = run("report", *database, "--tenant", "acme", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert (document["since"], document["until"]) == (
        "2026-11-23T00:00:00+00:00",  # the day the first case opened
        "2026-11-24T00:00:00+00:00",  # the end of the day of the latest event
    )
    assert document["overall"]["opened"] == 2
    # With --now, the 30 days up to it, as a replay of a past run.
    code, out = run("report", *database, "--tenant", "acme", "--format", "json", "--now", LATE)
    assert json.loads(out)["until"] == LATE


@pytest.mark.postgres
def test_the_dsn_may_come_from_the_environment(
    postgres_db: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn, schema = postgres_db[1], postgres_db[3]
    monkeypatch.setenv("CLOSEDLOOP_DSN", dsn)
    code, out = run("health", "--schema", schema, "--all-tenants", "--json", "--now", LATE)
    assert code == 4
    assert len(json.loads(out)) == 2
    assert main(["health", "--schema", "nothing_here"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("closedloop health: no closedloop schema 'nothing_here'")
    assert main(["health", "--schema", "Not A Name"]) == 1
    assert "--schema" in capsys.readouterr().err


def test_a_command_without_a_database_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CLOSEDLOOP_DSN", raising=False)
    for command in (["sweep"], ["health"], ["report"], ["facts"], ["dispatch", "--dry-run"]):
        with pytest.raises(SystemExit) as info:
            main(command)
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "give --db FILE or --dsn DSN (or set CLOSEDLOOP_DSN)" in err
        assert err.count("\n") == 1


def test_all_tenants_of_an_empty_database_says_so(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    SQLiteStore(db).close()
    assert run("sweep", "--db", str(db), "--all-tenants") == (
        0,
        "the database holds no tenant yet\n",
    )
    assert run("health", "--db", str(db), "--all-tenants", "--json") == (0, "[]\n")


def test_python_dash_m_closedloop_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "closedloop", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.startswith("closedloop ")


def test_a_pipe_closed_early_ends_the_command_quietly(sqlite_db: list[str]) -> None:
    """`closedloop report ... | head -1`: no traceback when head stops reading."""
    command = [sys.executable, "-m", "closedloop", "report", *sqlite_db, "--tenant", "acme"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None
    assert child.stderr is not None
    child.stdout.close()  # before the report is written: every write meets a closed pipe
    err = child.stderr.read().decode()
    child.stderr.close()
    assert child.wait(timeout=120) == 0
    assert err == ""


def test_progress_is_drawn_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen, log = Terminal(), io.StringIO()
    for stream in (screen, log):
        bar = Progress("demo", stream)
        for day in range(1, 5):
            bar.update(day, 4, "days")
        bar.counter("cases")(12)
        bar.done()
    assert log.getvalue() == ""
    drawn = screen.getvalue()
    assert "\rdemo [######..................] 1/4 days" in drawn
    assert "\rdemo [########################] 4/4 days" in drawn
    assert "\rdemo 12 cases" in drawn
    assert drawn.endswith("\n")


def test_a_notifier_that_cannot_be_imported_is_one_clear_line(
    sqlite_db: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["dispatch", *sqlite_db, "--notifier", "no_such_module_here:NOTIFIER"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("closedloop dispatch: cannot load the notifier")
    assert "No module named 'no_such_module_here'" in err
    assert err.count("\n") == 1
