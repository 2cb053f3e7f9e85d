"""The LATTE lifecycle: Listen, Acknowledge, Take action, Thank, Explain.

The whole lifecycle is one declarative table (:data:`LATTE`) of :class:`Transition` rows,
checked when it is built: exactly one initial stage, every stage reachable, the loop can
be closed from every stage a case can reach, and no step is ambiguous.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from closedloop.domain.cases.feedback import FeedbackKind
from closedloop.domain.errors import LifecycleDefinitionError
from closedloop.domain.latte import Stage, Step

__all__ = ["LATTE", "Condition", "Guard", "Lifecycle", "Stage", "Step", "Transition"]


@attrs.frozen
class Condition:
    """A named test of a case's state that picks between transitions of the same step."""

    name: str
    test: Callable[[Any], bool] = attrs.field(eq=False)

    def __call__(self, case: Any) -> bool:
        return self.test(case)


@attrs.frozen
class Guard:
    """A rule a step must satisfy; ``reason`` is the message when it does not.

    ``check`` receives the case and the event the step would record.
    """

    reason: str
    check: Callable[[Any, Any], bool] = attrs.field(eq=False)


ALL_KINDS = frozenset(FeedbackKind)


@attrs.frozen
class Transition:
    """One row of the table: ``step`` moves a case of one of ``kinds`` from a source stage."""

    step: Step
    """The step this row allows."""
    sources: tuple[Stage, ...]
    """The stages the step may be taken from."""
    target: Stage
    """The stage it leaves the case at."""
    kinds: frozenset[FeedbackKind] = ALL_KINDS
    """The feedback kinds the row applies to (all by default)."""
    when: Condition | None = None
    """A condition choosing between rows for the same step; None for always."""
    guards: tuple[Guard, ...] = ()
    """Checks the step must pass, each with the reason given when it does not."""


@attrs.frozen
class Refusal:
    """Why a step is not allowed at these stages, for an error message that teaches."""

    step: Step
    stages: frozenset[Stage]
    reason: str


class Lifecycle:
    """A validated transition table. Build one with the rows; it checks itself."""

    def __init__(
        self,
        transitions: Iterable[Transition],
        *,
        initial: Stage,
        final: Stage,
        refusals: Iterable[Refusal] = (),
    ) -> None:
        self.transitions = tuple(transitions)
        """The rows of the table."""
        self.initial = initial
        """The stage a new case starts at."""
        self.final = final
        """The stage at which the loop is closed."""
        self.refusals = tuple(refusals)
        """Why steps are refused at stages, for error messages that teach."""
        self._table: dict[tuple[FeedbackKind, Stage, Step], tuple[Transition, ...]] = defaultdict(
            tuple
        )
        for row in self.transitions:
            for kind in row.kinds:
                for source in row.sources:
                    self._table[kind, source, row.step] += (row,)
        self._table = dict(self._table)
        self._steps = {
            kind: tuple(
                s for s in Step if any(r.step is s and kind in r.kinds for r in self.transitions)
            )
            for kind in FeedbackKind
        }
        self._validate()

    def candidates(self, kind: FeedbackKind, stage: Stage, step: Step) -> tuple[Transition, ...]:
        """The rows that could carry ``step`` from ``stage`` for this kind."""
        return self._table.get((kind, stage, step), ())

    def select(self, case: Any, step: Step) -> Transition | None:
        """The row that applies to ``case`` for ``step`` now, or None."""
        for row in self._table.get((case.kind, case.stage, step), ()):
            if row.when is None or row.when(case):
                return row
        return None

    def allowed(self, case: Any) -> tuple[Step, ...]:
        """The steps ``case`` may take now, in LATTE order."""
        return tuple(step for step in Step if self.select(case, step) is not None)

    def refusal(self, stage: Stage, step: Step) -> str | None:
        """The explanation the table gives for refusing ``step`` at ``stage``, if any."""
        for row in self.refusals:
            if row.step is step and stage in row.stages:
                return row.reason
        return None

    def steps_for(self, kind: FeedbackKind) -> tuple[Step, ...]:
        """Every step that can ever apply to a case of this kind, in LATTE order."""
        return self._steps[kind]

    # -- validation ---------------------------------------------------------------------

    def _validate(self) -> None:
        targets = {row.target for row in self.transitions}
        used = targets | {s for row in self.transitions for s in row.sources}
        roots = used - targets
        if roots != {self.initial}:
            names = ", ".join(sorted(s.value for s in roots)) or "none"
            raise LifecycleDefinitionError(
                f"a lifecycle needs exactly one initial stage ({self.initial.value}) that no "
                f"transition leads into; stages without incoming transitions: {names}"
            )
        reached: set[Stage] = set()
        for kind in FeedbackKind:
            graph = self._graph(kind)
            reachable = _reach(graph, self.initial)
            reached |= reachable
            if self.final not in reachable:
                raise LifecycleDefinitionError(f"a {kind.value} can never reach {self.final.value}")
            reverse: dict[Stage, set[Stage]] = defaultdict(set)
            for source, nexts in graph.items():
                for target in nexts:
                    reverse[target].add(source)
            closable = _reach(reverse, self.final)
            traps = reachable - closable
            if traps:
                names = ", ".join(sorted(s.value for s in traps))
                raise LifecycleDefinitionError(
                    f"a {kind.value} could be stuck in {names}: no steps lead on to "
                    f"{self.final.value} from there"
                )
            self._check_unambiguous(kind)
        missing = set(Stage) - reached
        if missing:
            names = ", ".join(sorted(s.value for s in missing))
            raise LifecycleDefinitionError(f"stages no case can reach: {names}")

    def _graph(self, kind: FeedbackKind) -> dict[Stage, set[Stage]]:
        graph: dict[Stage, set[Stage]] = defaultdict(set)
        for row in self.transitions:
            if kind in row.kinds:
                for source in row.sources:
                    graph[source].add(row.target)
        return graph

    def _check_unambiguous(self, kind: FeedbackKind) -> None:
        for stage in Stage:
            for step in Step:
                unconditional = [r for r in self.candidates(kind, stage, step) if r.when is None]
                if len(unconditional) > 1:
                    raise LifecycleDefinitionError(
                        f"{step.value} from {stage.value} for a {kind.value} is ambiguous: "
                        f"{len(unconditional)} transitions apply without a condition"
                    )


def _reach(graph: dict[Stage, set[Stage]], start: Stage) -> set[Stage]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


# -- the LATTE table ------------------------------------------------------------------------

COMPLAINT, QUESTION, SUGGESTION, COMPLIMENT = (
    FeedbackKind.COMPLAINT,
    FeedbackKind.QUESTION,
    FeedbackKind.SUGGESTION,
    FeedbackKind.COMPLIMENT,
)
ACTIONABLE = frozenset({COMPLAINT, QUESTION, SUGGESTION})


def _said(text: object) -> bool:
    return isinstance(text, str) and bool(text.strip())


declined = Condition("declined", lambda case: case.declined is not None)
not_declined = Condition("not declined", lambda case: case.declined is None)

_gives_reason = Guard(
    "a decline needs the reason, said so the customer can understand it",
    lambda case, event: _said(event.reason),
)
_says_why = Guard(
    "say why it is not resolved (reason=...), in the customer's words if you have them",
    lambda case, event: _said(event.reason),
)
_describes_action = Guard(
    "say what action was taken, in a sentence the customer could read",
    lambda case, event: _said(event.summary),
)
_names_failure = Guard(
    "an explanation must name what part of the process failed (what_failed=...)",
    lambda case, event: _said(event.what_failed),
)
_names_change = Guard(
    "an explanation must say what will change going forward (what_changes=...)",
    lambda case, event: _said(event.what_changes),
)

S = Stage
LATTE = Lifecycle(
    initial=S.LISTENED,
    final=S.CLOSED,
    transitions=[
        Transition(Step.ACKNOWLEDGE, (S.LISTENED,), S.ACKNOWLEDGED),
        Transition(
            Step.TAKE_ACTION,
            (S.ACKNOWLEDGED,),
            S.ACTION_TAKEN,
            frozenset({COMPLAINT, SUGGESTION}),
            guards=(_describes_action,),
        ),
        # Answering a question is the whole of it, unless the answer is no.
        Transition(
            Step.TAKE_ACTION,
            (S.ACKNOWLEDGED,),
            S.CLOSED,
            frozenset({QUESTION}),
            guards=(_describes_action,),
        ),
        # Saying no is a way of taking action; it always owes a Thank and an Explain.
        Transition(
            Step.DECLINE, (S.ACKNOWLEDGED,), S.ACTION_TAKEN, ACTIONABLE, guards=(_gives_reason,)
        ),
        Transition(Step.THANK, (S.ACKNOWLEDGED,), S.CLOSED, frozenset({COMPLIMENT})),
        Transition(Step.THANK, (S.ACTION_TAKEN,), S.THANKED, frozenset({COMPLAINT})),
        Transition(
            Step.THANK, (S.ACTION_TAKEN,), S.THANKED, frozenset({QUESTION, SUGGESTION}), declined
        ),
        Transition(Step.THANK, (S.ACTION_TAKEN,), S.CLOSED, frozenset({SUGGESTION}), not_declined),
        Transition(
            Step.EXPLAIN,
            (S.THANKED,),
            S.CLOSED,
            ACTIONABLE,
            guards=(_names_failure, _names_change),
        ),
        # "Not resolved": back to Take action, whatever was done so far.
        Transition(
            Step.REOPEN,
            (S.ACTION_TAKEN, S.THANKED, S.CLOSED),
            S.ACKNOWLEDGED,
            ACTIONABLE,
            guards=(_says_why,),
        ),
    ],
    refusals=[
        Refusal(
            Step.THANK,
            frozenset({S.LISTENED, S.ACKNOWLEDGED}),
            "thanks come after action is taken, so they are not empty words",
        ),
        Refusal(
            Step.EXPLAIN,
            frozenset({S.LISTENED, S.ACKNOWLEDGED, S.ACTION_TAKEN}),
            "explain last, once action is taken and the customer thanked",
        ),
        Refusal(
            Step.TAKE_ACTION,
            frozenset({S.LISTENED}),
            "acknowledge first, so the customer knows someone is on it",
        ),
        Refusal(
            Step.DECLINE,
            frozenset({S.LISTENED}),
            "acknowledge first, so the customer knows someone is on it",
        ),
        Refusal(
            Step.REOPEN,
            frozenset({S.LISTENED}),
            "nothing was done yet to reopen: the case is waiting for its acknowledgement",
        ),
        Refusal(
            Step.REOPEN,
            frozenset({S.ACKNOWLEDGED}),
            "the case is already waiting for action",
        ),
    ],
)
"""closedloop's lifecycle: Listen, Acknowledge, Take action, Thank, Explain, with their guards,
declining and reopening, as the table `docs/lifecycle.md` draws."""
del S
