"""Random bad input, several arguments at once, through the whole public surface, on
every store: each call succeeds (and the tenant stays readable) or raises a closedloop
error and stores nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop import CaseStore, SQLiteStore
from closedloop.testing import InMemoryStore
from tests.badinput.census import CALLS, attempt
from tests.badinput.surface import Call
from tests.badinput.values import bad_values
from tests.badinput.world import World, build, clone


@st.composite
def bad_calls(draw: st.DrawFn) -> tuple[Call, dict[str, Any]]:
    """A call, and bad values for one to three of its arguments."""
    call = draw(st.sampled_from(CALLS))
    names = draw(st.lists(st.sampled_from(list(call.args)), min_size=1, max_size=3, unique=True))
    return call, {name: draw(bad_values()) for name in names}


def check_random_calls(template: World, examples: int) -> None:
    outcomes: list[str] = []

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(bad_calls())
    def one(bad: tuple[Call, dict[str, Any]]) -> None:
        call, arguments = bad
        world = clone(template)
        outcomes.append(attempt(world, call, call.good(world) | arguments))

    one()
    assert any(o != "accepted" for o in outcomes)  # most bad input is refused


@pytest.mark.parametrize(
    ("make", "examples"), [(InMemoryStore, 1000), (lambda: SQLiteStore(":memory:"), 600)]
)
def test_random_bad_input_is_refused_or_harmless(
    make: Callable[[], CaseStore], examples: int
) -> None:
    check_random_calls(build(make()), examples)


@pytest.mark.postgres
def test_random_bad_input_is_refused_or_harmless_on_postgres(postgres: CaseStore) -> None:
    check_random_calls(build(postgres), 300)
