"""closedloop's pytest plugin: fixtures for a Desk on fakes. Loaded through ``pytest11``.

It lives outside the ``closedloop`` package and imports it only inside fixtures, so that
installing closedloop never slows a test run that does not use it (and it never imports a
database driver).

Fixtures: ``closedloop_clock`` (a :class:`ManualClock` at Monday 2026-11-23 09:00 UTC),
``closedloop_store`` (an :class:`InMemoryStore`), ``closedloop_notifier`` (a
:class:`RecordingNotifier`) and ``closedloop_desk`` (a ``Desk`` on all three, with
sequential ids ``case-1``, ``case-2``, ... and a seeded ``rng``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from closedloop import Desk
    from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier

# Failures inside the conformance kit show the compared values, as in your own tests.
pytest.register_assert_rewrite("closedloop.testing.conformance")


@pytest.fixture
def closedloop_clock() -> ManualClock:
    """A clock that stands still at Monday 23 November 2026, 09:00 UTC."""
    from datetime import UTC, datetime

    from closedloop.testing import ManualClock

    return ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
def closedloop_store() -> InMemoryStore:
    """An empty in-memory store."""
    from closedloop.testing import InMemoryStore

    return InMemoryStore()


@pytest.fixture
def closedloop_notifier() -> RecordingNotifier:
    """A notifier that records what it is given."""
    from closedloop.testing import RecordingNotifier

    return RecordingNotifier()


@pytest.fixture
def closedloop_desk(
    closedloop_store: InMemoryStore,
    closedloop_notifier: RecordingNotifier,
    closedloop_clock: ManualClock,
) -> Desk:
    """A Desk on the in-memory store, the recording notifier and the manual clock, with a
    seeded ``rng``: retry times (which vary by ``RetryPolicy.jitter``) repeat every run."""
    import random

    from closedloop import Desk
    from closedloop.testing import SequentialIds

    return Desk(
        closedloop_store,
        closedloop_notifier,
        clock=closedloop_clock,
        ids=SequentialIds(),
        rng=random.Random(0),
    )
