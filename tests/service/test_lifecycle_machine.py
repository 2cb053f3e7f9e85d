"""Random step sequences through the Desk, checked against a hand-written model of LATTE."""

from __future__ import annotations

from datetime import timedelta

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule

from closedloop import Case, Desk, FeedbackKind, LifecycleError, Stage
from closedloop.domain.cases.case import replay
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, STEPS, make_feedback, take_step

# The model: which steps each kind needs, in order. "act" is take_action or decline.
PLAN = {
    FeedbackKind.COMPLAINT: ("acknowledge", "act", "thank", "explain"),
    FeedbackKind.QUESTION: ("acknowledge", "act"),
    FeedbackKind.SUGGESTION: ("acknowledge", "act", "thank"),
    FeedbackKind.COMPLIMENT: ("acknowledge", "thank"),
}
STAGE_AFTER = {
    "acknowledge": Stage.ACKNOWLEDGED,
    "act": Stage.ACTION_TAKEN,
    "thank": Stage.THANKED,
}


@attrs.define
class Model:
    kind: FeedbackKind
    done: list[str] = attrs.field(factory=list)
    declined: bool = False
    version: int = 1
    reopens: int = 0

    @property
    def plan(self) -> tuple[str, ...]:
        plan = PLAN[self.kind]
        if self.declined:  # a "no" always owes thanks and an explanation
            plan = (*plan[:2], "thank", "explain")
        return plan

    @property
    def closed(self) -> bool:
        return len(self.done) == len(self.plan)

    @property
    def stage(self) -> Stage:
        if self.closed:
            return Stage.CLOSED
        return STAGE_AFTER[self.done[-1]] if self.done else Stage.LISTENED

    def allows(self, step: str) -> bool:
        if step == "reopen":
            return "act" in PLAN[self.kind] and "act" in self.done
        if step == "decline" and "act" not in PLAN[self.kind]:
            return False
        wanted = "act" if step in ("take_action", "decline") else step
        return not self.closed and self.plan[len(self.done)] == wanted

    def take(self, step: str) -> None:
        self.version += 1
        if step == "reopen":
            self.done, self.declined, self.reopens = ["acknowledge"], False, self.reopens + 1
            return
        if step in ("take_action", "decline"):
            self.declined = step == "decline"
            step = "act"
        self.done.append(step)


class LatteMachine(RuleBasedStateMachine):
    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.desk = Desk(
            InMemoryStore(), RecordingNotifier(), clock=self.clock, ids=SequentialIds()
        )
        self.models: dict[str, Model] = {}

    # A few cases, so that each one travels far through its lifecycle.
    @precondition(lambda self: len(self.models) < 3)
    @rule(target=cases, kind=st.sampled_from(FeedbackKind))
    def listen(self, kind: FeedbackKind) -> str:
        case = self.desk.listen(make_feedback(kind))
        self.models[case.id] = Model(kind)
        return case.id

    @rule(case_id=cases, step=st.sampled_from(STEPS), minutes=st.integers(0, 600))
    def step(self, case_id: str, step: str, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        model = self.models[case_id]
        before = self.desk.get(case_id)
        if not model.allows(step):
            try:
                self._do(case_id, step)
            except LifecycleError:
                assert self.desk.get(case_id) == before
                return
            raise AssertionError(f"{step} was accepted at {before.stage} for a {model.kind}")
        after = self._do(case_id, step)
        model.take(step)
        assert after.version == before.version + 1
        assert after.stage is model.stage
        assert after.reopen_count == model.reopens

    @rule(case_id=cases, owner=st.sampled_from(["amy", "bo"]))
    def assign(self, case_id: str, owner: str) -> None:
        before = self.desk.get(case_id)
        moved = before.owner != owner  # giving a case to its owner records nothing
        assert self.desk.assign(case_id, owner=owner, by="lead").version == before.version + moved
        self.models[case_id].version += moved

    @invariant()
    def versions_and_history_agree(self) -> None:
        for case_id, model in self.models.items():
            case = self.desk.get(case_id)
            assert case.version == model.version
            assert replay(case.events) == case

    def _do(self, case_id: str, step: str) -> Case:
        return take_step(self.desk, case_id, step)


LatteMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
TestLatte = LatteMachine.TestCase
