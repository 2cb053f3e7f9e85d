"""What docs/desk.md promises of a step given no expected_version: it commits against the
version it read, so a writer that changes the case in between makes it raise
ConcurrencyError, having written nothing; read again and retry."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from closedloop import ConcurrencyError, Desk
from closedloop.domain.cases.case import Case
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback


class Interleaved(InMemoryStore):
    """Runs ``between`` once, right after the next read of a case: another writer."""

    between: Callable[[], object] | None = None

    def get(self, case_id: str) -> Case:
        found = super().get(case_id)
        between, self.between = self.between, None
        if between is not None:
            between()
        return found


def test_a_concurrent_writer_makes_a_step_without_expected_version_raise() -> None:
    store = Interleaved()
    clock = ManualClock(START)
    amy = Desk(store, RecordingNotifier(), clock=clock)
    bob = Desk(store, RecordingNotifier(), clock=clock)
    case = amy.listen(make_feedback())
    store.between = lambda: bob.acknowledge(case.id, by="Bob")
    with pytest.raises(ConcurrencyError, match="read it again and retry") as info:
        amy.acknowledge(case.id, by="Amy")
    assert (info.value.expected, info.value.actual) == (case.version, case.version + 1)
    after = amy.get(case.id)
    assert after.stage is not case.stage  # Bob's acknowledgement stands, Amy's wrote nothing
    assert after.version == case.version + 1
    moved = amy.take_action(case.id, by="Amy", summary="Refunded")  # read again: it goes
    assert moved.version == case.version + 2
