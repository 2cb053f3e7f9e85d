"""A case keeps its due times (``due_times``) once asked: what it keeps must be what a case
with the same fields, asked afresh, answers, whichever is asked first, amber or not, and a
step's new case must not inherit its old case's answers."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from closedloop import Ladder, Rung, Standards, WaitingOn
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.case import Case, replay
from closedloop.domain.standards import escalation, pauses
from closedloop.domain.standards.escalation import next_due
from closedloop.domain.standards.standard import deadlines, due_times
from tests.helpers import START, make_feedback

STANDARDS = Standards()
LADDER = Ladder(rungs=[Rung("team lead", ["lead@example.com"]), Rung("head", ["head@example.com"])])


def schedule(case: Case) -> object:
    return next_due(case, STANDARDS, LADDER, warn_at_amber=True)


def a_case(moves: list[int]) -> list[Case]:
    """A case through ``moves`` (each picks the next step that applies), every state kept."""
    at = START
    case = latte.open_case("c1", make_feedback(), at=at, due_at=schedule)
    states = [case]
    for move in moves:
        at += timedelta(hours=1 + move)
        pending = deadlines(case, STANDARDS, at)
        if move >= 6 and pending:  # the sweep's own events: its due times hold after them
            if move == 6 and case.escalation_level < LADDER.top:
                case = escalation.escalate(
                    case, at=at, ladder=LADDER, breached=pending[0], due_at=schedule
                )
            elif move == 7:
                case = escalation.warn(case, at=at, amber=pending[0], due_at=schedule)
            else:
                case = escalation.reschedule(case, at=at, due_at=schedule)
        elif case.pause is not None:
            case = pauses.resume(case, at=at, by="amy", reason="back", due_at=schedule)
        elif move % 3 == 0 and case.is_active:
            case = pauses.pause(
                case, WaitingOn.THIRD_PARTY, at=at, by="amy", reason="courier",
                resume_by=at + timedelta(days=2), due_at=schedule,
            )  # fmt: skip
        elif case.acknowledged_at is None:
            case = latte.acknowledge(case, at=at, by="amy", due_at=schedule)
        elif case.action is None and case.is_active:
            case = latte.take_action(case, at=at, by="amy", summary="Refunded", due_at=schedule)
        else:
            break
        states.append(case)
    return states


@given(st.lists(st.integers(0, 8), max_size=8), st.lists(st.booleans(), min_size=1, max_size=4))
def test_kept_due_times_are_those_of_a_case_asked_afresh(
    moves: list[int], asks: list[bool]
) -> None:
    for case in a_case(moves):
        for amber in asks:  # in any order, more than once
            fresh = replay(case.events)
            assert next_due(case, STANDARDS, LADDER, warn_at_amber=True) == fresh.due_at
            assert due_times(case, STANDARDS, amber=amber) == due_times(
                fresh, STANDARDS, amber=amber
            )


def test_a_step_does_not_keep_the_due_times_of_the_case_before_it() -> None:
    opened = latte.open_case("c1", make_feedback(), at=START, due_at=schedule)
    before = due_times(opened, STANDARDS, amber=True)
    acknowledged = latte.acknowledge(opened, at=START + timedelta(hours=1), by="amy")
    after = due_times(acknowledged, STANDARDS, amber=True)
    assert [d.target for d in before] != [d.target for d in after]
    assert after == due_times(replay(acknowledged.events), STANDARDS, amber=True)


def test_due_times_kept_under_one_policy_are_not_given_for_another() -> None:
    case = latte.open_case("c1", make_feedback(), at=START, due_at=schedule)
    strict = Standards(amber_at=0.5)
    assert due_times(case, STANDARDS, amber=True) != due_times(case, strict, amber=True)
    assert due_times(case, strict, amber=True) == due_times(replay(case.events), strict, amber=True)
