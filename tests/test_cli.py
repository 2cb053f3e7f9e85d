from __future__ import annotations

import io
import subprocess
import sys
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
    with SQLiteStore(db) as store:
        (alert,) = store.outbox_claim(START + timedelta(days=1))
    assert alert.notification.to == "duty@acme.example"


def test_a_policy_that_is_not_one_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sweep", "--db", str(tmp_path / "x.db"), "--policy", "json:dumps"]) == 1
    assert "not a closedloop Policy" in capsys.readouterr().err
