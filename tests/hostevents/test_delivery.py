"""How host events are delivered: only for committed changes, at least once with the same id,
with the outbox's retries and dead letters, and never to the customer's notifier."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from closedloop import (
    ConcurrencyError,
    Delivery,
    Desk,
    SQLiteStore,
    StepNotAllowedError,
    Subscribe,
    UndeliverableError,
    ValidationError,
)
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import make_feedback
from tests.hostevents.support import Collected, subscribed, valid


def event_keys(store: CaseStore, clock: ManualClock) -> list[str]:
    return [
        m.key for m in store.outbox_ready(clock.now(), 1000) if m.notification.purpose == "event"
    ]


def test_a_refused_step_queues_no_event(every_store: CaseStore, clock: ManualClock) -> None:
    desk, got, _ = subscribed(every_store, clock)
    case = desk.listen(make_feedback())
    before = event_keys(every_store, clock)
    with pytest.raises(StepNotAllowedError):
        desk.thank(case.id, by="amy")
    with pytest.raises(ValidationError):
        desk.acknowledge(case.id, by="")
    desk.acknowledge(case.id, by="amy")
    with pytest.raises(ConcurrencyError):  # a stale writer: its change, and its event, are refused
        desk.assign(case.id, owner="bob", by="amy", expected_version=1)
    assert event_keys(every_store, clock) == [*before, f"{case.id}/2/case.acknowledged"]
    desk.outbox.dispatch()
    assert got.types() == ["case.opened", "case.acknowledged"]


class Interfering:
    """A store that lets another writer change the second case of a batch just before the
    batch commits: the store must refuse the whole batch, events included."""

    def __init__(self, store: CaseStore, other: Desk) -> None:
        self._store = store
        self._other = other

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def commit_many(self, changes: Any) -> None:
        self._other.conversation.note(changes[1].case.id, "meanwhile", by="bob")
        self._store.commit_many(changes)


def test_a_batch_that_rolls_back_queues_no_event(
    every_store: CaseStore, clock: ManualClock
) -> None:
    plain = Desk(every_store, RecordingNotifier(), clock=clock)
    a = plain.listen(make_feedback())
    b = plain.listen(make_feedback(text="The same again"))
    got = Collected()
    desk = Desk(
        Interfering(every_store, plain), RecordingNotifier(), clock=clock, events=Subscribe(got)
    )
    with pytest.raises(ConcurrencyError):
        desk.conversation.merge(a.id, b.id, by="amy", reason="same")
    assert event_keys(every_store, clock) == []
    assert every_store.get(a.id).version == 1  # the first change rolled back with the second
    desk.outbox.dispatch()
    assert got.events == []


def test_a_failing_handler_is_retried_with_the_same_event(
    every_store: CaseStore, clock: ManualClock
) -> None:
    desk, got, notifier = subscribed(every_store, clock, {"case.opened"})
    got.fail = lambda event: True
    case = desk.listen(make_feedback())
    key = f"{case.id}/1/case.opened"
    assert desk.outbox.dispatch().retrying == (key,)
    message = every_store.outbox_message(key)
    assert message.attempts == 1
    assert "the CRM is down" in (message.last_error or "")
    assert notifier.sent == []  # never handed to the customer's notifier
    got.fail = None
    assert desk.outbox.dispatch().sent == ()  # backing off
    assert message.next_attempt_at is not None
    clock.set(message.next_attempt_at)
    assert desk.outbox.dispatch().sent == (key,)
    assert [e.id for e in got.events] == [f"default/{key}"]
    assert every_store.outbox_message(key).status is Delivery.SENT


def test_an_undeliverable_event_is_a_dead_letter_until_requeued(
    every_store: CaseStore, clock: ManualClock
) -> None:
    desk, got, _ = subscribed(every_store, clock, {"case.opened"})

    def refuse(event: object) -> bool:
        raise UndeliverableError("x", "the CRM refused it")

    got.fail = refuse
    case = desk.listen(make_feedback())
    key = f"{case.id}/1/case.opened"
    assert desk.outbox.dispatch().dead == (key,)
    got.fail = None
    desk.outbox.requeue(key)
    assert desk.outbox.dispatch().sent == (key,)
    assert got.events[0].id == f"default/{key}"


def test_a_desk_without_a_subscription_keeps_events_as_dead_letters(
    every_store: CaseStore, clock: ManualClock
) -> None:
    desk, got, _ = subscribed(every_store, clock, {"case.opened"})
    case = desk.listen(make_feedback())
    key = f"{case.id}/1/case.opened"
    bare = Desk(every_store, RecordingNotifier(), clock=clock)
    assert bare.outbox.dispatch().dead == (key,)
    (dead,) = bare.outbox.dead_letters()
    assert "no event handler" in (dead.last_error or "")
    desk.outbox.requeue(key)
    assert desk.outbox.dispatch().sent == (key,)
    assert got.types() == ["case.opened"]


def test_a_crashed_dispatcher_s_event_is_redelivered_after_its_lease_with_the_same_id(
    every_store: CaseStore, clock: ManualClock
) -> None:
    desk, got, _ = subscribed(every_store, clock, {"case.opened"})
    case = desk.listen(make_feedback())
    key = f"{case.id}/1/case.opened"
    seen: list[dict[str, Any]] = []

    def die(event: Any) -> bool:  # the process dies while the CRM is being called
        seen.append(valid(event))
        raise KeyboardInterrupt

    got.fail = die
    with pytest.raises(KeyboardInterrupt):
        desk.outbox.dispatch()
    got.fail = None
    assert desk.outbox.dispatch().sent == ()  # still leased to the dead dispatcher
    clock.advance(minutes=6)
    assert desk.outbox.dispatch().sent == (key,)
    assert [valid(e) for e in got.events] == seen  # the same event, the same id
    assert seen[0]["id"] == f"default/{key}"


# The child subscribes, claims the event, notes its id, and hangs until it is killed.
CHILD = """
import sys, time
from closedloop import Desk, SQLiteStore, Subscribe
from closedloop.testing import RecordingNotifier

db, marker = sys.argv[1:3]

def hang(event):
    with open(marker, "w") as f:
        f.write(event.to_json())
    time.sleep(600)

Desk(SQLiteStore(db), RecordingNotifier(), events=Subscribe(hang)).outbox.dispatch()
"""


def test_a_dispatcher_killed_mid_delivery_loses_no_event(tmp_path: Path) -> None:
    db, marker = tmp_path / "loop.db", tmp_path / "delivering"
    clock = ManualClock(datetime.now(UTC))
    got = Collected()
    with SQLiteStore(db) as store:
        desk = Desk(
            store, RecordingNotifier(), clock=clock, events=Subscribe(got, kinds={"case.opened"})
        )
        case = desk.listen(make_feedback())
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(marker)])
    try:
        deadline = time.monotonic() + 30
        # Until it is written, not only made: a kill in between would leave it empty.
        while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), "the child never reached the event handler"
        time.sleep(0.05)  # the file is written whole before the child sleeps
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    handed = marker.read_text()
    with SQLiteStore(db) as store:
        desk = Desk(store, RecordingNotifier(), clock=clock, events=Subscribe(got))
        assert desk.outbox.dispatch().sent == ()  # still leased to the dead child
        clock.advance(minutes=6)
        assert desk.outbox.dispatch().sent == (f"{case.id}/1/case.opened",)
    assert got.events[0].to_json() == handed  # the same event, the same id, redelivered


def test_two_tenants_events_never_share_an_id(every_store: CaseStore, clock: ManualClock) -> None:
    """Both tenants number their cases case-1, case-2, ...: the id names the tenant, so a
    receiver that drops repeats by id never drops the other tenant's event."""
    ids = []
    for tenant in ("acme", "a/b é%"):
        desk, got, _ = subscribed(every_store.for_tenant(tenant), clock, {"case.opened"})
        case = desk.listen(make_feedback())
        desk.outbox.dispatch()
        ids += [e.id for e in got.events]
        assert valid(got.events[0])["tenant"] == tenant
        assert got.events[0].id.endswith(f"/{case.id}/1/case.opened")
    assert ids == ["acme/case-1/1/case.opened", "a%2Fb%20%C3%A9%25/case-1/1/case.opened"]
