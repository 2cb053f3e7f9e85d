"""examples/django_helpdesk runs its own tests (tickets/tests.py) in a process of its own, so
Django is configured there and nowhere else in this suite: tickets created over HTTP become
closedloop cases, steps commit with the ticket's change or not at all, and the mail reaches
Django's test outbox after closedloop_dispatch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "django_helpdesk"

pytest.importorskip("django", reason="the django extra is not installed")


def test_the_example_helpdesk_passes_its_own_tests(tmp_path: Path) -> None:
    own = EXAMPLE / "helpdesk.db"  # the example's database, if you ran its README
    before = own.stat().st_mtime_ns if own.exists() else None
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "HELPDESK_DB": str(tmp_path / "helpdesk.db"),
        "DJANGO_SETTINGS_MODULE": "helpdesk_site.settings",
    }
    done = subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), "test", "tickets", "--noinput"],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Ran 6 tests" in done.stderr
    # The test database, never the example's own (a newcomer's probe ran the README first).
    assert (own.stat().st_mtime_ns if own.exists() else None) == before
