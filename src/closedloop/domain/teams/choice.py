"""Picking an owner in a team: pure functions of the team, the case's tags, who is
available, the rotation's last pick and the members' open cases."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import attrs

from closedloop.domain.teams.team import AssignmentRule, Team

__all__ = ["Pick", "candidates", "pick", "rotated"]


@attrs.frozen
class Pick:
    """An owner picked by a rule, and the reason recorded on the ``Assigned`` event."""

    owner: str
    """The member picked."""
    reason: str
    """``"round_robin"``, ``"least_open"``; with skills, ``"skill/round_robin"``..."""


def candidates(
    team: Team,
    tags: Iterable[str],
    available: Callable[[str], bool],
    *,
    by_skill: bool,
    leaving: str | None = None,
) -> tuple[tuple[str, ...], bool]:
    """The members who may be picked (available, not ``leaving``), in member order, and
    whether skills narrowed them: with ``by_skill``, those skilled in one of ``tags`` when
    any of them is available."""
    free = tuple(m for m in team.members if m != leaving and available(m))
    if by_skill:
        skilled = set(team.skilled(tags))
        narrowed = tuple(m for m in free if m in skilled)
        if narrowed:
            return narrowed, True
    return free, False


def rotated(members: tuple[str, ...], among: tuple[str, ...], last: str | None) -> tuple[str, ...]:
    """``among`` in round-robin order: those after ``last`` in ``members`` first (wrapping
    round); all in member order when ``last`` is none of the members."""
    if last not in members:
        return among
    start = members.index(last) + 1
    order = {m: (i - start) % len(members) for i, m in enumerate(members)}
    return tuple(sorted(among, key=order.__getitem__))


def pick(
    rule: AssignmentRule,
    team: Team,
    among: tuple[str, ...],
    *,
    last: str | None,
    open_cases: Mapping[str, int],
    skilled: bool = False,
) -> Pick | None:
    """The member ``rule`` picks among ``among``: the next after ``last`` (round robin),
    or the one owning the fewest open cases, ties in round-robin order (least open). None
    for ``AssignmentRule.NONE`` or nobody to pick."""
    if rule is AssignmentRule.NONE or not among:
        return None
    order = rotated(team.members, among, last)
    if rule is AssignmentRule.LEAST_OPEN:
        order = tuple(sorted(order, key=lambda m: open_cases.get(m, 0)))  # stable
    reason = rule.value if not skilled else f"skill/{rule.value}"
    return Pick(order[0], reason)
