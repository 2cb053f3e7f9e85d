"""Helpers for the test suites of applications that embed closedloop.

Public and stable: :class:`InMemoryStore`, :class:`RecordingNotifier`,
:class:`ManualClock`, and the hypothesis strategies in :mod:`closedloop.testing.strategies`
(imported on demand, so hypothesis is needed only if you use them).
"""

from closedloop.adapters.memory import InMemoryStore
from closedloop.testing.fakes import ManualClock, RecordingNotifier
from closedloop.testing.ids import SequentialIds

__all__ = ["InMemoryStore", "ManualClock", "RecordingNotifier", "SequentialIds"]
