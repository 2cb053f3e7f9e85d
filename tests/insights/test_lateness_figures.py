"""Promises missed, told to the customer or silent: the same from the read model as by
replaying, on every store, and in every output format."""

from __future__ import annotations

import json
from datetime import timedelta

from closedloop import Channel, Desk, LateMode, Lateness, Policy
from closedloop.insights import compute, render_html, render_text, to_json
from closedloop.insights.json_schema import schema
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback

DAY = timedelta(days=1)


def week(store: CaseStore, mode: LateMode) -> Desk:
    """Four promises due on day one: kept on time; missed by a customer who can read (told
    under a policy that notifies) and kept late; missed by a caller with no written contact
    (silent); missed and still open."""
    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock, policy=Policy(lateness=Lateness(mode)))
    writer = desk.listen(make_feedback()).id
    caller = desk.listen(make_feedback(customer="+44 113 496 0000", channel=Channel.PHONE)).id
    due = START + DAY

    def promise(case_id: str, what: str) -> str:
        case = desk.promises.make(case_id, what=what, due_by=due, owner="lee", by="amy")
        return case.promises[-1].id

    on_time = promise(writer, "call back")
    late = promise(writer, "refund")
    promise(caller, "visit")
    promise(writer, "retrain the team")
    desk.promises.keep(writer, on_time, by="lee")
    clock.advance(days=1, hours=1)
    for _ in range(4):  # one miss per case per sweep; a claimed case waits out its lease
        desk.sweep()
        clock.advance(minutes=6)
    desk.promises.keep(writer, late, by="lee")
    clock.advance(days=7)
    return desk


def test_notify_counts_missed_promises_as_told_or_silent(every_store: CaseStore) -> None:
    week(every_store, LateMode.NOTIFY)
    since, until = START, START + 14 * DAY
    read = compute(every_store, since, until)
    assert read == compute(every_store, since, until, replay=True)
    p = read.promises
    assert (p.due, p.kept_on_time, p.kept_late, p.open) == (4, 1, 1, 2)
    assert (p.missed, p.missed_announced, p.missed_silent) == (3, 2, 1)
    document = json.loads(to_json(read))
    assert document["promises"]["missed_announced"] == 2
    assert document["promises"]["missed_silent"] == 1
    assert set(schema()["properties"]["promises"]["properties"]) >= {"missed_silent"}
    assert "missed 3: the customer told 2, silent 1" in render_text(read)
    assert "2 / 1" in render_html(read)


def test_off_misses_every_promise_silently(every_store: CaseStore) -> None:
    week(every_store, LateMode.OFF)
    since, until = START, START + 14 * DAY
    read = compute(every_store, since, until)
    assert read == compute(every_store, since, until, replay=True)
    assert (read.promises.missed_announced, read.promises.missed_silent) == (0, 3)


def test_a_period_ending_before_the_promises_were_kept_or_announced_stays_as_it_was(
    every_store: CaseStore,
) -> None:
    """Found by a newcomer's probe: a promise kept (or its miss announced) after the period
    changed that period's figures, on every path, though a report takes each case as it
    stood at ``until``."""
    desk = week(every_store, LateMode.NOTIFY)
    # Day one ends an hour after the promises fell due: before the sweep told anyone, and
    # before the late one was kept.
    since, until = START, START + DAY + timedelta(minutes=30)

    for read in (
        compute(every_store, since, until),
        compute(every_store, since, until, replay=True),
        desk.reports.insights(since, until),
    ):
        p = read.promises
        assert (p.due, p.kept_on_time, p.kept_late, p.open) == (4, 1, 0, 3)
        assert (p.missed_announced, p.missed_silent) == (0, 3)
    assert desk.reports.promises(since, until) == read.promises
