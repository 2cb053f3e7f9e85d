"""The cron jobs run with the application's own parts: `sweep --events` queues the host
events a subscribed desk would, `dispatch --events` (or a notifier that has handle_event)
delivers them, `dispatch --policy` retries as Policy.retry says; a --tenant the database
holds nothing of, --schema with --db, and the dry run's order over every tenant."""

from __future__ import annotations

import io
import itertools
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from closedloop import Delivery, Desk, SQLiteStore, Subscribe
from closedloop.cli import main
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback

LATE = (START + timedelta(days=2)).isoformat()  # past every case's deadline
TENANTS = ("acme", "globex")
_names = itertools.count()


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), out=out), out.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """acme with two cases, globex with one, opened at START by desks subscribed to
    every case event (their case.opened events are queued)."""
    path = tmp_path / "loop.db"
    with SQLiteStore(path) as store:
        for tenant, count in zip(TENANTS, (2, 1), strict=True):
            desk = Desk(
                store.for_tenant(tenant),
                RecordingNotifier(),
                clock=ManualClock(START),
                events=Subscribe(lambda event: None, kinds={"case.*"}),
            )
            for i in range(count):
                desk.listen(make_feedback(customer=f"c{i}@{tenant}.example"))
    return path


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module of the host application's, importable by the command; its name."""
    name = f"host_app_{next(_names)}"
    (tmp_path / f"{name}.py").write_text(
        "from closedloop import NotifierError, Policy, RetryPolicy, Subscribe\n"
        "GOT = []\n"
        "EVENTS = Subscribe(GOT.append, kinds={'case.*'})\n"
        "def handler(event):\n"
        "    GOT.append(event)\n"
        "NOT_ONE = 3\n"
        "class Mail:\n"
        "    def send(self, n):\n"
        "        pass\n"
        "class MailAndCrm(Mail):\n"
        "    def handle_event(self, event):\n"
        "        GOT.append(event)\n"
        "class Down:\n"
        "    def send(self, n):\n"
        "        raise NotifierError(n.key, 'smtp down')\n"
        "ONCE = Policy(retry=RetryPolicy(max_attempts=1))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def got(name: str) -> list[str]:
    module = sys.modules[name]
    return [event.type for event in module.GOT]


def test_a_sweep_given_the_subscription_queues_its_events(db: Path, host: str) -> None:
    code, _ = run("sweep", "--db", str(db), "--tenant", "acme", "--now", LATE,
                  "--events", f"{host}:EVENTS")  # fmt: skip
    assert code == 0
    code, out = run("dispatch", "--db", str(db), "--tenant", "acme", "--now", LATE,
                    "--notifier", f"{host}:Mail", "--events", f"{host}:EVENTS")  # fmt: skip
    assert code == 0
    assert sorted(got(host)) == ["case.escalated"] * 2 + ["case.opened"] * 2
    assert out.endswith(", 0 given up\n")


def test_dispatch_takes_a_bare_handler_as_subscribe_handler(db: Path, host: str) -> None:
    code, out = run("dispatch", "--db", str(db), "--tenant", "globex",
                    "--notifier", f"{host}:Mail", "--events", f"{host}:handler")  # fmt: skip
    assert (code, out) == (0, "1 sent, 0 to retry, 0 given up\n")
    assert got(host) == ["case.opened"]


def test_a_notifier_that_handles_events_receives_them(db: Path, host: str) -> None:
    code, out = run("dispatch", "--db", str(db), "--all-tenants",
                    "--notifier", f"{host}:MailAndCrm")  # fmt: skip
    assert code == 0
    assert got(host) == ["case.opened"] * 3
    assert "given up" in out
    assert " 0 given up" in out.splitlines()[0]
    with SQLiteStore(db) as store:
        assert store.for_tenant("acme").dead_letters() == []


def test_something_that_is_no_subscription_is_refused(
    db: Path, host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("sweep", "dispatch"):
        extra = ["--notifier", f"{host}:Mail"] if command == "dispatch" else []
        code, _ = run(command, "--db", str(db), "--events", f"{host}:NOT_ONE", *extra)
        assert code == 1
        err = capsys.readouterr().err
        assert err.startswith(f"closedloop {command}: '{host}:NOT_ONE' (int) is not a closedloop")
        assert err.count("\n") == 1


def test_dispatch_retries_as_the_policy_says(db: Path, host: str) -> None:
    run("sweep", "--db", str(db), "--tenant", "globex", "--now", LATE)  # queues an alert
    code, out = run("dispatch", "--db", str(db), "--tenant", "globex", "--now", LATE,
                    "--notifier", f"{host}:Down", "--events", f"{host}:EVENTS",
                    "--policy", f"{host}:ONCE")  # fmt: skip
    assert code == 0
    assert out == "1 sent, 0 to retry, 1 given up\n"  # the event sent, the alert given up
    with SQLiteStore(db) as store:
        (dead,) = store.for_tenant("globex").dead_letters()
        assert (dead.notification.purpose, dead.status) == ("escalation", Delivery.DEAD)


def test_an_unknown_tenant_is_an_error_where_it_would_pass_unseen(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["health"], ["report"], ["facts"]):
        code, out = run(*command, "--db", str(db), "--tenant", "acmee")
        assert (code, out) == (1, "")
        err = capsys.readouterr().err
        assert err == (
            f"closedloop {command[0]}: the database holds no tenant 'acmee' (its tenants: "
            "'acme', 'globex'); check the spelling, or give --all-tenants\n"
        )
    code, out = run("health", "--db", str(db), "--tenant", "acme", "--now", START.isoformat())
    assert code == 0


def test_no_tenant_given_on_a_database_of_other_tenants_is_an_error_too(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a newcomer's probe: ``closedloop health --db f`` said ok for the default
    tenant of a database holding only others', where ``--tenant default`` was refused."""
    for command in (["health"], ["report"], ["facts"]):
        code, out = run(*command, "--db", str(db))
        assert (code, out) == (1, "")
        assert capsys.readouterr().err == (
            f"closedloop {command[0]}: the database holds no tenant 'default' (its tenants: "
            "'acme', 'globex'); give --tenant NAME, or give --all-tenants\n"
        )
    code, out = run("sweep", "--db", str(db), "--now", LATE)
    assert code == 0
    assert "holds nothing of tenant 'default' yet" in capsys.readouterr().err


def test_sweep_and_dispatch_run_for_a_new_tenant_and_say_so(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run("sweep", "--db", str(db), "--tenant", "newco", "--now", LATE)
    assert code == 0
    assert ": 0 escalated" in out
    err = capsys.readouterr().err
    assert err == (
        "closedloop sweep: note: the database holds nothing of tenant 'newco' yet (its "
        "tenants: 'acme', 'globex')\n"
    )
    code, out = run("dispatch", "--db", str(db), "--tenant", "newco", "--dry-run")
    assert code == 0
    assert "tenant 'newco' yet" in capsys.readouterr().err


def test_schema_with_a_sqlite_file_is_a_usage_error(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["health", "--db", str(db), "--schema", "crm"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--schema is for a PostgreSQL database (--dsn); a --db file has none" in err
    assert err.count("\n") == 1


def test_a_dry_run_over_every_tenant_heads_each_tenants_lines(db: Path) -> None:
    code, out = run("dispatch", "--db", str(db), "--all-tenants", "--dry-run")
    assert code == 0
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("tenant ")] == [
        "tenant acme", "tenant globex",
    ]  # fmt: skip
    acme, globex = (
        lines.index(lines[0]),
        next(n for n, line in enumerate(lines) if line.startswith("tenant globex")),
    )
    assert lines[acme].startswith("tenant acme: 2 ready")
    assert all(line.startswith("[") for line in lines[acme + 1 : globex])
    assert len(lines[acme + 1 : globex]) == 2
    assert [line.startswith("[") for line in lines[globex + 1 :]] == [True]


def test_help_says_what_the_jobs_take(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("sweep", "dispatch"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        shown = " ".join(capsys.readouterr().out.split())
        assert "--events MODULE:NAME" in shown
        assert "--policy MODULE:NAME" in shown
    assert "If it also has handle_event(event) and no --events is given" in shown
