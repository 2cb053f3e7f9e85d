"""Hundreds of tasks of one asyncio app writing the same few cases through one AsyncDesk,
each retrying on ConcurrencyError with the version it read: no update is lost, on every
store closedloop ships."""

from __future__ import annotations

import asyncio
from collections import Counter

from closedloop import ConcurrencyError, Desk
from closedloop.aio import AsyncDesk
from closedloop.domain.cases.contact import Noted
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback

CASES = 4
TASKS = 240


def test_no_update_is_lost_when_hundreds_of_tasks_write_the_same_cases(
    every_store: CaseStore,
) -> None:
    desk = Desk(every_store, RecordingNotifier(), clock=ManualClock(START))
    done: Counter[str] = Counter()

    async def note(adesk: AsyncDesk, case_id: str, n: int) -> None:
        while True:
            seen = await adesk.get(case_id)
            try:
                await adesk.conversation.note(
                    case_id, f"note {n}", by="amy", expected_version=seen.version
                )
            except ConcurrencyError:
                continue
            done[case_id] += 1
            return

    async def main() -> list[str]:
        async with AsyncDesk(desk, max_workers=8) as adesk:
            opened = await asyncio.gather(
                *(adesk.listen(make_feedback(customer=f"c{i}@example.com")) for i in range(CASES))
            )
            ids = [case.id for case in opened]
            await asyncio.gather(*(note(adesk, ids[n % CASES], n) for n in range(TASKS)))
            return ids

    ids = asyncio.run(main())
    assert sum(done.values()) == TASKS
    for case_id in ids:
        case = desk.get(case_id)
        notes = [e for e in case.events if isinstance(e, Noted)]
        assert len(notes) == done[case_id] == TASKS // CASES
        assert case.version == 1 + done[case_id]
        assert len({e.text for e in notes}) == len(notes)  # each task's note, once


def test_a_step_taken_by_many_tasks_at_once_is_taken_once(every_store: CaseStore) -> None:
    """Sixty agents acknowledge the same new case at the version they saw: one wins, the
    others get the sync desk's errors, and one acknowledgement is queued."""
    notifier = RecordingNotifier()
    desk = Desk(every_store, notifier, clock=ManualClock(START))
    case = desk.listen(make_feedback())

    async def acknowledge(adesk: AsyncDesk, n: int) -> str:
        try:
            await adesk.acknowledge(case.id, by=f"agent{n}", expected_version=case.version)
        except ConcurrencyError:
            return "stale"
        return "won"

    async def main() -> list[str]:
        async with AsyncDesk(desk) as adesk:
            outcomes = await asyncio.gather(*(acknowledge(adesk, n) for n in range(60)))
            await adesk.outbox.dispatch()
            return outcomes

    outcomes = asyncio.run(main())
    assert outcomes.count("won") == 1
    assert set(outcomes) <= {"won", "stale"}
    assert desk.get(case.id).version == case.version + 1
    assert [m.purpose for m in notifier.sent] == ["acknowledgement"]
