"""Sweeper processes for the SQLite and PostgreSQL tests: started together, and held after
their first escalation until every one has made one, so a test sees the work shared by
workers sweeping at the same time, not done by whichever started first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SWEEPER = """
import os, sys, time
from datetime import datetime
from closedloop import Desk, PostgresStore, SQLiteStore
from closedloop.testing import ManualClock, RecordingNotifier

kind, gate, workers, now, where = sys.argv[1:6]
workers = int(workers)


class Gated(SQLiteStore if kind == "sqlite" else PostgresStore):
    overlapped = None  # after the first escalation: did every worker make one meanwhile?

    def commit_many(self, changes):  # commit() goes through it too; the sweep commits pages
        super().commit_many(changes)
        if Gated.overlapped is None:
            open(os.path.join(gate, str(os.getpid())), "w").close()
            deadline = time.monotonic() + 120  # a guard against a hang, not a measurement
            while len(os.listdir(gate)) < workers and time.monotonic() < deadline:
                time.sleep(0.005)
            Gated.overlapped = len(os.listdir(gate)) == workers


store = Gated(where) if kind == "sqlite" else Gated(where, schema=sys.argv[6])
desk = Desk(store, RecordingNotifier(), clock=ManualClock(datetime.fromisoformat(now)))
print("ready", flush=True)
sys.stdin.readline()
report = desk.sweep(batch=25)
print(len(report.escalated), report.conflicts, Gated.overlapped, flush=True)
"""


def run_children(script: str, args: list[list[str]], timeout: float = 120) -> list[str]:
    """Start every child, let them all begin at once, and return their outputs."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, *a],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a in args
    ]
    for child in children:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line == "ready\n", child.stderr.read() if child.stderr else line
    for child in children:  # all of them, before waiting for any
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=timeout) for child in children]
    assert all(c.returncode == 0 for c in children), [err for _, err in outputs]
    return [out for out, _ in outputs]


def sweep_together(
    kind: str, workers: int, gate: Path, *where: str, now: str
) -> list[tuple[int, int]]:
    """Run ``workers`` sweepers on one store; each one's (escalated, conflicts). Every
    worker escalated some cases, and all were sweeping at once."""
    gate.mkdir()
    outputs = run_children(SWEEPER, [[kind, str(gate), str(workers), now, *where]] * workers)
    results = [out.split() for out in outputs]
    assert [overlapped for _, _, overlapped in results] == ["True"] * workers
    counts = [(int(escalated), int(conflicts)) for escalated, conflicts, _ in results]
    assert all(escalated >= 1 for escalated, _ in counts), counts  # the work was shared
    return counts
