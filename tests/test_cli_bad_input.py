"""Every bad input to the command line is one line on stderr and exit code 1 or 2: never a
traceback, and never a database (closedloop's, an older closedloop's, or someone else's)
changed by a command that then refuses."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from closedloop import Desk, SQLiteStore
from closedloop.adapters.sqlite.schema import MIGRATIONS
from closedloop.cli import main
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback

HUGE = str(10**20)

#: Arguments no command may act on; "{db}" is the database under test.
BAD_ARGUMENTS = [
    ["sweep", "--db", "{db}", "--policy", ":X"],
    ["sweep", "--db", "{db}", "--tenant", ""],
    ["sweep", "--db", "{db}", "--tenant", "two\nlines"],
    ["sweep", "--db", "{db}", "--tenant", "a", "--all-tenants"],
    ["health", "--db", "{db}", "--tenant", "x" * 1000],
    ["health", "--db", "{db}", "--thresholds", "json:dumps"],
    ["health", "--db", "{db}", "--thresholds", "nowhere_at_all"],
    ["report", "--db", "{db}", "--all-tenants", "--format", "html"],
    ["dispatch", "--db", "{db}", "--dry-run", "--dsn", "postgresql://x@y/z"],
    ["sweep", "--db", "{db}", "--policy", "..rel:X"],
    ["sweep", "--db", "{db}", "--policy", ".:X"],
    ["sweep", "--db", "{db}", "--policy", "a b:X"],
    ["sweep", "--db", "{db}", "--policy", "json:dumps"],
    ["sweep", "--db", "{db}", "--policy", "closedloop:NoSuchPolicy"],
    ["sweep", "--db", "{db}", "--batch", HUGE],
    ["sweep", "--db", "{db}", "--batch", "0"],
    ["sweep", "--db", "{db}", "--batch", "-3"],
    ["sweep", "--db", "{db}", "--batch", "²"],
    ["sweep", "--db", "{db}", "--now", "0001-01-02"],
    ["sweep", "--db", "{db}", "--now", "0001-01-01T00:00+05:00"],
    ["sweep", "--db", "{db}", "--now", "9999-12-31"],
    ["sweep", "--db", "{db}", "--now", "2026-11-23T10:00"],
    ["sweep", "--db", "{db}", "--now", "2026-11-23T10:00+24:00"],
    ["dispatch", "--db", "{db}"],
    ["dispatch", "--db", "{db}", "--notifier", ":X"],
    ["dispatch", "--db", "{db}", "--notifier", "..rel:X"],
    ["dispatch", "--db", "{db}", "--notifier", "closedloop:"],
    ["dispatch", "--db", "{db}", "--notifier", "closedloop:WebhookNotifier"],
    ["dispatch", "--db", "{db}", "--notifier", "closedloop:__version__"],
    ["dispatch", "--db", "{db}", "--notifier", "json:dumps"],
    ["dispatch", "--db", "{db}", "--notifier", "builtins:exit"],
    [
        "dispatch",
        "--db",
        "{db}",
        "--notifier",
        "closedloop.testing:RecordingNotifier",
        "--now",
        "9999-12-31",
    ],
    ["dispatch", "--db", "{db}", "--dry-run", "--limit", HUGE],
    ["dispatch", "--db", "{db}", "--dry-run", "--now", "0001-01-01"],
    ["report", "--db", "{db}", "--until", "0001-01-05"],
    ["report", "--db", "{db}", "--since", "9999-12-31"],
    ["report", "--db", "{db}", "--now", "0001-01-01"],
    ["report", "--db", "{db}", "--since", "2026-10-09", "--until", "2026-10-05"],
    ["report", "--db", "{db}", "--since", "2026-10-09", "--until", "2026-10-09"],
    ["report", "--db", "{db}", "--out", "{folder}"],
    ["report", "--db", "{db}", "--out", "{folder}/missing/r.html"],
    ["report", "--db", "{db}", "--format", "pdf"],
    ["demo", "--db", "{db}", "--days", HUGE],
    ["demo", "--db", "{db}", "--days", "0"],
    ["demo", "--db", "{folder}", "--days", "1"],
    ["frobnicate"],
]

#: Commands that are fine in themselves, given a file that is not a closedloop database.
ANY_COMMAND = [
    ["sweep", "--db", "{db}"],
    ["dispatch", "--db", "{db}", "--dry-run"],
    ["dispatch", "--db", "{db}", "--notifier", "closedloop.testing:RecordingNotifier"],
    ["report", "--db", "{db}"],
    ["demo", "--db", "{db}", "--days", "1"],
]


@pytest.fixture
def folder(databases: Path, tmp_path: Path) -> Path:
    """A fresh copy of the databases for each test: what one command changed, the next
    command's check would miss."""
    return Path(shutil.copytree(databases, tmp_path / "databases"))


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder of databases: closedloop's, an older closedloop's, and foreign ones."""
    folder = tmp_path_factory.mktemp("bad-input")
    with SQLiteStore(folder / "current.db") as store:
        desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
        desk.acknowledge(desk.listen(make_feedback()).id, by="amy")
    older = sqlite3.connect(folder / "older.db")  # closedloop's first schema: it would migrate
    for statement in MIGRATIONS[0]:
        older.execute(statement)
    older.execute("PRAGMA user_version = 1")
    older.commit()
    older.close()
    for name, statements in {
        "foreign.db": ["CREATE TABLE t (x)", "INSERT INTO t VALUES (1)"],
        "events.db": ["CREATE TABLE events (x)", "PRAGMA user_version = 3"],
        "clash.db": ["CREATE TABLE cases (x)"],
    }.items():
        db = sqlite3.connect(folder / name)
        for statement in statements:
            db.execute(statement)
        db.commit()
        db.close()
    (folder / "notes.db").write_text("my notes")
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
        if path.is_file()
    }


def refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the command in this process; an exception escaping it is a user's traceback."""
    try:
        code = main(args)
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    return code, capsys.readouterr().err


def filled(args: list[str], folder: Path, db: str) -> list[str]:
    return [a.format(db=folder / db, folder=folder) for a in args]


def check(args: list[str], folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(folder)
    code, err = refused(args, capsys)
    assert code in (1, 2), (args, code, err)
    assert err.count("\n") == 1, (args, err)
    assert err.endswith("\n"), (args, err)
    assert err.startswith("closedloop"), (args, err)
    assert "Traceback" not in err
    assert snapshot(folder) == before, args


@pytest.mark.parametrize("db", ["current.db", "older.db"])
@pytest.mark.parametrize("args", BAD_ARGUMENTS, ids=lambda a: " ".join(a))
def test_bad_arguments_are_one_line_and_change_nothing(
    args: list[str], db: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check(filled(args, folder, db), folder, capsys)


@pytest.mark.parametrize("db", ["foreign.db", "events.db", "clash.db", "notes.db"])
@pytest.mark.parametrize("args", ANY_COMMAND, ids=lambda a: a[0] + " " + a[-1])
def test_a_file_that_is_not_closedloop_is_refused_unchanged(
    args: list[str], db: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check(filled(args, folder, db), folder, capsys)


def test_a_usage_error_is_one_line_from_the_real_command(folder: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "closedloop.cli", "sweep", "--db", str(folder / "current.db"),
         "--batch", HUGE, "--policy", ":X"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "--batch" in done.stderr
    assert "closedloop sweep --help" in done.stderr


def test_the_library_leaves_a_database_it_refuses_as_it_was(folder: Path) -> None:
    """SQLiteStore migrates before it switches a file to WAL: a clash rolls back."""
    from closedloop import StorageError

    before = snapshot(folder)
    with pytest.raises(StorageError, match="already exists"):
        SQLiteStore(folder / "clash.db")
    assert snapshot(folder) == before
