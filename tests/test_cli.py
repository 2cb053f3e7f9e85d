from __future__ import annotations

import subprocess
import sys

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
