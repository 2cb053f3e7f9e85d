"""One case the sweep cannot move never stops the sweep of the others."""

from __future__ import annotations

import logging

import pytest

from closedloop import Desk, ValidationError
from closedloop.domain.standards import escalation
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback


def test_a_case_whose_escalation_is_refused_is_left_and_the_others_are_swept(
    every_store: CaseStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(START)
    desk = Desk(every_store, RecordingNotifier(), clock=clock, ids=SequentialIds())
    stuck = desk.listen(make_feedback(customer="ann@example.com"))
    fine = desk.listen(make_feedback(customer="bob@example.com"))
    escalate = escalation.escalate

    def refusing(case, **kwargs):  # type: ignore[no-untyped-def]
        if case.id == stuck.id:  # a rule that refuses this one (a bug, a bad record...)
            raise ValidationError.of("case", f"case {case.id!r} refused for the test")
        return escalate(case, **kwargs)

    monkeypatch.setattr(escalation, "escalate", refusing)
    clock.advance(days=3)
    with caplog.at_level(logging.WARNING, logger="closedloop.standards"):
        report = desk.sweep()
    assert report.failed == (stuck.id,)
    assert [case_id for case_id, _ in report.escalated] == [fine.id]
    assert desk.get(stuck.id).version == stuck.version  # left as it was
    assert "1 refused" in str(report)
    assert [r.case_id for r in caplog.records] == [stuck.id]  # type: ignore[attr-defined]
    assert desk.health().cases_due >= 1  # still due: visible to whoever watches
