"""The project's own tests use the fixtures its pytest plugin ships to host applications."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from closedloop import Desk, SQLiteStore
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier

# No test asserts on time (benchmarks measure speed): hypothesis's deadline and its "input
# generation is slow" check fail on a loaded machine, not on a wrong answer.
# CLOSEDLOOP_HYPOTHESIS_EXAMPLES lowers the examples of the tests that name no number of
# their own: CI's second run, with the wall clock shifted, looks for tests that depend on
# the day they run, which the number of random inputs has no bearing on.
_EXAMPLES = os.environ.get("CLOSEDLOOP_HYPOTHESIS_EXAMPLES")
settings.register_profile(
    "closedloop",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    **({"max_examples": int(_EXAMPLES)} if _EXAMPLES else {}),
)
settings.load_profile("closedloop")


@pytest.fixture
def clock(closedloop_clock: ManualClock) -> ManualClock:
    return closedloop_clock


@pytest.fixture
def store(closedloop_store: InMemoryStore) -> InMemoryStore:
    return closedloop_store


@pytest.fixture
def notifier(closedloop_notifier: RecordingNotifier) -> RecordingNotifier:
    return closedloop_notifier


@pytest.fixture
def desk(closedloop_desk: Desk) -> Desk:
    return closedloop_desk


# -- PostgreSQL tests: run when the server is named, one clear line when it is not ----------

_POSTGRES = "CLOSEDLOOP_TEST_POSTGRES_DSN"
_HOW = f"set {_POSTGRES}=postgresql://postgres@127.0.0.1:5432/test to run them (README)"


def _postgres_deselected() -> bool:
    # Under CI=true they are never left out: tests/adapters/postgres_support.py fails instead.
    return not os.environ.get(_POSTGRES) and os.environ.get("CI") != "true"


def pytest_report_header(config: pytest.Config) -> str | None:
    if _postgres_deselected():
        return f"PostgreSQL tests: not run, {_HOW}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _postgres_deselected():
        return
    left_out = [item for item in items if item.get_closest_marker("postgres") is not None]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item.get_closest_marker("postgres") is None]
        config.stash[_LEFT_OUT] = len(left_out)


_LEFT_OUT = pytest.StashKey[int]()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    left_out = config.stash.get(_LEFT_OUT, 0)
    if left_out:
        terminalreporter.write_line(f"{left_out} PostgreSQL tests deselected: {_HOW}", yellow=True)


# -- one test on every store closedloop ships ----------------------------------------------


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def every_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    """An empty store of each kind: in memory, SQLite on a file, PostgreSQL in a new schema."""
    yield from _store(request.param, tmp_path)


@pytest.fixture(params=["memory", "sqlite"])
def embedded_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    """An empty store of each kind that runs in the process: in memory, SQLite on a file."""
    yield from _store(request.param, tmp_path)


def _store(kind: str, tmp_path: Path) -> Iterator[CaseStore]:
    if kind == "memory":
        yield InMemoryStore()
    elif kind == "sqlite":
        with SQLiteStore(tmp_path / "loop.db") as sqlite:
            yield sqlite
    else:
        yield from _postgres_store()


def _postgres_store() -> Iterator[CaseStore]:
    from closedloop import PostgresStore
    from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema

    dsn, schema = dsn_or_skip(), new_schema()
    try:
        with PostgresStore(dsn, schema=schema) as postgres:
            yield postgres
    finally:
        drop_schema(dsn, schema)


@pytest.fixture
def postgres() -> Iterator[CaseStore]:
    """An empty PostgresStore in a schema of its own, dropped afterwards."""
    yield from _postgres_store()
