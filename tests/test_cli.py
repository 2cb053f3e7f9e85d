from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import closedloop
from closedloop.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"closedloop {closedloop.__version__}"


def test_help_teaches_what_closedloop_is(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "LATTE" in out
    assert "Exit codes" in out


def test_no_command_prints_help_and_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "usage: closedloop" in capsys.readouterr().out


def test_the_console_script_is_installed() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "closedloop.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("closedloop ")


def test_sweep_escalates_late_cases_in_a_database(tmp_path: Path) -> None:
    from datetime import timedelta

    from closedloop import Desk, SQLiteStore
    from closedloop.testing import ManualClock, RecordingNotifier
    from tests.helpers import START, make_feedback

    db = tmp_path / "loop.db"
    with SQLiteStore(db) as store:
        # Opened long ago: its acknowledgement is late by now.
        Desk(store, RecordingNotifier(), clock=ManualClock(START - timedelta(days=400))).listen(
            make_feedback()
        )
    out = io.StringIO()
    assert main(["sweep", "--db", str(db)], out=out) == 0
    assert "1 escalated" in out.getvalue()
    out = io.StringIO()
    assert main(["sweep", "--db", str(db)], out=out) == 0
    assert "0 escalated" in out.getvalue()


def test_sweep_on_a_missing_file_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sweep", "--db", str(tmp_path / "nope.db")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("closedloop sweep: no database at")
    assert "Traceback" not in err


def test_sweep_uses_the_applications_policy(tmp_path: Path) -> None:
    from datetime import timedelta

    from closedloop import Desk, SQLiteStore
    from closedloop.testing import ManualClock, RecordingNotifier
    from tests.helpers import START, make_feedback

    (tmp_path / "acme_policy.py").write_text(
        "from closedloop import Ladder, Policy, Rung\n"
        "POLICY = Policy(ladder=Ladder(rungs=[Rung('duty manager', ['duty@acme.example'])]))\n"
    )
    db = tmp_path / "loop.db"
    with SQLiteStore(db) as store:
        Desk(store, RecordingNotifier(), clock=ManualClock(START - timedelta(days=400))).listen(
            make_feedback()
        )
    sys.path.insert(0, str(tmp_path))
    try:
        assert main(["sweep", "--db", str(db), "--policy", "acme_policy:POLICY"]) == 0
    finally:
        sys.path.remove(str(tmp_path))
    # The sweep ran on the system clock: claim the alert at a time taken from that clock.
    with SQLiteStore(db) as store:
        (alert,) = store.outbox_claim(datetime.now(UTC) + timedelta(days=1))
    assert alert.notification.to == "duty@acme.example"


def test_the_default_report_counts_no_step_due_after_now(tmp_path: Path) -> None:
    """The default period runs to the end of the latest event's day: a case opened a
    minute ago, due in a minute, was reported as a missed step (every tile red). (On the
    system clock; in the last minute of a UTC day the old code passed too.)"""
    import json

    from closedloop import Channel, Desk, Feedback, SQLiteStore
    from closedloop.testing import ManualClock, RecordingNotifier

    (tmp_path / "quick_policy.py").write_text(
        "from datetime import timedelta\n"
        "from closedloop import BusinessCalendar, Policy, Standard, Standards, Target\n"
        "always = BusinessCalendar.always_open()\n"
        "POLICY = Policy(standards=Standards(defaults=[\n"
        "    Standard(t, timedelta(minutes=2), always) for t in Target]))\n"
    )
    db = tmp_path / "loop.db"
    opened = datetime.now(UTC) - timedelta(minutes=1)
    with SQLiteStore(db) as store:
        clock = ManualClock(opened)
        feedback = Feedback("mary@example.com", Channel.EMAIL, opened, "Late again")
        Desk(store, RecordingNotifier(), clock=clock).listen(feedback)
    out = io.StringIO()
    sys.path.insert(0, str(tmp_path))
    try:
        args = ["report", "--db", str(db), "--policy", "quick_policy:POLICY", "--format", "json"]
        assert main(args, out=out) == 0
    finally:
        sys.path.remove(str(tmp_path))
    report = json.loads(out.getvalue())
    assert report["overall"]["opened"] == 1
    assert report["overall"]["kpis"] == []  # nothing measured yet: nothing missed


def test_now_replays_the_jobs_at_a_given_instant(tmp_path: Path) -> None:
    from closedloop import Desk, SQLiteStore
    from closedloop.testing import ManualClock, RecordingNotifier
    from tests.helpers import START, make_feedback

    db = tmp_path / "loop.db"
    with SQLiteStore(db) as store:
        case = Desk(store, RecordingNotifier(), clock=ManualClock(START)).listen(make_feedback())
    early = (START + timedelta(minutes=5)).isoformat()
    out = io.StringIO()
    assert main(["sweep", "--db", str(db), "--now", early], out=out) == 0
    assert "0 escalated" in out.getvalue()
    late = (START + timedelta(days=3)).isoformat()
    out = io.StringIO()
    assert main(["sweep", "--db", str(db), "--now", late], out=out) == 0
    assert out.getvalue().startswith(f"sweep at {(START + timedelta(days=3)):%Y-%m-%d %H:%M}")
    assert f"escalated {case.id} to level 1" in out.getvalue()
    with SQLiteStore(db) as store:
        assert store.outbox_claim(START + timedelta(days=3) - timedelta(seconds=1)) == []
    out = io.StringIO()
    assert main(["dispatch", "--db", str(db), "--now", late, "--dry-run"], out=out) == 0
    assert f"[{case.id}/2/escalation/team-lead]" in out.getvalue()
    out = io.StringIO()
    with host_notifier(tmp_path) as sent:
        args = ["dispatch", "--db", str(db), "--now", late, "--notifier", "host_mail:NOTIFIER"]
        assert main(args, out=out) == 0
    assert sent == [f"{case.id}/2/escalation/team-lead"]
    assert out.getvalue() == "1 sent, 0 to retry, 0 given up\n"
    out = io.StringIO()
    assert main(["report", "--db", str(db), "--now", late], out=out) == 0
    assert out.getvalue().startswith(
        f"closedloop report: {START + timedelta(days=3) - timedelta(days=30):%Y-%m-%dT%H:%M}"
    )


def test_now_without_a_zone_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from closedloop import SQLiteStore

    db = tmp_path / "loop.db"
    SQLiteStore(db).close()
    assert main(["sweep", "--db", str(db), "--now", "2026-11-23T10:00"]) == 1
    assert "--now '2026-11-23T10:00' has no time zone" in capsys.readouterr().err


def test_a_policy_that_is_not_one_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sweep", "--db", str(tmp_path / "x.db"), "--policy", "json:dumps"]) == 1
    assert "not a closedloop Policy" in capsys.readouterr().err


# -- demo, dispatch, report ------------------------------------------------------------------


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "closedloop.cli", *args],
        capture_output=True, text=True, cwd=cwd, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    done = run_cli("demo", "--days", "4", "--seed", "7", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    (folder / "first-run.txt").write_text(done.stdout)
    return folder / "closedloop-demo.db"


def test_demo_simulates_and_reports(demo_db: Path) -> None:
    out = (demo_db.parent / "first-run.txt").read_text()
    assert "Standards (KPI: share of steps met)" in out
    assert "Simulated 4 days at Harbour & Pine" in out
    assert f"Database: {demo_db.name}" in out
    assert demo_db.is_file()
    html = demo_db.with_suffix(".html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert 'id="rag-tiles"' in html


def test_demo_is_deterministic_for_a_seed(demo_db: Path, tmp_path: Path) -> None:
    again = run_cli("demo", "--days", "4", "--seed", "7", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout == (demo_db.parent / "first-run.txt").read_text()
    other = run_cli("demo", "--days", "4", "--seed", "8", "--db", "other.db", cwd=tmp_path)
    assert other.returncode == 0, other.stderr
    assert other.stdout.split("Simulated")[0] != again.stdout.split("Simulated")[0]


def test_the_readme_shows_what_the_demo_prints(tmp_path: Path) -> None:
    """Found by a newcomer's probe: the README's last line of the demo had gone stale."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    shown = readme.split("The demo prints", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    done = run_cli("demo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    printed = iter(done.stdout.splitlines())
    for line in shown.splitlines():  # each line the README shows, in order ("..." skips)
        if line != "...":
            assert any(line == out for out in printed), f"the demo no longer prints {line!r}"


def test_demo_refuses_to_replace_a_file_that_is_not_its_own(tmp_path: Path) -> None:
    precious = tmp_path / "notes.db"
    precious.write_text("my notes")
    done = run_cli("demo", "--days", "1", "--db", str(precious), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("closedloop demo: ")
    assert "not a SQLite database" in done.stderr
    assert precious.read_text() == "my notes"


def test_report_formats(demo_db: Path, tmp_path: Path) -> None:
    import json

    import jsonschema

    from closedloop.insights import schema

    period = ["--since", "2026-10-05", "--until", "2026-10-09"]
    out = io.StringIO()
    assert main(["report", "--db", str(demo_db), *period, "--format", "json"], out=out) == 0
    document = json.loads(out.getvalue())
    jsonschema.validate(document, schema())
    assert document["since"] == "2026-10-05T00:00:00+00:00"
    assert document["overall"]["opened"] > 0
    target = tmp_path / "r.html"
    args = ["report", "--db", str(demo_db), *period, "--format", "html", "--out", str(target)]
    assert main(args, out=io.StringIO()) == 0
    assert "<svg" in target.read_text()
    out = io.StringIO()
    assert main(["report", "--db", str(demo_db), *period], out=out) == 0
    assert out.getvalue().startswith("closedloop report: 2026-10-05")


def test_the_html_report_compares_with_the_period_before(demo_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    period = ["--since", "2026-10-07", "--until", "2026-10-09"]
    args = ["report", "--db", str(demo_db), *period, "--format", "html", "--out", str(target)]
    assert main(args, out=io.StringIO()) == 0
    html = target.read_text()
    assert "Compared with the previous period: 05 October 2026 to 07 October 2026" in html
    assert re.search(r'data-previous-share="[01]', html)
    # A period so long that the one before would start before 1900: nothing compared.
    period = ["--since", "1970-01-01", "--until", "2999-01-01", "--now", "2999-01-01"]
    args = ["report", "--db", str(demo_db), *period, "--format", "html", "--out", str(target)]
    assert main(args, out=io.StringIO()) == 0
    assert "previous period" not in target.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "is not a date"),
        (["--since", "1969-12-31"], "'1969-12-31' is out of range"),  # said "is not a date"
        (["--until", "8999-12-31"], "--until '8999-12-31' is out of range"),
        (["--since", "2026-10-05T10:00"], "has no time zone"),
        (["--since", "2026-10-09", "--until", "2026-10-05"], "must be after"),
    ],
)
def test_report_bad_dates_are_one_clear_line(
    demo_db: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--db", str(demo_db), *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("closedloop report: ")
    assert message in err
    assert err.count("\n") == 1


def test_commands_refuse_files_that_are_not_closedloop_databases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    text = tmp_path / "text.db"
    text.write_text("hello")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    for command in (["report"], ["sweep"], ["dispatch", "--dry-run"]):
        assert main([*command, "--db", str(text)]) == 1
        assert "not a SQLite database" in capsys.readouterr().err
        assert main([*command, "--db", str(other)]) == 1
        assert "not a closedloop one" in capsys.readouterr().err
        assert main([*command, "--db", str(tmp_path / "missing.db")]) == 1
        assert "no database at" in capsys.readouterr().err
    with sqlite3.connect(other) as db:
        assert [n for (n,) in db.execute("SELECT name FROM sqlite_master")] == ["t"]


def test_a_damaged_database_is_called_damaged_and_gets_no_side_files(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a newcomer's probe: a truncated database was "not a SQLite database", and
    the probe left a -wal and a -shm file beside it."""
    cut = tmp_path / "cut.db"
    cut.write_bytes(demo_db.read_bytes()[:200_000])
    before = cut.read_bytes()
    assert main(["report", "--db", str(cut)]) == 1
    err = capsys.readouterr().err
    assert "or is damaged (database disk image is malformed)" in err
    assert "restore it from a backup" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.db"]
    assert cut.read_bytes() == before


def test_a_newer_schema_is_one_clear_line(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil
    import sqlite3

    newer = tmp_path / "newer.db"
    shutil.copy(demo_db, newer)
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 999")
    db.close()
    assert main(["report", "--db", str(newer)]) == 1
    err = capsys.readouterr().err
    assert "schema is version 999" in err
    assert "upgrade closedloop" in err
    assert "Traceback" not in err


@contextmanager
def host_notifier(folder: Path) -> Iterator[list[str]]:
    """The host application's notifier, importable as ``host_mail:NOTIFIER``: it records the
    keys it delivers."""
    (folder / "host_mail.py").write_text(
        "SENT = []\n"
        "class Mail:\n"
        "    def send(self, notification):\n"
        "        SENT.append(notification.key)\n"
        "NOTIFIER = Mail()\n"
        "def make():\n"
        "    return Mail()\n"
        "NOT_ONE = 42\n"
    )
    sys.path.insert(0, str(folder))
    try:
        import host_mail

        yield host_mail.SENT
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("host_mail", None)


def acknowledged_db(folder: Path) -> Path:
    from closedloop import Desk, SQLiteStore
    from closedloop.testing import ManualClock, RecordingNotifier
    from tests.helpers import START, make_feedback

    db = folder / "loop.db"
    with SQLiteStore(db) as store:
        desk = Desk(store, RecordingNotifier(), clock=ManualClock(START - timedelta(days=1)))
        desk.acknowledge(desk.listen(make_feedback()).id, by="amy")
    return db


def test_dispatch_delivers_the_outbox_through_the_hosts_notifier(tmp_path: Path) -> None:
    db = acknowledged_db(tmp_path)
    with host_notifier(tmp_path) as sent:
        out = io.StringIO()
        assert main(["dispatch", "--db", str(db), "--notifier", "host_mail:make"], out=out) == 0
        assert [key.rsplit("/", 1)[-1] for key in sent] == ["acknowledgement"]
        assert out.getvalue() == "1 sent, 0 to retry, 0 given up\n"
        out = io.StringIO()
        assert main(["dispatch", "--db", str(db), "--notifier", "host_mail:NOTIFIER"], out=out) == 0
        assert out.getvalue() == "0 sent, 0 to retry, 0 given up\n"
        assert len(sent) == 1


def test_a_dry_run_shows_what_is_ready_and_marks_nothing(tmp_path: Path) -> None:
    db = acknowledged_db(tmp_path)
    for _ in range(2):
        out = io.StringIO()
        assert main(["dispatch", "--db", str(db), "--dry-run"], out=out) == 0
        lines = out.getvalue().splitlines()
        assert "acknowledgement" in lines[0]
        assert "mary@example.com" in lines[0]
        assert lines[-1] == "1 ready (at most 100 shown); nothing was sent or marked"


def test_dispatch_will_not_run_without_a_notifier(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seam: `closedloop dispatch` printed each notification and marked it SENT, so real
    customer email was swallowed."""
    db = acknowledged_db(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["dispatch", "--db", str(db)])
    assert info.value.code == 2
    assert "one of the arguments --notifier --dry-run is required" in capsys.readouterr().err
    with host_notifier(tmp_path):
        assert main(["dispatch", "--db", str(db), "--notifier", "host_mail:NOT_ONE"]) == 1
        assert "'host_mail:NOT_ONE' (int) is not a Notifier" in capsys.readouterr().err
        assert main(["dispatch", "--db", str(db), "--notifier", "host_mail"]) == 1
        assert "name the notifier as MODULE:NAME" in capsys.readouterr().err
        assert main(["dispatch", "--db", str(db), "--notifier", "nowhere:X"]) == 1
        assert "cannot load the notifier 'nowhere:X'" in capsys.readouterr().err
    out = io.StringIO()
    assert main(["dispatch", "--db", str(db), "--dry-run"], out=out) == 0
    assert out.getvalue().endswith("1 ready (at most 100 shown); nothing was sent or marked\n")
