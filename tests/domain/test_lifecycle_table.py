from __future__ import annotations

import pytest

from closedloop import FeedbackKind, LifecycleDefinitionError, Stage, Step
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle, Transition

S = Stage


def _chain(*extra: Transition) -> list[Transition]:
    return [
        Transition(Step.ACKNOWLEDGE, (S.LISTENED,), S.ACKNOWLEDGED),
        Transition(Step.TAKE_ACTION, (S.ACKNOWLEDGED,), S.ACTION_TAKEN),
        Transition(Step.THANK, (S.ACTION_TAKEN,), S.THANKED),
        Transition(Step.EXPLAIN, (S.THANKED,), S.CLOSED),
        *extra,
    ]


def test_a_complete_chain_is_accepted() -> None:
    table = Lifecycle(_chain(), initial=S.LISTENED, final=S.CLOSED)
    assert table.steps_for(FeedbackKind.QUESTION) == (
        Step.ACKNOWLEDGE,
        Step.TAKE_ACTION,
        Step.THANK,
        Step.EXPLAIN,
    )


def test_two_initial_stages_are_refused() -> None:
    rows = _chain()[1:]  # nothing leads into ACKNOWLEDGED now, and LISTENED is unused
    with pytest.raises(LifecycleDefinitionError, match="exactly one initial stage"):
        Lifecycle(
            [*rows, Transition(Step.ACKNOWLEDGE, (S.LISTENED,), S.THANKED)],
            initial=S.LISTENED,
            final=S.CLOSED,
        )


def test_an_unreachable_stage_is_refused() -> None:
    rows = [
        Transition(Step.ACKNOWLEDGE, (S.LISTENED,), S.ACKNOWLEDGED),
        Transition(Step.EXPLAIN, (S.ACKNOWLEDGED,), S.CLOSED),
    ]
    with pytest.raises(LifecycleDefinitionError, match="stages no case can reach"):
        Lifecycle(rows, initial=S.LISTENED, final=S.CLOSED)


def test_a_trap_stage_is_refused() -> None:
    rows = [
        *_chain(),
        Transition(Step.DECLINE, (S.ACKNOWLEDGED,), S.ACTION_TAKEN),
        Transition(Step.REOPEN, (S.CLOSED,), S.ACKNOWLEDGED),
    ]
    # Remove the only way out of THANKED.
    rows = [r for r in rows if r.step is not Step.EXPLAIN]
    rows.append(Transition(Step.EXPLAIN, (S.ACTION_TAKEN,), S.CLOSED))
    with pytest.raises(LifecycleDefinitionError, match="could be stuck in thanked"):
        Lifecycle(rows, initial=S.LISTENED, final=S.CLOSED)


def test_a_kind_that_cannot_close_is_refused() -> None:
    rows = _chain()
    rows[-1] = Transition(Step.EXPLAIN, (S.THANKED,), S.CLOSED, frozenset({FeedbackKind.COMPLAINT}))
    with pytest.raises(LifecycleDefinitionError, match="can never reach closed"):
        Lifecycle(rows, initial=S.LISTENED, final=S.CLOSED)


def test_an_ambiguous_step_is_refused() -> None:
    with pytest.raises(LifecycleDefinitionError, match="ambiguous"):
        Lifecycle(
            _chain(Transition(Step.THANK, (S.ACTION_TAKEN,), S.CLOSED)),
            initial=S.LISTENED,
            final=S.CLOSED,
        )


@pytest.mark.parametrize(
    ("kind", "steps"),
    [
        (
            FeedbackKind.COMPLAINT,
            (Step.ACKNOWLEDGE, Step.TAKE_ACTION, Step.DECLINE, Step.THANK, Step.EXPLAIN),
        ),
        (FeedbackKind.COMPLIMENT, (Step.ACKNOWLEDGE, Step.THANK)),
    ],
)
def test_which_latte_steps_apply_depends_on_the_kind(
    kind: FeedbackKind, steps: tuple[Step, ...]
) -> None:
    assert tuple(s for s in LATTE.steps_for(kind) if s is not Step.REOPEN) == steps
