"""Explicit merge and split of cases, keeping both histories."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from closedloop import (
    CaseStore,
    Channel,
    Desk,
    Feedback,
    OriginKind,
    SQLiteStore,
    StepRefusedError,
    ValidationError,
    WaitingOn,
)
from closedloop.domain.cases.events import CasesMerged, MergedInto, SplitOff
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback


def said(
    clock: ManualClock, text: str, channel: Channel = Channel.EMAIL, external_id: str | None = None
) -> Feedback:
    return Feedback(customer="mary@example.com", channel=channel, received_at=clock.now(),
                    text=text, external_id=external_id)  # fmt: skip


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    if request.param == "memory":
        yield InMemoryStore()
        return
    with SQLiteStore(tmp_path / "loop.db") as sqlite:
        yield sqlite


def test_a_duplicate_merges_into_the_case_and_stops(store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock)
    main = desk.listen(said(clock, "Sofa torn, order 881"))
    dup = desk.listen(said(clock, "Order 881 sofa is torn!", Channel.PHONE))
    assert {c.id for c in desk.unanswered()} == {main.id, dup.id}
    merged = desk.conversation.merge(main.id, dup.id, by="amy", reason="same order")
    assert [m.channel for m in merged.messages] == [Channel.EMAIL, Channel.PHONE]
    assert isinstance(merged.events[-1], CasesMerged)
    stopped = desk.get(dup.id)
    assert (stopped.merged_into, stopped.due_at, stopped.is_active) == (main.id, None, False)
    assert isinstance(stopped.events[-1], MergedInto)
    assert [e.version for e in stopped.events] == [1, 2]  # its history stays
    assert [c.id for c in desk.unanswered()] == [main.id]
    clock.advance(days=30)
    assert dup.id not in [c.id for c in desk.standards.due()]
    with pytest.raises(StepRefusedError, match=f"merged into case '{main.id}'"):
        desk.acknowledge(dup.id, by="amy")
    # The customer replying on the old thread reaches the case it went into.
    assert desk.conversation.add_message(dup.id, said(clock, "Any news?")).id == main.id
    assert len(desk.get(main.id).messages) == 3


def test_merging_is_refused_when_it_makes_no_sense(desk: Desk, clock: ManualClock) -> None:
    a = desk.listen(said(clock, "a"))
    b = desk.listen(said(clock, "b"))
    with pytest.raises(ValidationError, match="into itself"):
        desk.conversation.merge(a.id, a.id, by="amy", reason="x")
    with pytest.raises(ValidationError, match="say why"):
        desk.conversation.merge(a.id, b.id, by="amy", reason=" ")
    desk.conversation.merge(a.id, b.id, by="amy", reason="same")
    with pytest.raises(ValidationError, match="merged into"):
        desk.conversation.merge(b.id, a.id, by="amy", reason="back")
    assert desk.get(a.id).version == 2  # the refused merge changed nothing


def test_a_second_matter_splits_off_with_its_own_deadlines(store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock)
    case = desk.listen(said(clock, "Torn sofa"))
    desk.conversation.add_message(case.id, said(clock, "Also: my refund for the lamp never came"))
    desk.conversation.add_message(case.id, said(clock, "The sofa again"))
    desk.acknowledge(case.id, by="amy")
    clock.advance(hours=1)
    source, new = desk.conversation.split(case.id, [1], by="amy", reason="a separate refund matter")
    assert [m.text for m in source.messages] == ["Torn sofa", "The sofa again"]
    assert [m.text for m in new.messages] == ["Also: my refund for the lamp never came"]
    assert new.origin is not None
    assert (new.origin.kind, new.origin.case_id) == (OriginKind.SPLIT, case.id)
    assert new.acknowledged_at is None  # its own clock
    assert new.due_at is not None
    assert isinstance(desk.get(case.id).events[-1], SplitOff)
    assert desk.get(new.id) == new
    with pytest.raises(ValidationError, match="positions"):
        desk.conversation.split(case.id, [7], by="amy", reason="x")
    with pytest.raises(ValidationError, match="at least one message"):
        desk.conversation.split(case.id, [0, 1], by="amy", reason="x")


def test_duplicates_delivered_by_webhook_merge_on_every_store(every_store: CaseStore) -> None:
    """Merging a duplicate that carried an external id was refused on the in-memory store and
    SQLite (the id "already belongs to another case") and accepted on PostgreSQL."""
    store = every_store
    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock)
    main = desk.listen(said(clock, "Sofa torn, order 881", external_id="hook-1"))
    dup = desk.listen(said(clock, "Order 881 sofa is torn!", external_id="hook-2"))
    merged = desk.conversation.merge(main.id, dup.id, by="amy", reason="same order")
    assert [m.external_id for m in merged.messages] == ["hook-1", "hook-2"]
    assert merged.external_ids == ("hook-1",)
    again = store.find_by_external_id("hook-2")  # the redelivery finds where it went
    assert again is not None
    assert (again.id, again.merged_into) == (dup.id, main.id)
    assert desk.listen(said(clock, "Order 881 sofa is torn!", external_id="hook-2")).id == dup.id


def test_a_merged_case_takes_no_promise_and_its_old_pause_never_stops_the_sweep(
    store: InMemoryStore, clock: ManualClock
) -> None:
    desk = Desk(store, RecordingNotifier(), clock=clock, ids=SequentialIds())
    held = desk.listen(make_feedback(text="The order"))
    desk.conversation.hold(
        held.id, WaitingOn.THIRD_PARTY, by="amy", reason="courier",
        resume_by=clock.now() + timedelta(days=1),
    )  # fmt: skip
    other = desk.listen(make_feedback(customer="bob@example.com", text="Mine too"))
    desk.conversation.merge(other.id, held.id, by="amy", reason="the same order")
    with pytest.raises(ValidationError, match="make the promise on that one"):
        desk.promises.make(
            held.id, what="Call", due_by=clock.now() + timedelta(days=1), owner="amy", by="amy"
        )
    clock.advance(days=2)
    desk.sweep()  # the merged case's expired hold is not its to end
    assert desk.get(held.id).merged_into == other.id
