"""Listen: feedback in, as new cases or as messages joining the customer's open case."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.cases.labelling import route
from closedloop.domain.change import Change
from closedloop.domain.checks import derived_key, shown
from closedloop.domain.customers.consolidation import matching_case, matter_of
from closedloop.domain.errors import ConcurrencyError, DuplicateExternalIdError, ValidationError
from closedloop.domain.teams.choice import Pick
from closedloop.service import identity
from closedloop.service.assignment import commit_picked
from closedloop.service.context import Context
from closedloop.service.conversation import join
from closedloop.service.lifecycle import check_feedback, open_new
from closedloop.service.logs import intake as log

__all__ = ["listen", "listen_many"]


def listen(ctx: Context, feedback: Feedback) -> Case:
    """Record feedback: join the customer's open case on the same matter when the
    policy's consolidation rule finds one, else open a case (or return the case that
    already holds its external id)."""
    check_feedback(ctx, feedback)
    rule = ctx.policy.consolidation
    if rule is None or not rule.applies(feedback):
        return _open_one(ctx, feedback)
    for _ in range(_ATTEMPTS):
        if feedback.external_id is not None:
            existing = ctx.store.find_by_external_id(feedback.external_id)
            if existing is not None:
                return _logged(ctx, existing, "a repeat delivery of")
        candidates = identity.cases_of_customer(ctx, feedback.customer)
        target = matching_case(feedback, candidates, rule)
        if target is not None:
            try:
                return _logged(ctx, join(ctx, target, feedback), "a message joining")
            except (ConcurrencyError, DuplicateExternalIdError):
                # It changed since we read it (closed, erased, merged...): choose again.
                continue
        # A new case claims a key of its own: of two writers that read the same cases, the
        # second to commit is refused and, reading again, joins the first's case.
        handles = identity.handles_of(ctx, feedback.customer)
        matter, count = matter_of(feedback, candidates, rule)
        person = min(handles)
        claim = identity.free_key(
            ctx, lambda n: derived_key("matter:", f"{count + n}:{person}:{matter}"),  # noqa: B023
            handles, candidates,
        )  # fmt: skip
        try:
            return _open_one(ctx, feedback, claim)
        except _ClaimTaken:
            continue  # another writer opened a case for this matter since we read
    return _open_one(ctx, feedback)


class _ClaimTaken(Exception):
    """Another case holds the key a new case claimed."""


def _logged(ctx: Context, case: Case, what: str) -> Case:
    """Log the feedback taken in (DEBUG): which case, never who or what they wrote."""
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "feedback in: %s case %s", what, case.id,
            extra={"tenant": ctx.store.tenant, "case_id": case.id, "kind": case.kind.value,
                   "channel": case.reply_channel.name},
        )  # fmt: skip
    return case


def listen_many(ctx: Context, items: Iterable[Feedback]) -> list[Case]:
    """Record many items; in one commit unless some may join open cases (or each other),
    or get an owner by an assignment rule (each takes its team's turn), which are then
    taken one at a time, in order."""
    if isinstance(items, str | Feedback) or not isinstance(items, Iterable):
        raise ValidationError.of(
            "feedback", f"listen_many() takes a list of Feedback, got {shown(items)}"
        )
    items = list(items)
    for feedback in items:
        check_feedback(ctx, feedback)  # all checked before any is stored
    rule, assignment = ctx.policy.consolidation, ctx.policy.assignment
    if (rule is not None and any(rule.applies(f) for f in items)) or (
        assignment.automatic and any(assignment.team_of(f) is not None for f in items)
    ):
        ctx.policy.limits.check(items)  # committed one by one: none may be refused later
        return [listen(ctx, feedback) for feedback in items]
    return _open_many(ctx, items)  # one commit, refused whole if one is too long


def _open_one(ctx: Context, feedback: Feedback, claim: str | None = None) -> Case:
    """Record feedback as a new case (holding ``claim``, if given), or return the case that
    already holds it; raises ``_ClaimTaken`` if another case holds the claim."""
    check_feedback(ctx, feedback)
    if feedback.external_id is not None:
        existing = ctx.store.find_by_external_id(feedback.external_id)
        if existing is not None:
            return _logged(ctx, existing, "a repeat delivery of")
    case = open_new(ctx, feedback, ctx.clock.now(), claim=claim)
    try:
        if case.team is not None and ctx.policy.assignment.automatic:
            case = _assigned(ctx, case)
        else:
            ctx.commit(Change(case, expected_version=0))
    except DuplicateExternalIdError:
        # Another worker recorded the same delivery between our lookup and our commit, or
        # opened a case for the same matter (the claim).
        key = feedback.external_id
        existing = None if key is None else ctx.store.find_by_external_id(key)
        if existing is None and claim is not None:
            raise _ClaimTaken from None
        if existing is None:  # pragma: no cover - the store just said it exists
            raise
        return _logged(ctx, existing, "a repeat delivery of")
    return _logged(ctx, case, "new")


def _assigned(ctx: Context, case: Case) -> Case:
    """Commit a new case in a team with the owner the policy's rule picks (at the time
    of the pick: a retry after another intake took the team's turn picks again)."""

    def make(opened: Case, chosen: Pick | None) -> Case:
        if chosen is None:
            return opened
        return route(
            opened, at=opened.opened_at, by="closedloop", owner=chosen.owner,
            team=opened.team, reason=chosen.reason,
        )  # fmt: skip

    return commit_picked(ctx, lambda: (case, 0), case.team, make)


def _open_many(ctx: Context, items: list[Feedback]) -> list[Case]:
    """Record many items in one commit; repeats (by external id) return the earlier case.
    (``listen_many`` checked every item first.)"""
    now = ctx.clock.now()
    try:
        # Most batches are all new: try without looking each external id up first.
        return _listen_batch(ctx, items, now, lookup=False)
    except DuplicateExternalIdError:
        pass
    for attempt in range(_ATTEMPTS):
        try:
            return _listen_batch(ctx, items, now, lookup=True)
        except DuplicateExternalIdError:
            # Another writer stored one of these deliveries since we looked: look again.
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


#: How often a batch looks its external ids up again while other writers store them (the
#: last of n batches sharing deliveries may need n), and how often ``listen`` chooses its
#: case again while other writers change the one it chose.
_ATTEMPTS = 50


def _listen_batch(ctx: Context, items: list[Feedback], now: datetime, lookup: bool) -> list[Case]:
    seen: dict[str, Case] = {}
    result: list[Case] = []
    fresh: list[Case] = []
    for feedback in items:
        key = feedback.external_id
        case = seen.get(key) if key is not None else None
        if case is None and key is not None and lookup:
            case = ctx.store.find_by_external_id(key)
        if case is None:
            case = open_new(ctx, feedback, now)
            fresh.append(case)
        if key is not None:
            seen[key] = case
        result.append(case)
    ctx.commit_many([Change(c, expected_version=0) for c in fresh])
    log.debug(
        "feedback in: %d items, %d new cases", len(items), len(fresh),
        extra={"tenant": ctx.store.tenant, "items": len(items), "opened": len(fresh)},
    )  # fmt: skip
    return result
