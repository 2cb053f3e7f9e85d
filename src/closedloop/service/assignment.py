"""Giving cases owners by the policy's assignment rule (``Policy.assignment``): who a rule
picks in a team, committing the pick with the team's rotation (so concurrent intakes
follow it in commit order), hand-off summaries, and who a ``TEAM_LEAD`` rung alerts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.labelling import route
from closedloop.domain.change import Change
from closedloop.domain.errors import ConcurrencyError, StorageError, ValidationError
from closedloop.domain.reports.measure import Progress
from closedloop.domain.teams.choice import Pick, candidates, pick
from closedloop.domain.teams.team import AssignmentRule, Availability
from closedloop.ports import AgentStorage
from closedloop.service.context import Context
from closedloop.service.lifecycle import retried

__all__ = [
    "OWNER_AWAY",
    "agents_of",
    "availability",
    "check_hand_off",
    "commit_picked",
    "given_on",
    "routed",
]

#: The reason recorded when an owner's cases move because they went away.
OWNER_AWAY = "owner_away"

#: How many times a pick is made again when another writer took the team's turn first.
_TRIES = 200


def check_member(ctx: Context, case: Case, owner: str, field: str = "owner") -> None:
    """Refuse ``owner`` for ``case`` unless a member or the lead of its team (when the
    policy has that team)."""
    team = ctx.policy.team(case.team)
    if team is not None and owner not in team.members and owner != team.lead:
        raise ValidationError.of(
            field,
            f"{owner!r} is not a member of team {team.name!r}, which case {case.id!r} "
            "belongs to; route the case to their team first (desk.teams.route)",
        )


def agents_of(ctx: Context, what: str) -> AgentStorage:
    """The store as an ``AgentStorage``, or a StorageError saying ``what`` needs it."""
    store = ctx.store
    if not isinstance(store, AgentStorage):
        raise StorageError(
            f"{what} needs a store with the AgentStorage role (InMemoryStore, SQLiteStore "
            f"and PostgresStore have it); {type(store).__name__} does not"
        )
    return store


def availability(ctx: Context, agents: tuple[str, ...]) -> dict[str, Availability]:
    """Each agent's availability now, as the store has it (an absence that ended is none)."""
    away = agents_of(ctx, "availability").away(agents) if agents else {}
    now = ctx.clock.now()
    found = {a: Availability(a, away=True, until=away[a]) for a in agents if a in away}
    return {
        a: found[a] if a in found and not found[a].available_at(now) else Availability(a)
        for a in agents
    }


def _pick(
    ctx: Context, case: Case, team: str | None, now: datetime, last: str | None, leaving: str | None
) -> Pick | None:
    """Who the policy's rule picks in ``team`` for ``case`` at ``now`` (None: nobody)."""
    rule = ctx.policy.assignment
    config = ctx.policy.team(team)
    if config is None or not rule.automatic or not config.members:
        return None
    agents = agents_of(ctx, "an automatic assignment rule")
    free = availability(ctx, config.members)
    among, skilled = candidates(
        config, case.tags, lambda m: free[m].available_at(now), by_skill=rule.by_skill,
        leaving=leaving,
    )  # fmt: skip
    counts = agents.open_counts(among) if rule.rule is AssignmentRule.LEAST_OPEN and among else {}
    return pick(rule.rule, config, among, last=last, open_cases=counts, skilled=skilled)


def commit_picked(
    ctx: Context,
    load: Callable[[], tuple[Case, int]],
    team: str | None,
    make: Callable[[Case, Pick | None], Case],
    *,
    leaving: str | None = None,
) -> Case:
    """Load the case (and the version to commit it from: 0 for a new one), let the rule pick
    its owner in ``team``, ``make`` the changed case from the pick, and commit it — with the
    team's turn when someone was picked, in one transaction; all again when another writer
    took the turn first. Returns the case as committed (a stored case ``make`` left as it
    was is not committed again)."""
    taken: ConcurrencyError | None = None
    for _ in range(_TRIES):
        case, expected = load()
        now = ctx.clock.now()
        turn, last = (0, None)
        if team is not None and ctx.policy.assignment.automatic and ctx.policy.team(team):
            turn, last = agents_of(ctx, "an automatic assignment rule").rotation(team)
        chosen = _pick(ctx, case, team, now, last, leaving)
        moved = make(case, chosen)
        if moved is case and expected:
            return case
        change = Change(moved, expected_version=expected)
        if chosen is None or team is None:
            ctx.commit(change)
            return moved
        store = agents_of(ctx, "an automatic assignment rule")
        progress: list[Progress] = []
        try:
            store.commit_turn(team, turn, chosen.owner, ctx.prepared(change, progress))
        except ConcurrencyError as exc:
            if store.rotation(team)[0] == turn:
                raise  # the case changed, not the rotation
            taken = exc
            continue
        ctx.measured.remember(progress)
        if chosen.owner != leaving and not _available(ctx, chosen.owner):
            # They went away while we picked: `away` may have looked for their cases before
            # this one was committed, so give it on as `away` would (one of us sees the other).
            try:
                return given_on(ctx, moved.id, chosen.owner, "closedloop") or moved
            except ConcurrencyError:
                return moved  # committed all the same; writers keep changing it
        return moved
    assert taken is not None
    raise taken  # other writers took the team's turn every time


def _available(ctx: Context, agent: str) -> bool:
    return availability(ctx, (agent,))[agent].available_at(ctx.clock.now())


def given_on(ctx: Context, case_id: str, agent: str, by: str, tries: int = 5) -> Case | None:
    """Give the case ``agent`` owns, as they go away, to the member of its team the rule
    picks (or back to the team's queue: an ``Assigned`` event with reason ``"owner_away"``);
    None when it is no longer theirs or stays theirs (in no team, nobody to pick). Read
    again and retried when another writer changed the case meanwhile (the last try's
    ``ConcurrencyError`` is raised)."""
    return retried(lambda: _given_on(ctx, case_id, agent, by), tries)


def _given_on(ctx: Context, case_id: str, agent: str, by: str) -> Case | None:
    team = ctx.store.get(case_id).team

    def make(case: Case, chosen: Pick | None) -> Case:
        if case.owner != agent or not case.is_active or case.team != team:
            return case  # someone moved it since
        if chosen is None and case.team is None:
            return case  # nobody else to give it to
        owner = None if chosen is None else chosen.owner
        return route(
            case, at=ctx.now_for(case), by=by, owner=owner, team=case.team, reason=OWNER_AWAY
        )

    def load() -> tuple[Case, int]:
        case = ctx.store.get(case_id)
        return case, case.version

    after = commit_picked(ctx, load, team, make, leaving=agent)
    return None if after.owner == agent else after


def check_hand_off(ctx: Context, case: Case, owner: str | None, summary: str | None) -> None:
    """Refuse, changing nothing, a hand-off without a summary when the policy requires one:
    the case leaves an owner for someone else (or for the team's queue)."""
    if (
        ctx.policy.assignment.require_handoff_summary
        and case.owner is not None
        and owner != case.owner
        and (summary is None or not summary.strip())
    ):
        raise ValidationError.of(
            "summary",
            f"case {case.id!r} passes from {case.owner!r} to "
            f"{owner or 'the team queue'!r}, and the policy requires a hand-off summary: "
            "say what the customer already told us and what is left, with summary=...",
        )


def routed(case: Case, now: datetime, by: str, team: str | None, reason: str) -> Case:
    """``case`` given, in ``team``, to nobody (back to the team's queue), saying why."""
    return route(case, at=now, by=by, owner=None, team=team, reason=reason)
