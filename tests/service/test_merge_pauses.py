"""A case on hold merged into another stops waiting: its pause went with its messages, so
nothing on its record waits (a CRM mirroring ``case.pause`` showed it waiting for good) and
no later step makes it due again (the sweep could never clear it: found by the whole-Desk
machine once it merged held cases)."""

from __future__ import annotations

from datetime import timedelta

from closedloop import Channel, Desk, Feedback, WaitingOn
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier


def test_a_held_case_merged_away_waits_for_nothing_and_never_falls_due(
    every_store: CaseStore,
) -> None:
    clock = ManualClock()
    desk = Desk(every_store, RecordingNotifier(), clock=clock)

    def feedback() -> Feedback:
        return Feedback(
            customer="ann@example.com", channel=Channel.EMAIL, received_at=clock.now(), text="Late"
        )

    kept, held = desk.listen(feedback()), desk.listen(feedback())
    resume_by = clock.now() + timedelta(days=1)
    desk.conversation.hold(
        held.id, WaitingOn.THIRD_PARTY, by="amy", reason="courier", resume_by=resume_by
    )
    clock.advance(timedelta(hours=1))
    desk.conversation.merge(kept.id, held.id, by="amy", reason="the same parcel")
    merged = desk.get(held.id)
    assert merged.pause is None
    assert [s.ended for s in merged.pause_history] == [clock.now()]

    desk.queues.tag(held.id, by="amy", add=["vip"])  # a step on it after the merge
    assert desk.get(held.id).due_at is None
    clock.advance(timedelta(days=2))  # past the hold's resume_by
    desk.sweep()
    assert held.id not in {due.id for due in every_store.due(clock.now(), limit=10)}
    assert desk.sweep().escalated == ()  # a second sweep finds nothing left to do
