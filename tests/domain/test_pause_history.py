"""A case carries when it was last reopened and the stretches its clocks were stopped
(``reopened_at``, ``pause_history``), when it was first acknowledged and where it arrived
(``acknowledged_at``, ``opened_on``), so that its deadlines and facts need not read its
history: for every history, they say what reading the events says."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from closedloop import LifecycleError, Target, WaitingOn
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.case import Case, apply, replay
from closedloop.domain.cases.contact import Paused, ends_pause
from closedloop.domain.cases.conversation import add_message, note
from closedloop.domain.cases.events import (
    Acknowledged,
    AwaitingCustomer,
    CaseOpened,
    Event,
    Reopened,
)
from closedloop.domain.checks import instant
from closedloop.domain.standards import pauses
from closedloop.domain.standards.business_time import paused_spans, step_start
from tests.helpers import START, make_feedback

OPS = ["pause", "ask", "legacy_ask", "resume", "message", "note", "step", "reopen"]


def started_from_events(case: Case, target: Target) -> datetime:
    """``step_start`` as it read the events before cases carried ``reopened_at``."""
    if target in (Target.ACKNOWLEDGE, Target.CONTACT):
        return case.opened_at
    if target is Target.REPLY and case.awaiting_reply_since is not None:
        return case.awaiting_reply_since
    reopened = [e.at for e in case.events if isinstance(e, Reopened)]
    return reopened[-1] if reopened else case.opened_at


def spans_from_events(
    events: list[Event], start: datetime, target: Target
) -> list[tuple[datetime, datetime | None]]:
    """``paused_spans`` as it read the events before cases carried ``pause_history``."""
    spans: list[tuple[datetime, datetime | None]] = []
    if target is Target.REPLY:
        return spans
    began: datetime | None = None
    for event in events:
        if isinstance(event, AwaitingCustomer | Paused) and began is None:
            began = event.at
        elif began is not None and ends_pause(event):
            if instant(event.at) > instant(start):
                spans.append((max(began, start, key=instant), event.at))
            began = None
    if began is not None:
        spans.append((max(began, start, key=instant), None))
    return spans


def moved(case: Case, op: str, at: datetime) -> Case:
    """``case`` after ``op`` at ``at`` if it applies, else unchanged."""
    later = at + timedelta(days=3)
    if op == "pause" and case.is_active and case.pause is None:
        return pauses.pause(
            case, WaitingOn.THIRD_PARTY, at=at, by="amy", reason="courier", resume_by=later
        )
    if op == "ask" and case.is_active and case.pause is None:
        return pauses.pause(
            case, WaitingOn.CUSTOMER, at=at, by="amy", reason="size?", resume_by=later,
            question="Which size?",
        )  # fmt: skip
    if op == "legacy_ask":  # histories from before Paused: even while paused already
        return apply(case, AwaitingCustomer(
            case_id=case.id, version=case.version + 1, at=at, by="amy", question="Which?",
        ))  # fmt: skip
    if op == "resume" and case.is_active and case.pause is not None:
        return pauses.resume(case, at=at, by="amy", reason="back", due_at=None)
    if op == "message":
        return add_message(case, make_feedback(text="And another thing"), at=at, due_at=None)
    if op == "note":
        return note(case, "looked at it", at=at, by="amy")
    if op == "reopen" and case.is_closed:
        return latte.reopen(case, at=at, by="amy", reason="not fixed")
    if op == "step" and not case.is_closed:
        for step in (latte.acknowledge, latte.thank):
            try:
                return step(case, at=at, by="amy")
            except LifecycleError:  # not this step now: try the next
                continue
        if case.action is None:
            return latte.take_action(case, at=at, by="amy", summary="Refunded")
        return latte.explain(case, at=at, by="amy", what_failed="x", what_changes="y")
    return case


@given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 30)), max_size=14))
def test_a_cases_pause_history_and_last_reopen_say_what_its_events_say(
    ops: list[tuple[str, int]],
) -> None:
    case = latte.open_case("c1", make_feedback(), at=START)
    at = START
    for op, hours in ops:
        at += timedelta(hours=hours)
        case = moved(case, op, at)
        events = list(case.events)
        starts = [case.opened_at, *(e.at for e in events), at + timedelta(hours=1)]
        for target in Target:
            assert step_start(case, target) == started_from_events(case, target)
            for start in starts:
                assert paused_spans(case, start, target) == spans_from_events(events, start, target)
        assert replay(events) == case  # the fields follow from the events alone
        acknowledged = [e.at for e in events if isinstance(e, Acknowledged)]
        assert case.acknowledged_at == (acknowledged[0] if acknowledged else None)
        opened = events[0]
        assert isinstance(opened, CaseOpened)
        assert case.arrival_channel == case.opened_on == opened.feedback.channel


def test_a_pause_stretch_is_kept_once_it_ended_and_the_last_reopen_is_kept() -> None:
    case = latte.acknowledge(latte.open_case("c1", make_feedback(), at=START), at=START, by="amy")
    paused_at, back_at = START + timedelta(hours=1), START + timedelta(hours=5)
    case = pauses.pause(
        case, WaitingOn.THIRD_PARTY, at=paused_at, by="amy", reason="courier",
        resume_by=START + timedelta(days=2),
    )  # fmt: skip
    assert [(s.began, s.ended) for s in case.pause_history] == [(paused_at, None)]
    case = pauses.resume(case, at=back_at, by="amy", reason="back", due_at=None)
    assert [(s.began, s.ended) for s in case.pause_history] == [(paused_at, back_at)]
    assert case.reopened_at is None
    case = latte.take_action(case, at=back_at, by="amy", summary="Refunded")
    case = latte.thank(case, at=back_at, by="amy")
    case = latte.explain(case, at=back_at, by="amy", what_failed="x", what_changes="y")
    reopened = back_at + timedelta(days=1)
    assert latte.reopen(case, at=reopened, by="amy", reason="again").reopened_at == reopened
