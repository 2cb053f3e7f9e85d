"""Every call of the surface with every bad value in every argument, one at a time.

Run ``python -m tests.badinput.census [memory|sqlite|postgres]`` for the figures; the test
suite runs it too (``test_census.py``).
"""

from __future__ import annotations

import sys
import traceback
from collections import Counter
from collections.abc import Iterator
from typing import Any

import attrs

from closedloop import CaseStore, ClosedLoopError, Queue, ValidationError
from tests.badinput.surface import DESK, SINCE, UNTIL, Call
from tests.badinput.surface_parts import PARTS, STORE
from tests.badinput.values import BAD
from tests.badinput.world import World, build, clone, records

CALLS: list[Call] = [*DESK, *STORE, *PARTS]


@attrs.define
class Tally:
    """What the bad inputs did."""

    tried: int = 0
    refused: int = 0  # a ClosedLoopError, nothing stored
    accepted: int = 0  # the call succeeded and the tenant stayed readable
    crashes: list[str] = attrs.Factory(list)  # any other exception, or a partial write
    kinds: Counter[str] = attrs.Factory(Counter)
    outcomes: dict[str, str] = attrs.Factory(dict)  # each attempt: what happened
    #: The validation errors whose ``field`` is not the argument given the bad value: what
    #: they name instead.
    misnamed: dict[str, str | None] = attrs.Factory(dict)

    def __str__(self) -> str:
        return (
            f"{self.tried} bad inputs: {self.refused} refused with a closedloop error, "
            f"{self.accepted} accepted, {len(self.crashes)} crashes"
        )


def attempt(world: World, call: Call, arguments: dict[str, Any]) -> str:
    """Make one call; return what happened ("accepted" or the closedloop error's name).

    Raises AssertionError if a refused call changed what is stored, or an accepted one left
    the tenant unreadable; any other exception goes through.
    """
    before = records(world.store)
    try:
        call.run(world, **arguments)
    except ClosedLoopError as error:
        refused = error
    else:
        readable(world)
        return "accepted"
    assert records(world.store) == before, f"refused ({refused!r}) but stored a change"
    return type(refused).__name__


def readable(world: World) -> None:
    """Every reader of many records still works on the tenant."""
    desk = world.desk
    for queue in Queue:
        desk.queue(queue)
    desk.unanswered()
    desk.reports.insights(SINCE, UNTIL)
    desk.outbox.dead_letters()
    for case in world.store.cases_active(SINCE, UNTIL):
        desk.get(case.id)


def attempts(call: Call, values: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    for argument in call.args:
        for label, value in values.items():
            yield argument, label, value


def census(store: CaseStore, calls: list[Call] = CALLS, values: dict[str, Any] = BAD) -> Tally:
    """Try every bad value (of ``values``) in every argument of every call on ``store``."""
    tally = Tally()
    template = build(store)
    world = clone(template)
    for call in calls:
        for argument, label, value in attempts(call, values):
            tally.tried += 1
            where = f"{call.name}({argument}={label})"
            arguments = call.good(world) | {argument: value}
            before = records(world.store)
            try:
                call.run(world, **arguments)
            except ClosedLoopError as error:
                if records(world.store) != before:
                    tally.crashes.append(f"{where}: refused ({error!r}) but stored a change")
                    world = clone(template)
                    continue
                tally.refused += 1
                tally.kinds[type(error).__name__] += 1
                tally.outcomes[where] = type(error).__name__
                if isinstance(error, ValidationError) and error.field != argument:
                    tally.misnamed[where] = error.field
                continue
            except Exception as exc:
                tally.crashes.append(f"{where}: {type(exc).__name__}: {exc}"[:300])
                tally.kinds[type(exc).__name__] += 1
                world = clone(template)
                continue
            try:
                readable(world)
            except Exception as exc:
                tally.crashes.append(f"{where}: accepted, then unreadable: {exc!r}"[:300])
                world = clone(template)
                continue
            tally.accepted += 1
            tally.outcomes[where] = "accepted"
            if call.writes or records(world.store) != before:
                world = clone(template)
    return tally


def _store(kind: str) -> CaseStore:
    if kind == "memory":
        from closedloop.testing import InMemoryStore

        return InMemoryStore()
    if kind == "sqlite":
        from closedloop import SQLiteStore

        return SQLiteStore(":memory:")
    import os

    from closedloop import PostgresStore
    from tests.adapters.postgres_support import new_schema

    return PostgresStore(os.environ["CLOSEDLOOP_TEST_POSTGRES_DSN"], schema=new_schema())


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "memory"
    try:
        tally = census(_store(kind))
    except Exception:
        traceback.print_exc()
        raise
    for crash in tally.crashes:
        print(crash)
    for where, outcome in tally.outcomes.items():
        print("OUTCOME", where, outcome)
    for where, field in tally.misnamed.items():
        print("MISNAMED", where, field)
    print(tally)
    print(dict(tally.kinds))
