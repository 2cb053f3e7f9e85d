"""The LATTE steps and the other changes staff and customers make to a case.

Every function takes the case, the time and who acts, and returns the new case with one more
event (applied by :func:`~closedloop.domain.cases.case.apply`); none reads a clock or does
I/O. A refused step raises and returns nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import attrs

from closedloop.domain.cases.case import Case, apply, memo, start
from closedloop.domain.cases.declines import Decline
from closedloop.domain.cases.events import (
    Acknowledged,
    ActionTaken,
    CaseOpened,
    Declined,
    Explained,
    Kano,
    Origin,
    Reopened,
    Scheduled,
    StepEvent,
    Thanked,
)
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.cases.labelling import route
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle
from closedloop.domain.cases.priority import Priority
from closedloop.domain.checks import (
    instant,
    require_actor,
    require_aware,
    require_filled,
    require_key,
)
from closedloop.domain.errors import StepNotAllowedError, StepRefusedError, ValidationError
from closedloop.domain.latte import Stage, Step

__all__ = [
    "Due",
    "acknowledge",
    "apply_scheduled",
    "assign",
    "decline",
    "explain",
    "open_case",
    "reopen",
    "scheduled",
    "take_action",
    "thank",
]

# -- the steps ------------------------------------------------------------------------------

_E = TypeVar("_E", bound=StepEvent)
_S = TypeVar("_S", bound=Scheduled)


#: When the next step is due: an instant, None, or a function of the case after the step
#: (the service passes its standards this way, so the event records what they decide).
Due = datetime | None | Callable[[Case], datetime | None]


def _step(
    case: Case,
    step: Step,
    lifecycle: Lifecycle,
    make: type[_E],
    at: datetime,
    by: str,
    due_at: Due,
    **payload: Any,
) -> Case:
    if case.merged_into is not None:
        raise StepRefusedError(
            case.id, step, f"it was merged into case {case.merged_into!r}: work on that one"
        )
    row = lifecycle.select(case, step)
    if row is None:
        raise _not_allowed(case, step, lifecycle)
    event = make(
        case_id=case.id,
        version=case.version + 1,
        at=require_aware("at", at),
        by=require_actor(by),
        stage=row.target,
        due_at=None if callable(due_at) else due_at,
        **payload,
    )
    for guard in row.guards:
        if not guard.check(case, event):
            raise StepRefusedError(case.id, step, guard.reason)
    return apply_scheduled(case, event, due_at)


def scheduled(case: Case, event: _S, due_at: Due) -> _S:
    """``event`` with its ``due_at`` decided: a closed case has none; a function of the case
    is asked about the case as the event leaves it. (For domain modules beside this one.)"""
    return _decided(case, event, due_at)[0]


def apply_scheduled(case: Case, event: Scheduled, due_at: Due) -> Case:
    """``apply(case, scheduled(case, event, due_at))``. What the schedule derived from the
    case as the event leaves it (its due times) stays with the case it returns: the two
    differ only in ``due_at``."""
    decided, preview = _decided(case, event, due_at)
    moved = apply(case, decided)
    if preview is not None:
        memo(moved).update(memo(preview))
    return moved


def _decided(case: Case, event: _S, due_at: Due) -> tuple[_S, Case | None]:
    """``scheduled``'s event, and the case it previewed to decide (None if none)."""
    preview = None
    if callable(due_at):
        # The policy's schedule knows what a closed case still waits for (its promises,
        # and the warnings before them).
        preview = apply(case, event)
        due_at = due_at(preview)
    elif isinstance(event, StepEvent) and event.stage is Stage.CLOSED:
        due_at = apply(case, event).next_promise_due  # only open promises keep it watched
    if due_at is not None:
        require_aware("due_at", due_at)
    return (event if due_at == event.due_at else attrs.evolve(event, due_at=due_at)), preview


def _not_allowed(case: Case, step: Step, lifecycle: Lifecycle) -> StepNotAllowedError:
    error = StepNotAllowedError(case.id, case.kind.value, case.stage, step, lifecycle.allowed(case))
    reason = lifecycle.refusal(case.stage, step)
    if reason:
        error.args = (f"{error.args[0]} ({reason})",)
    return error


def open_case(
    case_id: str,
    feedback: Feedback,
    *,
    at: datetime,
    by: str = "closedloop",
    priority: Priority = Priority.NORMAL,
    owner: str | None = None,
    due_at: Due = None,
    origin: Origin | None = None,
    team: str | None = None,
    claim: str | None = None,
    declines: tuple[Decline, ...] = (),
    brought: int = 0,
) -> Case:
    """Listen: open a case for ``feedback``; ``at`` is when it was recorded, ``due_at``
    when the acknowledgement is due, ``origin`` what closedloop opened it for (if not
    plain feedback), ``team`` and ``owner`` who it belongs to from the start, ``claim`` a
    key it holds as it holds its messages' external ids (:attr:`Case.external_ids`),
    ``declines`` the records of declines a split hands on with its messages, ``brought``
    how many messages it brings (this one and the next added; see ``CaseOpened``)."""
    require_filled("case_id", case_id)
    if not isinstance(feedback, Feedback):
        raise ValidationError.of(
            "feedback", f"feedback must be a Feedback, got {type(feedback).__name__}"
        )
    if not isinstance(priority, Priority):
        raise ValidationError.of("priority", f"priority must be a Priority, got {priority!r}")
    event = CaseOpened(
        case_id=case_id,
        version=1,
        at=require_aware("at", at),
        by=require_actor(by),
        feedback=feedback,
        priority=priority,
        owner=owner,
        origin=origin,
        team=None if team is None else require_key("team", team),
        claim=None if claim is None else require_key("claim", claim),
        declines=declines,
        brought=brought,
    )
    preview = None
    if callable(due_at):
        preview = start(event)
        due_at = due_at(preview)
    if due_at is not None:
        event = attrs.evolve(event, due_at=require_aware("due_at", due_at))
    case = start(event)
    if preview is not None:  # what the schedule derived (see apply_scheduled)
        memo(case).update(memo(preview))
    return case


def acknowledge(
    case: Case,
    *,
    at: datetime,
    by: str,
    due_at: Due = None,
    next_contact_by: datetime | None = None,
    lifecycle: Lifecycle = LATTE,
) -> Case:
    """Acknowledge: the customer hears it arrived, who is on it and when they hear next."""
    if next_contact_by is not None:
        require_aware("next_contact_by", next_contact_by)
    return _step(
        case, Step.ACKNOWLEDGE, lifecycle, Acknowledged, at=at, by=by,
        due_at=next_contact_by if due_at is None else due_at,
        next_contact_by=next_contact_by,
    )  # fmt: skip


def take_action(
    case: Case,
    *,
    at: datetime,
    by: str,
    due_at: Due = None,
    summary: str,
    lifecycle: Lifecycle = LATTE,
) -> Case:
    """Take action: record what was done about it."""
    return _step(
        case, Step.TAKE_ACTION, lifecycle, ActionTaken, at=at, by=by, due_at=due_at, summary=summary
    )


def decline(
    case: Case,
    *,
    at: datetime,
    by: str,
    due_at: Due = None,
    reason: str,
    category: str = "other",
    asked: str | None = None,
    lifecycle: Lifecycle = LATTE,
) -> Case:
    """Take action by saying no, with the reason; Thank and Explain still follow.

    ``asked`` is what the customer asked for (the case's subject if not given) and
    ``category`` files the no in the no log."""
    if not isinstance(category, str) or not category.strip():
        raise ValidationError.of("category", f"category must name the kind of no, got {category!r}")
    if asked is not None and (not isinstance(asked, str) or not asked.strip()):
        raise ValidationError.of(
            "asked", f"asked must say what the customer asked for, got {asked!r}"
        )
    return _step(
        case, Step.DECLINE, lifecycle, Declined, at=at, by=by, due_at=due_at, reason=reason,
        category=category, asked=asked if asked is not None else case.subject,
    )  # fmt: skip


def thank(
    case: Case,
    *,
    at: datetime,
    by: str,
    due_at: Due = None,
    lifecycle: Lifecycle = LATTE,
) -> Case:
    """Thank the customer for the feedback."""
    return _step(case, Step.THANK, lifecycle, Thanked, at=at, by=by, due_at=due_at)


def explain(
    case: Case,
    *,
    at: datetime,
    by: str,
    what_failed: str,
    what_changes: str,
    open_promises: str | None = None,
    root_cause: str | None = None,
    kano: Kano | None = None,
    lifecycle: Lifecycle = LATTE,
    due_at: Due = None,
) -> Case:
    """Explain what part of the process failed and what will change; closes the loop.

    Promises still unkept must be kept first, or ``open_promises`` must say what happens
    to them (they stay tracked, and the sweep still escalates them when overdue).
    ``root_cause`` and its ``kano`` tag feed the reports' top causes and dissatisfiers."""
    if root_cause is not None and (not isinstance(root_cause, str) or not root_cause.strip()):
        raise ValidationError.of(
            "root_cause", f"root_cause must be a short non-empty label or None; got {root_cause!r}"
        )
    if kano is not None and not isinstance(kano, Kano):
        choices = ", ".join(f"Kano.{k.name}" for k in Kano)
        raise ValidationError.of("kano", f"kano must be one of {choices} or None; got {kano!r}")
    if kano is not None and root_cause is None:
        raise ValidationError.of(
            "root_cause", "kano tags a root cause: give root_cause='...' with it"
        )
    unkept = case.open_promises
    if unkept and (not isinstance(open_promises, str) or not open_promises.strip()):
        listed = "; ".join(f'"{p.what}" by {p.due_by.isoformat()}' for p in unkept)
        raise StepRefusedError(
            case.id,
            Step.EXPLAIN,
            f"{len(unkept)} promise(s) not kept yet ({listed}): keep them first, or say what "
            "happens to them with open_promises='...'",
        )
    return _step(
        case, Step.EXPLAIN, lifecycle, Explained, at=at, by=by, due_at=due_at,
        what_failed=what_failed, what_changes=what_changes,
        open_promises=open_promises if unkept else None,
        root_cause=root_cause.strip() if root_cause else None, kano=kano,
    )  # fmt: skip


def reopen(
    case: Case,
    *,
    at: datetime,
    by: str,
    due_at: Due = None,
    reason: str,
    lifecycle: Lifecycle = LATTE,
    window: timedelta | None = None,
) -> Case:
    """The customer says it is not resolved: back to Take action, counting the reopen.

    A closed case reopens only within ``window`` of its closing (``Policy.reopen_within``;
    None: any time); later, the matter is a new case."""
    closed_at = case.closed_at
    if window is not None and closed_at is not None:
        since = instant(require_aware("at", at)) - instant(closed_at)
        if since > window:
            raise StepRefusedError(
                case.id,
                Step.REOPEN,
                f"the loop closed {_days(since)} ago, after the reopen window of {_days(window)} "
                "(Policy.reopen_within): record what the customer says as new feedback instead",
            )
    return _step(case, Step.REOPEN, lifecycle, Reopened, at=at, by=by, due_at=due_at, reason=reason)


def _days(span: timedelta) -> str:
    days = span / timedelta(days=1)
    return f"{days:.0f} days" if days >= 2 else f"{span / timedelta(hours=1):.0f} hours"


def assign(case: Case, *, at: datetime, by: str, owner: str, summary: str | None = None) -> Case:
    """Give the case a new owner in its team (a hand-off: ``summary`` tells the next owner
    what the customer already said)."""
    require_filled("owner", owner)
    return route(case, at=at, by=by, owner=owner, team=case.team, summary=summary)
