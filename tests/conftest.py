from __future__ import annotations

import pytest

from closedloop import Desk
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def desk(store: InMemoryStore, notifier: RecordingNotifier, clock: ManualClock) -> Desk:
    return Desk(store, notifier, clock=clock, ids=SequentialIds())
