"""A back-fill of report facts (``put_facts``, ``rebuild_facts``) beside ordinary commits on
PostgreSQL: a case a commit holds is left to that commit, and neither side fails (found by a
newcomer's probe: both raised StorageError on the facts' primary key)."""

from __future__ import annotations

import threading

import psycopg
import pytest

from closedloop import Desk
from closedloop.adapters.postgres import PostgresStore
from closedloop.domain.reports.facts import case_facts
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback

pytestmark = pytest.mark.postgres


def test_a_case_a_commit_holds_is_left_to_that_commit(dsn: str, schema: str) -> None:
    with PostgresStore(dsn, schema=schema) as store:
        desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
        case = desk.listen(make_feedback())
        facts = case_facts(store.get(case.id), desk.policy.standards)
        with psycopg.connect(dsn) as holder:  # a commit under way holds the case's row
            holder.execute(f'SELECT 1 FROM "{schema}".cases WHERE id = %s FOR UPDATE', (case.id,))
            assert store.put_facts([facts]) == 0  # at once, not after the commit
        assert store.put_facts([facts]) == 1


def test_rebuilding_facts_beside_steps_fails_neither(dsn: str, schema: str) -> None:
    with PostgresStore(dsn, schema=schema) as store:
        clock = ManualClock(START)
        desk = Desk(store, RecordingNotifier(), clock=clock)
        ids = [desk.listen(make_feedback(text=f"Broken ({n})")).id for n in range(30)]
        desk.customers.erase(make_feedback().customer)  # marks their facts missing
        failures: list[BaseException] = []

        def steps() -> None:
            with PostgresStore(dsn, schema=schema) as own:
                other = Desk(own, RecordingNotifier(), clock=clock)
                for round_ in range(4):
                    for case_id in ids:
                        try:
                            other.conversation.note(case_id, f"note {round_}", by="amy")
                        except Exception as error:  # collected: asserted below
                            failures.append(error)

        writer = threading.Thread(target=steps)
        writer.start()
        for _ in range(6):
            desk.reports.rebuild_facts()
        writer.join()

        assert failures == []
        assert all(len(store.get(i).events) == 6 for i in ids)  # opened, erased, four notes
