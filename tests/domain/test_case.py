from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given

from closedloop import (
    Case,
    Channel,
    FeedbackKind,
    NaiveDatetimeError,
    Priority,
    Stage,
    Step,
    StepNotAllowedError,
    StepRefusedError,
    ValidationError,
)
from closedloop.domain.cases import steps as d
from closedloop.domain.cases.case import replay
from closedloop.domain.cases.events import Acknowledged, CaseOpened, Explained, Reopened
from closedloop.testing import strategies as cls
from tests.helpers import START, make_feedback

T1 = START + timedelta(hours=1)


def opened(kind: FeedbackKind = FeedbackKind.COMPLAINT) -> Case:
    return d.open_case("c-1", make_feedback(kind), at=START, priority=Priority.NORMAL)


def through_action(kind: FeedbackKind = FeedbackKind.COMPLAINT) -> Case:
    case = d.acknowledge(opened(kind), at=T1, by="amy")
    return d.take_action(case, at=T1, by="amy", summary="Retrained the Leeds team")


def test_listen_opens_a_case_at_version_one() -> None:
    case = opened()
    assert case.stage is Stage.LISTENED
    assert case.version == 1
    assert case.channels == (Channel.WEB_FORM,)
    assert case.reply_channel == Channel.WEB_FORM
    assert isinstance(case.events[0], CaseOpened)
    assert case.allowed_steps() == (Step.ACKNOWLEDGE,)
    assert not case.is_closed


def test_a_complaint_goes_through_all_five_steps() -> None:
    case = through_action()
    case = d.thank(case, at=T1, by="amy")
    assert case.stage is Stage.THANKED
    case = d.explain(case, at=T1, by="amy", what_failed="Training", what_changes="Refresher")
    assert case.stage is Stage.CLOSED
    assert case.is_closed
    assert case.closed_at == T1
    assert case.version == 5
    assert [type(e).__name__ for e in case.events] == [
        "CaseOpened",
        "Acknowledged",
        "ActionTaken",
        "Thanked",
        "Explained",
    ]


def test_a_compliment_needs_only_acknowledge_and_thank() -> None:
    case = d.acknowledge(opened(FeedbackKind.COMPLIMENT), at=T1, by="amy")
    assert case.allowed_steps() == (Step.THANK,)
    case = d.thank(case, at=T1, by="amy")
    assert case.is_closed


def test_answering_a_question_closes_it() -> None:
    case = through_action(FeedbackKind.QUESTION)
    assert case.is_closed


def test_an_adopted_suggestion_closes_on_thanks() -> None:
    case = d.thank(through_action(FeedbackKind.SUGGESTION), at=T1, by="amy")
    assert case.is_closed


@pytest.mark.parametrize("kind", [FeedbackKind.QUESTION, FeedbackKind.SUGGESTION])
def test_declining_still_requires_thank_and_explain(kind: FeedbackKind) -> None:
    case = d.acknowledge(opened(kind), at=T1, by="amy")
    case = d.decline(case, at=T1, by="amy", reason="We no longer stock that model")
    assert case.stage is Stage.ACTION_TAKEN
    assert case.declined == "We no longer stock that model"
    case = d.thank(case, at=T1, by="amy")
    assert not case.is_closed
    assert case.allowed_steps() == (Step.EXPLAIN, Step.REOPEN)
    case = d.explain(case, at=T1, by="amy", what_failed="Range cut", what_changes="Review it")
    assert case.is_closed


def test_thanks_before_action_on_a_complaint_is_refused_with_the_reason() -> None:
    case = d.acknowledge(opened(), at=T1, by="amy")
    with pytest.raises(StepNotAllowedError) as info:
        d.thank(case, at=T1, by="amy")
    error = info.value
    assert error.case_id == "c-1"
    assert error.stage is Stage.ACKNOWLEDGED
    assert error.step is Step.THANK
    assert error.allowed == (Step.TAKE_ACTION, Step.DECLINE)
    assert "steps allowed now: take_action, decline" in str(error)
    assert "after action is taken" in str(error)


@pytest.mark.parametrize(
    ("failed", "changes", "message"),
    [
        ("", "Refresher training", "what part of the process failed"),
        ("Training", "  ", "what will change"),
    ],
)
def test_explain_needs_what_failed_and_what_changes(
    failed: str, changes: str, message: str
) -> None:
    case = d.thank(through_action(), at=T1, by="amy")
    with pytest.raises(StepRefusedError, match=message):
        d.explain(case, at=T1, by="amy", what_failed=failed, what_changes=changes)


def test_decline_needs_a_reason() -> None:
    case = d.acknowledge(opened(), at=T1, by="amy")
    with pytest.raises(StepRefusedError, match="needs the reason"):
        d.decline(case, at=T1, by="amy", reason="")


def test_not_resolved_reopens_to_take_action_and_counts() -> None:
    case = d.thank(through_action(), at=T1, by="amy")
    case = d.explain(case, at=T1, by="amy", what_failed="Training", what_changes="Refresher")
    case = d.reopen(case, at=T1, by="mary@example.com", reason="Still rude")
    assert case.stage is Stage.ACKNOWLEDGED
    assert case.reopen_count == 1
    assert case.action is None
    assert case.explanation is None
    assert case.allowed_steps() == (Step.TAKE_ACTION, Step.DECLINE)
    last = case.last(Step.REOPEN)
    assert isinstance(last, Reopened)
    assert last.by == "mary@example.com"


def test_a_closed_compliment_allows_nothing() -> None:
    case = d.thank(d.acknowledge(opened(FeedbackKind.COMPLIMENT), at=T1, by="a"), at=T1, by="a")
    with pytest.raises(StepNotAllowedError, match=r"none \(the loop is closed\)"):
        d.reopen(case, at=T1, by="m", reason="x")


def test_acknowledging_makes_the_acknowledger_owner_unless_one_is_set() -> None:
    promise = T1 + timedelta(days=2)
    case = d.acknowledge(opened(), at=T1, by="amy", next_contact_by=promise)
    assert case.owner == "amy"
    assert case.acknowledged_at == T1
    assert case.next_contact_by == promise
    ack = case.last(Step.ACKNOWLEDGE)
    assert isinstance(ack, Acknowledged)
    assert (ack.at, ack.by) == (T1, "amy")
    assigned = d.assign(opened(), at=T1, by="lead", owner="bo")
    assert d.acknowledge(assigned, at=T1, by="amy").owner == "bo"


def test_naive_times_and_missing_actors_are_refused() -> None:
    with pytest.raises(NaiveDatetimeError, match="at must be timezone-aware"):
        d.acknowledge(opened(), at=datetime(2026, 1, 1), by="amy")
    with pytest.raises(ValidationError, match="by must name who acts"):
        d.acknowledge(opened(), at=T1, by=" ")
    with pytest.raises(NaiveDatetimeError, match="next_contact_by"):
        d.acknowledge(opened(), at=T1, by="a", next_contact_by=datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="owner must be"):
        d.assign(opened(), at=T1, by="lead", owner="")


def test_a_refused_step_leaves_the_case_as_it_was() -> None:
    case = d.acknowledge(opened(), at=T1, by="amy")
    before = (case.version, case.stage, case.events)
    with pytest.raises(StepNotAllowedError):
        d.explain(case, at=T1, by="amy", what_failed="x", what_changes="y")
    assert (case.version, case.stage, case.events) == before


def test_replay_needs_a_history_that_starts_with_opening() -> None:
    case = through_action()
    with pytest.raises(ValidationError, match="must start with a CaseOpened"):
        replay(case.events[1:])


@given(cls.cases())
def test_replaying_the_events_gives_the_same_case(case: Case) -> None:
    assert replay(case.events) == case
    assert case.version == len(case.events)
    assert [e.version for e in case.events] == list(range(1, case.version + 1))


@given(cls.cases())
def test_a_generated_case_is_closed_exactly_when_its_stage_says(case: Case) -> None:
    assert case.is_closed == (case.stage is Stage.CLOSED)
    assert (case.closed_at is not None) == case.is_closed
    if case.is_closed:
        assert isinstance(case.explanation, Explained) or case.kind is not FeedbackKind.COMPLAINT
