"""Use cases for one conversation across channels: more messages, and the no log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from closedloop.domain.cases import conversation as talk
from closedloop.domain.cases import steps as domain
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.events import Origin, OriginKind
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.cases.promises import PromiseFigures, promise_figures
from closedloop.domain.change import Change
from closedloop.domain.checks import instant, require_aware
from closedloop.domain.customers.consolidation import matching_case
from closedloop.domain.customers.nolog import NoLog
from closedloop.domain.customers.nolog import no_log as build_no_log
from closedloop.domain.errors import ValidationError
from closedloop.service import identity, lifecycle
from closedloop.service.context import Context
from closedloop.service.lifecycle import advance, check_feedback, open_new, schedule

__all__ = [
    "add_message",
    "listen",
    "listen_many",
    "merge_cases",
    "no_log",
    "promise_report",
    "split_case",
]

# Reports that must see every case made before a period start their scan here.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def merge_cases(ctx: Context, into: str, other: str, by: str, reason: str) -> Case:
    """Merge the duplicate ``other`` into ``into``, in one commit; returns ``into``."""
    a, b = ctx.store.get(into), ctx.store.get(other)
    gained, stopped = talk.merge_cases(a, b, at=ctx.clock.now(), by=by, reason=reason)
    ctx.store.commit_many([Change(gained, a.version), Change(stopped, b.version)])
    return gained


def split_case(
    ctx: Context, case_id: str, messages: Sequence[int], by: str, reason: str
) -> tuple[Case, Case]:
    """Split the messages at positions ``messages`` off onto a new case, in one commit;
    returns the source case and the new one."""
    case = ctx.store.get(case_id)
    source, new = talk.split_case(
        case, messages, new_id=ctx.new_id(), at=ctx.clock.now(), by=by, reason=reason,
        due_at=schedule(ctx),
    )  # fmt: skip
    ctx.store.commit_many([Change(source, case.version), Change(new, 0)])
    return source, new


def listen(ctx: Context, feedback: Feedback) -> Case:
    """Record feedback: join the customer's open case on the same matter when the
    policy's consolidation rule finds one, else open a case (see ``lifecycle.listen``)."""
    check_feedback(ctx, feedback)
    rule = ctx.policy.consolidation
    if rule is not None and rule.applies(feedback):
        if feedback.external_id is not None:
            existing = ctx.store.find_by_external_id(feedback.external_id)
            if existing is not None:
                return existing
        candidates = identity.cases_of_customer(ctx, feedback.customer)
        target = matching_case(feedback, candidates, rule)
        if target is not None:
            return add_message(ctx, target.id, feedback)
    return lifecycle.listen(ctx, feedback)


def listen_many(ctx: Context, items: Iterable[Feedback]) -> list[Case]:
    """Record many items; in one commit unless some may join open cases (or each other),
    which are then taken one at a time, in order."""
    items = list(items)
    rule = ctx.policy.consolidation
    if rule is not None and any(rule.applies(f) for f in items):
        for feedback in items:
            check_feedback(ctx, feedback)  # all checked before any is stored
        return [listen(ctx, feedback) for feedback in items]
    return lifecycle.listen_many(ctx, items)


def add_message(ctx: Context, case_id: str, feedback: Feedback) -> Case:
    """Join ``feedback`` to the case; reopen it within the reopen window, or follow it up
    with a new case after that."""
    check_feedback(ctx, feedback)
    if feedback.external_id is not None:
        existing = ctx.store.find_by_external_id(feedback.external_id)
        if existing is not None:
            return existing
    case = ctx.store.get(case_id)
    if case.merged_into is not None:  # the matter continues on the case it was merged into
        return add_message(ctx, case.merged_into, feedback)
    closed_at = case.closed_at
    if closed_at is not None and instant(feedback.received_at) - instant(closed_at) > (
        ctx.policy.reopen_within
    ):
        follow_up = open_new(
            ctx, feedback, ctx.clock.now(), Origin(OriginKind.FOLLOW_UP, case_id=case.id)
        )
        ctx.store.commit(Change(follow_up, expected_version=0))
        return follow_up

    def move(current: Case, now: datetime) -> Case:
        joined = talk.add_message(current, feedback, at=now, by=feedback.customer)
        if not current.is_closed:
            return joined
        return domain.reopen(
            joined, at=now, by=feedback.customer, due_at=schedule(ctx),
            reason="the customer wrote again after the loop was closed",
            lifecycle=ctx.policy.lifecycle,
        )  # fmt: skip

    return advance(ctx, case.id, move, expected_version=case.version)


def _period(since: datetime, until: datetime) -> None:
    require_aware("since", since)
    require_aware("until", until)
    if instant(until) <= instant(since):
        raise ValidationError(f"until ({until}) must be after since ({since})")


def promise_report(ctx: Context, since: datetime, until: datetime) -> PromiseFigures:
    """Promises due in ``[since, until)``. A promise made long before the period may fall
    due in it, so every case up to ``until`` is streamed (never held all at once)."""
    _period(since, until)
    promises = (p for case in ctx.store.cases_active(_EPOCH, until) for p in case.promises)
    return promise_figures(promises, since, until)


def no_log(ctx: Context, since: datetime, until: datetime, examples: int = 3) -> NoLog:
    """The declined requests of ``[since, until)``, streamed from the store."""
    _period(since, until)
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 0:
        raise ValidationError(f"examples must be a whole number >= 0, got {examples!r}")
    return build_no_log(ctx.store.cases_active(since, until), since, until, examples)
