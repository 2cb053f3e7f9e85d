"""Teams (``desk.teams``): who is available, giving cases owners by hand or by the policy's
rule, hand-offs with their summaries, moving cases between teams, and what happens to an
agent's cases while they are away (``docs/queues.md``)."""

from __future__ import annotations

from datetime import datetime

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.labelling import route
from closedloop.domain.checks import instant, require_actor, require_aware, require_key
from closedloop.domain.errors import ConcurrencyError, ValidationError
from closedloop.domain.teams.choice import Pick
from closedloop.domain.teams.team import Availability, Team
from closedloop.service.assignment import (
    agents_of,
    availability,
    check_hand_off,
    check_member,
    commit_picked,
    given_on,
)
from closedloop.service.context import Context
from closedloop.service.lifecycle import advance

__all__ = ["Teams"]


class Teams:
    """Teams, agents' availability and assignment, reached as ``desk.teams``."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # -- who ----------------------------------------------------------------------------

    def team(self, name: str) -> Team:
        """The team called ``name`` in ``Policy.teams``; ValidationError if there is none."""
        found = self._ctx.policy.team(require_key("team", name))
        if found is None:
            known = ", ".join(t.name for t in self._ctx.policy.teams) or "none"
            raise ValidationError.of(
                "team",
                f"no team {name!r} in the policy (teams: {known}); add it to Policy(teams=...)",
            )
        return found

    def members(self, team: str) -> tuple[Availability, ...]:
        """The members of ``team``, in its order, each with their availability."""
        found = self.team(team)
        return tuple(availability(self._ctx, found.members).values())

    def availability(self, agent: str) -> Availability:
        """Whether ``agent`` is away, and until when."""
        return availability(self._ctx, (require_key("agent", agent),))[agent]

    def available(self, agent: str) -> bool:
        """Whether ``agent`` takes cases now (not away, or back by now)."""
        return self.availability(agent).available_at(self._ctx.clock.now())

    # -- away and back ------------------------------------------------------------------

    def away(self, agent: str, *, by: str, until: datetime | None = None) -> list[Case]:
        """Mark ``agent`` away until ``until`` (None: until :meth:`back`), and give each of
        their open cases to the member of its team the policy's rule picks, or, when it
        picks nobody (``AssignmentRule.NONE``, nobody available), back to the team's queue;
        a case in no team stays theirs. Each move is an ``Assigned`` event with the reason
        ``"owner_away"``. Returns the cases moved."""
        ctx = self._ctx
        require_key("agent", agent)
        require_actor(by)
        if until is not None and instant(require_aware("until", until)) <= instant(
            now := ctx.clock.now()
        ):
            raise ValidationError.of(
                "until", f"until must be after now ({now.isoformat()}): when {agent!r} is back"
            )
        agents = agents_of(ctx, "desk.teams.away")
        agents.set_away(agent, until)
        moved: list[Case] = []
        after = ""
        while page := agents.open_cases_of(agent, after=after, limit=100):
            for case_id in page:
                case = given_on(self._ctx, case_id, agent, by)
                if case is not None:
                    moved.append(case)
            after = page[-1]
        return moved

    def back(self, agent: str) -> None:
        """Mark ``agent`` available again (their former cases stay where they went)."""
        agents_of(self._ctx, "desk.teams.back").set_back(require_key("agent", agent))

    # -- giving cases owners --------------------------------------------------------------

    def assign(
        self,
        case_id: str,
        *,
        by: str,
        owner: str | None = None,
        summary: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Give the case to ``owner``, a member (or the lead) of its team; without
        ``owner``, to the member the policy's rule picks (``Assignment.rule``). A case that
        had another owner is handed off: ``summary`` tells the next owner what the customer
        already said (required when ``Assignment.require_handoff_summary``)."""
        return self._give(case_id, by, owner, summary, expected_version, "manual")

    def hand_off(
        self,
        case_id: str,
        *,
        to: str,
        by: str,
        summary: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Hand the case to ``to``, a member (or the lead) of its team, with a ``summary``
        for them of what the customer already said and what is left, so the customer need
        not repeat themselves (required when ``Assignment.require_handoff_summary``;
        recorded on the ``Assigned`` event, reason ``"hand_off"``)."""
        require_key("to", to)
        return self._give(case_id, by, to, summary, expected_version, "hand_off", field="to")

    def route(
        self,
        case_id: str,
        *,
        team: str,
        by: str,
        summary: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Move the case to ``team``, to the member the policy's rule picks there, or to
        the team's queue (reason ``"routed"``). A case leaving its owner is handed off:
        ``summary`` as for :meth:`hand_off`."""
        ctx = self._ctx
        self.team(team)
        require_actor(by)

        def make(case: Case, chosen: Pick | None) -> Case:
            owner = None if chosen is None else chosen.owner
            if case.team == team and (chosen is None or case.owner is not None):
                return case  # there already
            check_hand_off(ctx, case, owner, summary)
            reason = "routed" if chosen is None else chosen.reason
            return route(
                case, at=ctx.now_for(case), by=by, owner=owner, team=team, reason=reason,
                summary=summary,
            )  # fmt: skip

        return commit_picked(ctx, lambda: _stored(ctx, case_id, expected_version), team, make)

    def _give(
        self,
        case_id: str,
        by: str,
        owner: str | None,
        summary: str | None,
        expected_version: int | None,
        reason: str,
        field: str = "owner",
    ) -> Case:
        ctx = self._ctx
        require_actor(by)
        if owner is not None:
            require_key(field, owner)

            def given(case: Case, now: datetime) -> Case:
                if case.owner == owner and summary is None:
                    return case  # theirs already: nothing changes hands
                check_member(ctx, case, owner, field)
                check_hand_off(ctx, case, owner, summary)
                return route(
                    case, at=now, by=by, owner=owner, team=case.team, reason=reason,
                    summary=summary,
                )  # fmt: skip

            return advance(ctx, case_id, given, expected_version=expected_version)
        team = ctx.store.get(require_key("case_id", case_id)).team

        def picked(case: Case, chosen: Pick | None) -> Case:
            if case.team is None or ctx.policy.team(case.team) is None:
                raise ValidationError.of(
                    "owner",
                    f"case {case_id!r} is in no team of the policy, so no rule can pick its "
                    "owner; name the owner, or route it to a team first",
                )
            if chosen is None:
                raise ValidationError.of(
                    "owner",
                    f"the policy's rule picks nobody in team {case.team!r} (rule "
                    f"{ctx.policy.assignment.rule.value!r}, or nobody available); name the owner",
                )
            check_hand_off(ctx, case, chosen.owner, summary)
            return route(
                case, at=ctx.now_for(case), by=by, owner=chosen.owner, team=case.team,
                reason=chosen.reason, summary=summary,
            )  # fmt: skip

        return commit_picked(
            ctx, lambda: _stored(ctx, case_id, expected_version), team, picked,
            leaving=None,
        )  # fmt: skip


def _stored(ctx: Context, case_id: str, expected_version: int | None = None) -> tuple[Case, int]:
    """The stored case and its version, checked against ``expected_version``."""
    case = ctx.store.get(require_key("case_id", case_id))
    if expected_version is not None and case.version != expected_version:
        raise ConcurrencyError(case_id, expected_version, case.version)
    return case, case.version
