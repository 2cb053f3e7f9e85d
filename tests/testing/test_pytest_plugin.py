from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

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
