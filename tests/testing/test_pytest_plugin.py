from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from closedloop import Channel, Desk, Feedback
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier


def test_the_fixtures_make_a_desk_on_fakes(
    closedloop_desk: Desk,
    closedloop_store: InMemoryStore,
    closedloop_notifier: RecordingNotifier,
    closedloop_clock: ManualClock,
) -> None:
    assert closedloop_clock.now() == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    case = closedloop_desk.listen(
        Feedback(customer="m", channel=Channel.EMAIL, received_at=closedloop_clock.now(), text="x")
    )
    assert case.id == "case-1"
    assert closedloop_store.get("case-1") == case
    closedloop_desk.acknowledge(case.id, by="amy")
    closedloop_desk.outbox.dispatch()
    assert closedloop_notifier.purposes() == ["acknowledgement"]


def test_loading_the_plugin_imports_neither_closedloop_nor_a_database_driver() -> None:
    code = (
        "import sys; import _closedloop_pytest; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('closedloop', 'psycopg', 'hypothesis', 'sqlite3')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


_RETRY = """
from closedloop import Channel, Feedback


def test_retry(closedloop_desk, closedloop_notifier, closedloop_clock, closedloop_store):
    closedloop_notifier.fail = lambda n: True
    case = closedloop_desk.listen(
        Feedback(customer="m@x.org", channel=Channel.EMAIL, received_at=closedloop_clock.now(),
                 text="x")
    )
    closedloop_desk.acknowledge(case.id, by="amy")
    closedloop_desk.outbox.dispatch()
    (message,) = closedloop_store.outbox_ready(closedloop_clock.now().replace(year=2027))
    print("RETRY_AT", message.next_attempt_at.isoformat())
"""


def test_the_desk_fixture_retries_at_the_same_times_every_run(tmp_path: Path) -> None:
    """Found by a newcomer's probe: retry times varied by the jitter from run to run, so a
    host's test of a retry passed 12 times in 20."""
    (tmp_path / "test_retry.py").write_text(_RETRY)
    runs = [
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(tmp_path)],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        ).stdout
        for _ in range(3)
    ]
    times = {line for run in runs for line in run.splitlines() if line.startswith("RETRY_AT")}
    assert len(times) == 1, runs
