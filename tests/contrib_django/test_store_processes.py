"""Two processes committing the same case versions through DjangoStore: for each case
exactly one wins, the other gets ConcurrencyError (never a "database is locked")."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from closedloop.domain.change import Change
from closedloop.testing.conformance.base import opened

ROOT = Path(__file__).resolve().parents[2]
CASES = 25

_WORKER = textwrap.dedent(
    """
    import os, sys, time
    import django

    django.setup()
    from closedloop import ConcurrencyError
    from closedloop.contrib.django import DjangoStore
    from closedloop.domain.cases import steps as latte
    from closedloop.domain.change import Change

    alias, owner, go, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    store = DjangoStore(alias)
    cases = [store.get(f"c{n}") for n in range(count)]
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    for case in cases:
        moved = latte.assign(case, at=case.opened_at, by="lead", owner=owner)
        try:
            store.commit(Change(moved, 1))
            print("won", case.id, flush=True)
        except ConcurrencyError:
            print("lost", case.id, flush=True)
    """
)


@pytest.fixture(params=["sqlite_db", pytest.param("pg_db", marks=pytest.mark.postgres)])
def alias(request: pytest.FixtureRequest) -> str:
    name: str = request.getfixturevalue(request.param)
    return name


def test_two_processes_one_wins_each_case(alias: str, tmp_path: Path) -> None:
    from closedloop.contrib.django import DjangoStore

    store = DjangoStore(alias)
    store.commit_many([Change(opened(f"c{n}"), 0) for n in range(CASES)])
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, alias, owner, str(go), str(CASES)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for owner in ("agent-a", "agent-b")
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready", worker.stderr
        go.touch()
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            worker.kill() if worker.poll() is None else None
    assert [worker.returncode for worker in workers] == [0, 0], [err for _, err in outputs]
    won = {
        owner: {line.split()[1] for line in out.splitlines() if line.startswith("won")}
        for owner, (out, _) in zip(("agent-a", "agent-b"), outputs, strict=True)
    }
    lost = [line for out, _ in outputs for line in out.splitlines() if line.startswith("lost")]
    assert won["agent-a"] | won["agent-b"] == {f"c{n}" for n in range(CASES)}
    assert won["agent-a"] & won["agent-b"] == set()
    assert len(lost) == CASES
    for owner, ids in won.items():
        assert {store.get(case_id).owner for case_id in ids} <= {owner}
