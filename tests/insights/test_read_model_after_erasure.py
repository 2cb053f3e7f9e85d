"""After an erasure, or an upgrade, the read model still equals the replayed report. The
Desk remembers how far it measured each case it committed; an erasure rewrites the history
behind that point (the customer becomes the pseudonym), so a remembered measure must not be
carried on past it, whichever Desk erased. Facts an older release measured are measured
again."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from closedloop import Desk, Standards
from closedloop.domain.cases.lifecycle import LATTE
from closedloop.domain.reports import facts
from closedloop.insights import compute, rebuild_facts
from closedloop.ports import CaseStore, ReportStorage
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback, take_step


@pytest.mark.parametrize("eraser", ["same", "other"], ids=["same_desk", "another_desk"])
def test_a_reopen_by_the_erased_customer_is_measured_as_replay_measures_it(
    every_store: CaseStore, eraser: str
) -> None:
    store = every_store
    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock)
    case = desk.listen(make_feedback(customer="ann@example.com"))
    for step in ("acknowledge", "take_action", "thank", "explain"):
        take_step(desk, case.id, step)
    clock.advance(hours=1)
    erasing = desk if eraser == "same" else Desk(store, RecordingNotifier(), clock=clock)
    erasing.customers.erase("ann@example.com")
    clock.advance(hours=1)
    desk.reopen(case.id, reason="not fixed")  # by the customer: a reply is owed
    clock.advance(days=3)
    desk.decline(case.id, by="amy", reason="no")
    clock.advance(days=1)
    desk.thank(case.id, by="amy")

    until = clock.now() + timedelta(seconds=1)
    since = START - timedelta(days=1)
    facts, replayed = compute(store, since, until), compute(store, since, until, replay=True)
    assert [k.target.value for k in replayed.overall.kpis if k.measured].count("reply") == 1
    assert facts == replayed


def test_facts_an_older_release_measured_are_replayed_until_rebuilt(
    every_store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by a newcomer's upgrade probe: facts a release stored wrong (before a fix to how
    they are measured) stayed wrong after the upgrade, and a back-fill left them. Each
    release's facts carry ``MEASURE_VERSION`` in their basis, so older ones are unsettled."""
    store = every_store
    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock)
    case = desk.listen(make_feedback(customer="ann@example.com"))
    for step in ("acknowledge", "take_action", "thank", "explain"):
        clock.advance(hours=1)
        take_step(desk, case.id, step)
    with monkeypatch.context() as older:  # an older release wrote facts missing its steps
        older.setattr(facts, "MEASURE_VERSION", facts.MEASURE_VERSION - 1)
        older.setattr(facts, "_BASES", {})
        wrong = facts.case_facts(desk.get(case.id), Standards(), LATTE)
        assert isinstance(store, ReportStorage)
        store.put_facts([attrs.evolve(wrong, measurements=())])
    monkeypatch.setattr(facts, "_BASES", {})

    since, until = START - timedelta(days=1), clock.now() + timedelta(seconds=1)
    replayed = compute(store, since, until, replay=True)
    assert replayed.overall.kpis
    assert compute(store, since, until) == replayed
    assert rebuild_facts(store) == 1
    assert list(store.unsettled(until, facts.basis(Standards()))) == []
    assert compute(store, since, until) == replayed
