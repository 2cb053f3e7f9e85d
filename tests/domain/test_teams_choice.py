"""Picking an owner in a team: the rules as properties over any team, any availability and
any sequence of picks."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from closedloop import AssignmentRule, Availability, Team
from closedloop.domain.teams.choice import candidates, pick, rotated
from tests.helpers import START

names = st.lists(st.text("abcdefgh", min_size=1, max_size=3), min_size=1, max_size=6, unique=True)


@given(names, st.data())
def test_rotated_keeps_every_candidate_and_starts_after_the_last(
    members: list[str], data: st.DataObject
) -> None:
    team = tuple(members)
    among = tuple(m for m in team if data.draw(st.booleans()))
    last = data.draw(st.sampled_from((*team, None, "stranger")))
    order = rotated(team, among, last)
    assert sorted(order) == sorted(among)
    if last in team and among:
        after = list(team[team.index(last) + 1 :] + team[: team.index(last) + 1])
        assert order == tuple(m for m in after if m in among)


@given(names, st.integers(1, 40))
def test_round_robin_never_picks_one_member_twice_in_a_row_and_stays_even(
    members: list[str], picks: int
) -> None:
    team = Team("t", members=tuple(members))
    last = None
    owners = []
    for _ in range(picks):
        chosen = pick(AssignmentRule.ROUND_ROBIN, team, team.members, last=last, open_cases={})
        assert chosen is not None
        owners.append(chosen.owner)
        last = chosen.owner
    if len(members) > 1:
        assert all(a != b for a, b in itertools.pairwise(owners))
    counts = Counter(owners)
    assert max(counts.values()) - min(counts.get(m, 0) for m in members) <= 1


@given(names, st.data())
def test_least_open_picks_a_member_with_the_fewest(members: list[str], data: st.DataObject) -> None:
    team = Team("t", members=tuple(members))
    counts = {m: data.draw(st.integers(0, 5)) for m in members}
    last = data.draw(st.sampled_from((*members, None)))
    chosen = pick(AssignmentRule.LEAST_OPEN, team, team.members, last=last, open_cases=counts)
    assert chosen is not None
    assert counts[chosen.owner] == min(counts.values())
    assert chosen.reason == "least_open"
    assert pick(AssignmentRule.NONE, team, team.members, last=last, open_cases=counts) is None


@given(names, st.data())
def test_candidates_are_available_members_skilled_ones_first(
    members: list[str], data: st.DataObject
) -> None:
    skilled = [m for m in members if data.draw(st.booleans())]
    away = {m for m in members if data.draw(st.booleans())}
    leaving = data.draw(st.sampled_from((*members, None)))
    team = Team("t", members=tuple(members), skills={m: ["vip"] for m in skilled})
    among, narrowed = candidates(
        team, ("vip",), lambda m: m not in away, by_skill=True, leaving=leaving
    )
    free = [m for m in members if m not in away and m != leaving]
    ready = [m for m in free if m in skilled]
    assert list(among) == (ready or free)
    assert narrowed == bool(ready)
    assert candidates(team, ("vip",), lambda m: True, by_skill=False)[0] == team.members


def test_an_absence_ends_at_its_time() -> None:
    until = START + timedelta(hours=2)
    assert not Availability("ann", away=True, until=until).available_at(START)
    assert Availability("ann", away=True, until=until).available_at(until)
    assert not Availability("ann", away=True).available_at(until + timedelta(days=999))
    assert Availability("ann").available_at(START)
