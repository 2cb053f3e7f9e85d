"""A host clock that steps backwards (an NTP correction, a VM restored, a second worker whose
clock lags) never writes a case's history out of order: the step is stamped at the case's
last instant instead, so nothing measured from the events goes negative."""

from __future__ import annotations

from contextlib import nullcontext, suppress
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import (
    Case,
    CaseStore,
    Channel,
    Desk,
    Feedback,
    SQLiteStore,
    StepNotAllowedError,
    StepRefusedError,
    Subscribe,
    ValidationError,
)
from closedloop.domain.cases import conversation as talk
from closedloop.domain.cases import steps
from closedloop.domain.checks import instant
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import START, STEPS, make_feedback, take_step


def in_order(case: Case) -> bool:
    times = [instant(e.at) for e in case.events]
    return times == sorted(times)


def test_a_step_after_the_clock_stepped_back_is_stamped_at_the_cases_last_instant(
    embedded_store: CaseStore,
) -> None:
    clock = ManualClock(START)
    desk = Desk(embedded_store, RecordingNotifier(), clock=clock)
    case = desk.listen(make_feedback())
    clock.set(START - timedelta(hours=3))  # NTP pulls the clock back
    acked = desk.acknowledge(case.id, by="amy")
    assert acked.acknowledged_at == START  # not three hours before the case existed
    clock.advance(hours=1)  # still before the case's last instant
    desk.take_action(case.id, by="amy", summary="Fixed it")
    desk.thank(case.id, by="amy")
    desk.explain(case.id, by="amy", what_failed="Training", what_changes="Retrained")
    stored = desk.get(case.id)
    assert in_order(stored)
    assert stored.closed_at is not None
    assert instant(stored.closed_at) >= instant(START)
    clock.set(START + timedelta(days=1))
    figures = desk.reports.insights(START - timedelta(days=1), START + timedelta(days=1))
    took = [k.p50 for k in figures.overall.kpis if k.p50 is not None]
    assert took
    assert all(t >= timedelta(0) for t in took)


def test_a_merge_is_stamped_at_the_later_of_both_cases(embedded_store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = Desk(embedded_store, RecordingNotifier(), clock=clock)
    early = desk.listen(make_feedback())
    clock.advance(hours=2)
    later = desk.listen(make_feedback(channel=Channel.PHONE, text="Rude again"))
    clock.set(START + timedelta(hours=1))  # between the two cases' last events
    merged = desk.conversation.merge(early.id, later.id, by="amy", reason="same matter")
    assert instant(merged.events[-1].at) == instant(START + timedelta(hours=2))
    assert in_order(merged)
    assert in_order(desk.get(later.id))


def test_a_customers_received_at_is_their_data_not_our_clock(embedded_store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = Desk(embedded_store, RecordingNotifier(), clock=clock)
    case = desk.listen(make_feedback())
    clock.set(START - timedelta(hours=5))
    feedback = Feedback(customer="mary@example.com", channel=Channel.EMAIL,
                        received_at=START - timedelta(days=2), text="Any news?")  # fmt: skip
    more = desk.conversation.add_message(case.id, feedback)
    assert more.messages[-1].received_at == START - timedelta(days=2)
    assert instant(more.events[-1].at) == instant(START)
    assert in_order(more)


def test_the_domain_refuses_a_step_before_the_cases_last_event() -> None:
    case = steps.open_case("c1", make_feedback(), at=START)
    with pytest.raises(ValidationError, match="before the case's last event") as caught:
        steps.acknowledge(case, at=START - timedelta(seconds=1), by="amy")
    assert caught.value.field == "at"
    with pytest.raises(ValidationError, match="before the case's last event"):
        talk.note(case, "late note", at=START - timedelta(minutes=1), by="amy")


_MOVES = st.lists(
    st.tuples(
        st.integers(min_value=-2 * 24 * 60, max_value=2 * 24 * 60),  # minutes, either way
        st.sampled_from([*STEPS, "listen", "reply", "write", "merge", "sweep"]),
    ),
    max_size=15,
)


@given(moves=_MOVES, sqlite=st.booleans())
def test_any_clock_moves_keep_every_cases_history_in_order(
    moves: list[tuple[int, str]], sqlite: bool
) -> None:
    clock = ManualClock(START)
    with SQLiteStore(":memory:") if sqlite else nullcontext(InMemoryStore()) as store:
        desk = Desk(store, RecordingNotifier(), clock=clock)
        ids = [desk.listen(make_feedback()).id]
        for minutes, step in moves:
            clock.set(clock.now() + timedelta(minutes=minutes))
            live = [i for i in ids if desk.get(i).merged_into is None]
            if step == "listen":
                ids.append(desk.listen(make_feedback(text=f"More {len(ids)}")).id)
            elif step == "reply":
                desk.conversation.reply(live[-1], "On it", by="amy")
            elif step == "write":
                said = Feedback(customer="mary@example.com", channel=Channel.EMAIL,
                                received_at=clock.now(), text="Any news?")  # fmt: skip
                desk.conversation.add_message(live[-1], said)
            elif step == "merge" and len(live) > 1:
                with suppress(ValidationError):  # into a closed case
                    desk.conversation.merge(live[-2], live[-1], by="amy", reason="same")
            elif step == "sweep":
                desk.sweep()
            elif step != "merge":
                with suppress(StepNotAllowedError, StepRefusedError):  # not at this stage
                    take_step(desk, live[-1], step)
        for case_id in ids:
            assert in_order(desk.get(case_id))


def test_a_sweeper_whose_clock_lags_escalates_at_the_cases_last_instant(
    embedded_store: CaseStore,
) -> None:
    clock = ManualClock(START)
    desk = Desk(embedded_store, RecordingNotifier(), clock=clock)
    case = desk.listen(make_feedback())
    clock.advance(days=3)  # long past the acknowledgement's deadline
    desk.conversation.note(case.id, "looked at it", by="amy")
    clock.set(START + timedelta(days=2))  # a second worker, its clock a day behind
    assert desk.sweep().escalated
    swept = desk.get(case.id)
    assert in_order(swept)
    assert instant(swept.events[-1].at) == instant(START + timedelta(days=3))


def test_an_erasure_after_the_clock_stepped_back_keeps_the_history_in_order(
    embedded_store: CaseStore,
) -> None:
    clock = ManualClock(START)
    desk = Desk(embedded_store, RecordingNotifier(), clock=clock)
    case = desk.listen(make_feedback())
    clock.set(START - timedelta(hours=1))
    desk.customers.erase("mary@example.com")
    erased = desk.get(case.id)
    assert in_order(erased)
    assert instant(erased.events[-1].at) == instant(START)


def test_a_message_a_step_sends_is_ready_at_the_clocks_now(embedded_store: CaseStore) -> None:
    clock = ManualClock(START)
    desk = Desk(embedded_store, RecordingNotifier(), clock=clock)
    case = desk.listen(make_feedback())
    clock.set(START - timedelta(hours=3))
    desk.acknowledge(case.id, by="amy")
    assert len(desk.outbox.dispatch().sent) == 1  # not held three hours for the clock to catch up


def test_a_lagging_sweepers_alerts_and_host_events_are_ready_at_its_clocks_now(
    embedded_store: CaseStore,
) -> None:
    # The sweep stamps its escalation at the case's last instant; the alert it queues, and
    # the host event of a step, are still ready now (not held a day for the clock).
    clock = ManualClock(START)
    seen: list[str] = []
    desk = Desk(
        embedded_store,
        RecordingNotifier(),
        clock=clock,
        events=Subscribe(lambda e: seen.append(e.type)),
    )
    case = desk.listen(make_feedback())
    clock.advance(days=3)
    desk.conversation.note(case.id, "looked at it", by="amy")
    clock.set(START + timedelta(days=2))  # a second worker, its clock a day behind
    assert desk.sweep().escalated
    desk.acknowledge(case.id, by="amy")
    sent = desk.outbox.dispatch().sent
    assert any("/escalation/" in key for key in sent), sent
    assert {"case.escalated", "case.acknowledged"} <= set(seen), seen
