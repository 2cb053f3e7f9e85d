"""Two sweeper processes on one SQLite file: every late case escalated exactly once."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from closedloop import Desk, SQLiteStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback

SWEEPER = """
import sys
from datetime import datetime
from closedloop import Desk, SQLiteStore
from closedloop.testing import ManualClock, RecordingNotifier

store = SQLiteStore(sys.argv[1])
desk = Desk(store, RecordingNotifier(), clock=ManualClock(datetime.fromisoformat(sys.argv[2])))
print("ready", flush=True)
sys.stdin.readline()
report = desk.sweep(batch=50)
print(len(report.escalated), report.conflicts, flush=True)
"""


def test_two_sweepers_escalate_each_case_once_with_one_alert(tmp_path: Path) -> None:
    db = tmp_path / "loop.db"
    cases = 1_000
    with SQLiteStore(db, synchronous="NORMAL") as store:
        desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
        ids = {
            c.id for c in desk.listen_many(make_feedback(customer=f"c{i}") for i in range(cases))
        }
    late = START + timedelta(hours=4, seconds=1)  # past the acknowledgement standard
    children = [
        subprocess.Popen(
            [sys.executable, "-c", SWEEPER, str(db), late.isoformat()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n", child.stderr.read() if child.stderr else ""
    outputs = [child.communicate("go\n", timeout=300) for child in children]
    assert all(child.returncode == 0 for child in children), [err for _, err in outputs]
    escalated = [int(out.split()[0]) for out, _ in outputs]
    assert sum(escalated) == cases

    with SQLiteStore(db) as store:
        assert {store.get(i).escalation_level for i in ids} == {1}
        alerts = store.outbox_claim(late + timedelta(days=1), limit=10 * cases)
        escalations = [m.notification for m in alerts if m.notification.purpose == "escalation"]
        assert len(escalations) == cases
        assert {n.case_id for n in escalations} == ids
