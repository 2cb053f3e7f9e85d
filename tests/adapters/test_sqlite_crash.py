"""Writers killed with SIGKILL in the middle of their work on one SQLite file, many times
over: every batch a writer reported committed is there, each case with exactly the events
it reported and each outbox message as it was sent; no batch is there in part."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from closedloop import Case, Notification, SQLiteStore, codec

#: Forks writers on demand (a fork starts in microseconds, a new interpreter in a fifth of a
#: second), kills them when told, and says how each ended.
ZYGOTE = """
import json, os, random, signal, sys, traceback
from datetime import timedelta
from closedloop import Channel, Notification, codec
from closedloop.adapters.sqlite import SQLiteStore
from closedloop.domain.cases import steps as domain
from closedloop.domain.change import Change
from tests.helpers import START, make_feedback

path = sys.argv[1]


def note(case, purpose):
    return Notification(
        key=f"{case.id}/{case.version}/{purpose}", case_id=case.id, to=case.customer,
        channel=Channel.EMAIL, purpose=purpose, subject=purpose, body=f"{purpose}: {case.id}",
        created_at=START,
    )


def write(life, out):
    rng = random.Random(life)
    store = SQLiteStore(path)
    waiting, n = [], 0
    while True:  # batches of new cases and acknowledgements of earlier ones, each with mail
        batch = []
        for _ in range(rng.randint(1, 4)):
            feedback = make_feedback(customer=f"c{life}-{n}@example.com")
            case = domain.open_case(f"w{life}-{n}", feedback, at=START, due_at=START)
            batch.append(Change(case, 0, (note(case, "received"),)))
            n += 1
        while waiting and rng.random() < 0.6:
            case = waiting.pop(0)
            acked = domain.acknowledge(case, at=START, by="amy", due_at=START + timedelta(days=1))
            batch.append(Change(acked, 1, (note(acked, "acknowledgement"),)))
        store.commit_many(batch)
        waiting += [c.case for c in batch if c.case.version == 1]
        lines = [
            json.dumps({"case": codec.dump_case(c.case),
                        "notes": [codec.dump_notification(x) for x in c.notifications]})
            for c in batch
        ]
        os.write(out, ("\\n".join(lines) + "\\n").encode())  # reported only once committed


print("ready", flush=True)
for line in sys.stdin:
    command, arg, *rest = line.split()
    if command == "fork":
        out = os.open(rest[0], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        pid = os.fork()
        if pid == 0:
            try:
                write(int(arg), out)
            except BaseException:
                error = traceback.format_exc().replace("\\n", " ")
                os.write(out, f"error {error}\\n".encode())
            os._exit(1)
        os.close(out)
        print(pid, flush=True)
    else:
        os.kill(int(arg), signal.SIGKILL)
        _, status = os.waitpid(int(arg), 0)
        print(os.WTERMSIG(status) if os.WIFSIGNALED(status) else -1, flush=True)
"""

LIVES = 40


def test_killed_writers_lose_no_batch_they_reported_and_leave_none_in_part(tmp_path: Path) -> None:
    path = tmp_path / "loop.db"
    zygote = subprocess.Popen(
        [sys.executable, "-c", ZYGOTE, str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert zygote.stdin is not None
    assert zygote.stdout is not None
    pace = random.Random(17)
    try:
        assert zygote.stdout.readline() == "ready\n", zygote.communicate(timeout=60)[1]
        for life in range(LIVES):
            zygote.stdin.write(f"fork {life} {tmp_path / f'life-{life}.jsonl'}\n")
            zygote.stdin.flush()
            pid = zygote.stdout.readline().strip()
            time.sleep(pace.uniform(0.0, 0.06))  # kill it somewhere in its work
            zygote.stdin.write(f"kill {pid}\n")
            zygote.stdin.flush()
            assert zygote.stdout.readline() == f"{signal.SIGKILL.value}\n", life  # not dead early
    finally:
        _, errors = zygote.communicate(timeout=60)  # closes its stdin: it ends
    assert zygote.returncode == 0, errors

    cases, notes = reported(tmp_path)
    assert len(cases) > LIVES, "the writers hardly committed anything"
    assert any(case.version == 2 for case in cases.values())
    with SQLiteStore(path) as store:
        for case_id, case in cases.items():
            stored = store.get(case_id)
            assert stored.version >= case.version
            assert stored.events[: case.version] == case.events
        for key, notification in notes.items():
            assert store.outbox_message(key).notification == notification
        # Reported or not, every batch is all there or not at all: each version of each
        # case came with one message, and each message with its version of the case.
        stored_versions = rows(path, "SELECT id, version FROM cases")
        for case_id, version in stored_versions:
            store.outbox_message(f"{case_id}/1/received")
            if version == 2:
                store.outbox_message(f"{case_id}/2/acknowledgement")
        assert len(rows(path, "SELECT key FROM outbox")) == sum(v for _, v in stored_versions)
    assert rows(path, "PRAGMA integrity_check") == [("ok",)]
    assert rows(path, "PRAGMA foreign_key_check") == []


def reported(folder: Path) -> tuple[dict[str, Case], dict[str, Notification]]:
    """The latest version of each case the writers reported committed, and their messages."""
    cases: dict[str, Case] = {}
    notes: dict[str, Notification] = {}
    for report in sorted(folder.glob("life-*.jsonl")):
        for line in report.read_text().splitlines(keepends=True):
            assert not line.startswith("error"), line
            if not line.endswith("\n"):  # cut by the kill: never fully reported
                continue
            entry = json.loads(line)
            case = codec.load_case(entry["case"])
            if case.id not in cases or case.version > cases[case.id].version:
                cases[case.id] = case
            for data in entry["notes"]:
                notification = codec.load_notification(data)
                notes[notification.key] = notification
    return cases, notes


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()
