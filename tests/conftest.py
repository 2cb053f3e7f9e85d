"""The project's own tests use the fixtures its pytest plugin ships to host applications."""

from __future__ import annotations

import pytest

from closedloop import Desk
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier


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
