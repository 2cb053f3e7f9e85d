"""A team (its members, lead and skills), the assignment policy that gives a team's cases
owners, and an agent's availability. All are configuration or plain values: checked when
built, never doing I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.cases.labels import tags_of
from closedloop.domain.checks import instant, is_a, require_key, shown, sure_callable
from closedloop.domain.errors import ValidationError

__all__ = ["Assignment", "AssignmentRule", "Availability", "Team"]


class AssignmentRule(StrEnum):
    """How a team's new (or orphaned) cases get an owner."""

    NONE = "none"
    """Nobody is picked: cases wait in the team's queue until someone takes or is given one."""
    ROUND_ROBIN = "round_robin"
    """The next available member after the one last picked, in the team's member order."""
    LEAST_OPEN = "least_open"
    """The available member owning the fewest open cases (ties: round-robin order)."""


def _key(instance: Any, attribute: attrs.Attribute[str], value: object) -> None:
    require_key(attribute.name, value)


def _members(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError.of(
            "members", f"members must be a list of agents, e.g. ('ann', 'bo'), got {shown(value)}"
        )
    members = tuple(require_key("members", m) for m in value)
    if len(set(members)) != len(members):
        twice = sorted({m for m in members if members.count(m) > 1})
        raise ValidationError.of("members", f"members names {twice} more than once")
    return members


def _skills(value: object) -> dict[str, frozenset[str]]:
    if not isinstance(value, Mapping):
        raise ValidationError.of(
            "skills",
            f"skills must map members to tags, e.g. {{'ann': ['billing']}}, got {shown(value)}",
        )
    return {require_key("skills", k): frozenset(tags_of(v, "skills")) for k, v in value.items()}


@attrs.frozen
class Team:
    """A team: its ``members`` (their order is the round robin's), a ``lead`` (whom
    ``TEAM_LEAD`` escalation rungs alert; need not be a member) and each member's
    ``skills``, tags of the cases they are the ones to take (``{"ann": ["billing"]}``)."""

    name: str = attrs.field(validator=_key)
    """The team's name, as ``Case.team`` holds it."""
    members: tuple[str, ...] = attrs.field(default=(), converter=_members)
    """Who works its cases, in round-robin order."""
    lead: str | None = attrs.field(default=None)
    """Who leads it (an address alerts go to); None: no lead."""
    skills: dict[str, frozenset[str]] = attrs.field(factory=dict, converter=_skills)
    """Each member's skills: tags of the cases they should get first."""

    def __attrs_post_init__(self) -> None:
        if self.lead is not None:
            require_key("lead", self.lead)
        strangers = sorted(set(self.skills) - set(self.members))
        if strangers:
            raise ValidationError.of(
                "skills",
                f"team {self.name!r} gives skills to {strangers}, who are not its members; "
                "add them to members=... or drop their skills",
            )

    def skilled(self, tags: Iterable[str]) -> tuple[str, ...]:
        """The members with a skill among ``tags``, in member order."""
        wanted = set(tags)
        return tuple(m for m in self.members if self.skills.get(m, frozenset()) & wanted)


def _rule(value: object) -> AssignmentRule:
    if isinstance(value, str) and value in AssignmentRule._value2member_map_:
        return AssignmentRule(value)
    raise ValidationError.of(
        "rule",
        f"unknown assignment rule {shown(value)}; use one of "
        f"{', '.join(r.value for r in AssignmentRule)}",
    )


def _tag_teams(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValidationError.of(
            "teams_by_tag",
            f"teams_by_tag must map tags to team names, e.g. {{'billing': 'finance'}}, "
            f"got {shown(value)}",
        )
    found: dict[str, str] = {}
    for tag, team in value.items():
        (name,) = tags_of([tag], "teams_by_tag")
        found[name] = require_key("teams_by_tag", team)
    return found


@attrs.frozen
class Assignment:
    """How cases find their team and their owner (``Policy(assignment=...)``).

    At intake a new case joins the team ``team_for(feedback)`` names, else the team of the
    first of its tags (in sorted order) in ``teams_by_tag``, else none. A case in a team is
    then given an owner by ``rule`` among the team's available members; with ``by_skill``,
    among those with a skill matching one of the case's tags first (all available members
    when none has one). The same happens to an owner's open cases when they go away.
    ``require_handoff_summary`` refuses a hand-off between people without a summary.
    The default, ``Assignment()``, picks nobody and routes nothing: cases stay unowned until
    staff assign them, as before teams existed.
    """

    rule: AssignmentRule = attrs.field(default=AssignmentRule.NONE, converter=_rule)
    """The rule that picks an owner in the case's team."""
    by_skill: bool = attrs.field(default=False, validator=is_a(bool))
    """Whether members whose skills match the case's tags are picked first."""
    team_for: Callable[[Feedback], str | None] | None = attrs.field(
        default=None, validator=attrs.validators.optional(sure_callable)
    )
    """The team a new case joins, from its feedback (None: see ``teams_by_tag``)."""
    teams_by_tag: dict[str, str] = attrs.field(factory=dict, converter=_tag_teams)
    """The team a new case tagged so joins: ``{"billing": "finance"}``."""
    require_handoff_summary: bool = attrs.field(default=False, validator=is_a(bool))
    """Whether a hand-off from one owner to another must say what the next owner needs to
    know (``desk.teams.hand_off(..., summary=...)``)."""

    @property
    def automatic(self) -> bool:
        """Whether the rule picks owners."""
        return self.rule is not AssignmentRule.NONE

    def team_of(self, feedback: Feedback) -> str | None:
        """The team a new case of ``feedback`` joins, or None."""
        if self.team_for is not None:
            team = self.team_for(feedback)
            if team is not None:
                return require_key("team_for(feedback)", team)
        for tag in feedback.tags:
            if tag in self.teams_by_tag:
                return self.teams_by_tag[tag]
        return None


@attrs.frozen
class Availability:
    """Whether an agent takes new cases: available, or away (until ``until``, or until
    they say they are back when it is None)."""

    agent: str
    """The agent."""
    away: bool = False
    """Whether they were marked away."""
    until: datetime | None = None
    """When they are back; None while away until further notice."""

    def available_at(self, now: datetime) -> bool:
        """Whether they take cases at ``now``: not away, or back by then."""
        return not self.away or (self.until is not None and instant(self.until) <= instant(now))
