"""Every call of the public surface, with every bad value in every argument, on every store:
a closedloop error or success, never another exception, and nothing stored by a refusal."""

from __future__ import annotations

import pytest

from closedloop import CaseStore, SQLiteStore
from closedloop.testing import InMemoryStore
from tests.badinput.census import CALLS, Tally, census
from tests.badinput.values import BAD
from tests.badinput.world import build


@pytest.fixture(scope="module")
def reference() -> Tally:
    """What each bad input does on the reference store."""
    tally = census(InMemoryStore())
    assert tally.crashes == []
    return tally


def test_every_call_made_with_its_good_values_succeeds() -> None:
    # Otherwise the bad values would be refused for the wrong reason.
    for call in CALLS:
        world = build(InMemoryStore())
        call.run(world, **call.good(world))


def test_no_bad_input_crashes_the_reference_store(reference: Tally) -> None:
    assert len(reference.outcomes) > 10_000
    refused = [o for o in reference.outcomes.values() if o != "accepted"]
    assert len(refused) > 0.9 * len(reference.outcomes)


#: The only validation errors of the census whose ``field`` is not the argument that was
#: given the bad value, with the field they name instead.
OTHER_FIELD: dict[str, str | None] = {
    # The census makes Ladder([Rung(...)]). A Rung on its own may have no recipients; the
    # Ladder is what refuses a rung without any, and it names its own argument.
    "Rung(recipients=empty list)": "rungs",
    # A Standard or a Ladder may name any channel; the Policy that uses it refuses one it
    # does not know (a misspelt channel would never match), and names its own argument.
    "Standard(channels=list of str)": "standards",
    "Standard(channels=dict)": "standards",
    "Ladder(channel=an unknown channel)": "ladder",
}


def test_every_validation_error_names_the_argument_given_the_bad_value(
    reference: Tally,
) -> None:
    # ``field`` is the parameter (or attrs field) as the caller wrote it: docs/errors.md.
    assert reference.misnamed == OTHER_FIELD


def test_sqlite_answers_every_bad_input_as_the_reference_does(reference: Tally) -> None:
    with SQLiteStore(":memory:") as store:
        tally = census(store)
    assert tally.crashes == []
    assert tally.outcomes == reference.outcomes
    assert tally.misnamed == reference.misnamed


#: The bad values a database treats apart from Python (the full census of PostgreSQL takes
#: a minute: ``python -m tests.badinput.census postgres``).
FOR_DATABASES = (
    "None", "huge int", "minus huge int", "list of str", "object", "empty", "lone surrogate",
    "surrogate in text", "NUL", "3000 chars", "1000 emoji", "1 MB", "year 1 +05:00",
    "datetime.max UTC", "zone from a file", "timedelta.max",
)  # fmt: skip


@pytest.mark.postgres
def test_postgres_answers_every_bad_input_as_the_reference_does(
    postgres: CaseStore, reference: Tally
) -> None:
    tally = census(postgres, values={label: BAD[label] for label in FOR_DATABASES})
    assert tally.crashes == []
    assert tally.outcomes == {w: o for w, o in reference.outcomes.items() if w in tally.outcomes}
    assert tally.misnamed == {w: f for w, f in reference.misnamed.items() if w in tally.outcomes}
    assert len(tally.outcomes) > 3000
