"""A dispatcher killed with SIGKILL loses nothing: the message goes out later, same key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from closedloop import Delivery, Desk, SQLiteStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import make_feedback

# The child claims the message, notes where it is, and hangs there until it is killed.
CHILD = """
import sys, time
from closedloop import Desk, SQLiteStore

db, marker, stage = sys.argv[1:4]

class Hanging:
    def send(self, notification):
        if stage == "after-send":
            with open(marker + ".delivered", "a") as f:
                f.write(notification.key + "\\n")
        with open(marker, "w") as f:
            f.write(notification.key)
        time.sleep(600)

Desk(SQLiteStore(db), Hanging()).outbox.dispatch()
"""


def queue_one(db: Path) -> str:
    clock = ManualClock(datetime.now(UTC))
    with SQLiteStore(db) as store:
        desk = Desk(store, RecordingNotifier(), clock=clock)
        case = desk.listen(make_feedback())
        desk.acknowledge(case.id, by="Amy")
        return f"{case.id}/2/acknowledgement"


def kill_child_mid_delivery(db: Path, marker: Path, stage: str) -> str:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(marker), stage])
    try:
        deadline = time.monotonic() + 30
        # Until it is written, not only made: a kill in between would leave it empty.
        while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), "the child never reached the notifier"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    return marker.read_text()


@pytest.mark.parametrize("stage", ["before-send", "after-send"])
def test_a_killed_dispatcher_is_taken_over_after_the_lease(tmp_path: Path, stage: str) -> None:
    db, marker = tmp_path / "loop.db", tmp_path / "claimed"
    key = queue_one(db)
    assert kill_child_mid_delivery(db, marker, stage) == key

    notifier = RecordingNotifier()
    with SQLiteStore(db) as store:
        message = store.outbox_message(key)
        assert message.status is Delivery.PENDING  # claimed, never marked
        clock = ManualClock(datetime.now(UTC))
        desk = Desk(store, notifier, clock=clock)
        assert desk.outbox.dispatch().sent == ()  # the dead child's lease still holds
        clock.advance(timedelta(minutes=5, seconds=1))
        assert desk.outbox.dispatch().sent == (key,)
        assert store.outbox_message(key).status is Delivery.SENT
    assert [n.key for n in notifier.sent] == [key]
    if stage == "after-send":
        # At least once: the customer may hear twice, and the same key says it is a repeat.
        assert (tmp_path / "claimed.delivered").read_text().split() == [key]
