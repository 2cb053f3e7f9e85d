"""Dispatch through the outbox: at-least-once, backoff with jitter, dead letters."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import (
    Delivery,
    Desk,
    Notification,
    Policy,
    RetryPolicy,
    UndeliverableError,
    ValidationError,
)
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback


def flaky_desk(
    store: CaseStore, clock: ManualClock, retry: RetryPolicy
) -> tuple[Desk, RecordingNotifier]:
    notifier = RecordingNotifier(fail=lambda n: True)
    desk = Desk(
        store,
        notifier,
        clock=clock,
        policy=Policy(retry=retry),
        ids=SequentialIds(),
        rng=random.Random(7),
    )
    return desk, notifier


def test_retries_back_off_then_give_up_as_a_dead_letter(
    every_store: CaseStore, clock: ManualClock
) -> None:
    store = every_store
    retry = RetryPolicy(first_delay=timedelta(seconds=10), factor=3, max_attempts=4, jitter=0)
    desk, notifier = flaky_desk(store, clock, retry)
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="Amy")
    key = f"{case.id}/2/acknowledgement"
    waits = []
    for _ in range(3):
        assert desk.outbox.dispatch().retrying == (key,)
        message = store.outbox_message(key)
        assert message.next_attempt_at is not None
        waits.append(message.next_attempt_at - clock.now())
        clock.set(message.next_attempt_at)
    assert waits == [timedelta(seconds=10), timedelta(seconds=30), timedelta(seconds=90)]
    assert desk.outbox.dispatch().dead == (key,)
    (dead,) = desk.outbox.dead_letters()
    assert (dead.key, dead.attempts, dead.status) == (key, 4, Delivery.DEAD)
    assert dead.last_error == f"ConnectionError: RecordingNotifier was told to fail {key}"
    clock.advance(days=30)
    assert desk.outbox.dispatch().sent == ()  # the dead stay dead...
    notifier.fail = None
    desk.outbox.requeue(key)  # ...until someone requeues them
    assert desk.outbox.dispatch().sent == (key,)
    assert desk.outbox.dead_letters() == []


@given(attempt=st.integers(1, 20), spread=st.floats(0, 1, exclude_max=True))
def test_backoff_stays_within_its_jitter_and_cap(attempt: int, spread: float) -> None:
    retry = RetryPolicy()
    when = retry.next_attempt(attempt, START, spread)
    if attempt >= retry.max_attempts:
        assert when is None
        return
    assert when is not None
    base = min(
        retry.first_delay.total_seconds() * retry.factor ** (attempt - 1),
        retry.max_delay.total_seconds(),
    )
    waited = (when - START).total_seconds()
    assert base * (1 - retry.jitter) - 1e-6 <= waited <= base * (1 + retry.jitter) + 1e-6


def test_jitter_spreads_retries_apart(every_store: CaseStore, clock: ManualClock) -> None:
    store = every_store
    desk, _ = flaky_desk(store, clock, RetryPolicy(jitter=0.5))
    for i in range(20):
        case = desk.listen(make_feedback(customer=f"c{i}"))
        desk.acknowledge(case.id, by="Amy")
    desk.outbox.dispatch()
    retry_times = {m.next_attempt_at for m in store.outbox_claim(clock.now() + timedelta(days=1))}
    assert len(retry_times) == 20


@pytest.mark.parametrize(
    "kwargs",
    [{"first_delay": timedelta(0)}, {"max_attempts": 0}, {"jitter": 1.0}, {"factor": -1}],
)
def test_a_retry_policy_that_cannot_work_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_a_dispatcher_that_dies_mid_delivery_is_taken_over_after_the_lease(
    store: InMemoryStore, clock: ManualClock
) -> None:
    desk = Desk(store, RecordingNotifier(), clock=clock, ids=SequentialIds())
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="Amy")
    # A dispatcher claims the message and dies before delivering it.
    (claimed,) = store.outbox_claim(clock.now(), lease=timedelta(minutes=5))
    notifier = RecordingNotifier()
    other = Desk(store, notifier, clock=clock)
    assert other.outbox.dispatch().sent == ()  # still leased
    clock.advance(minutes=5)
    assert other.outbox.dispatch().sent == (claimed.key,)
    assert [n.key for n in notifier.sent] == [claimed.key]


def test_listen_many_commits_a_batch_and_skips_repeats(desk: Desk) -> None:
    items = [
        make_feedback(customer="a", external_id="hook-1"),
        make_feedback(customer="b"),
        make_feedback(customer="a", external_id="hook-1"),
    ]
    first, second, repeat = desk.listen_many(items)
    assert repeat.id == first.id
    assert first.id != second.id
    assert desk.listen_many([make_feedback(customer="a", external_id="hook-1")])[0].id == first.id
    assert [c.id for c in desk.unanswered()] == [first.id, second.id]


def test_listen_many_checks_every_item_before_storing_any(desk: Desk) -> None:
    from closedloop import Channel, UnknownChannelError

    with pytest.raises(UnknownChannelError):
        desk.listen_many(
            [make_feedback(customer="ok"), make_feedback(channel=Channel.custom("fax"))]
        )
    assert desk.cases_of("ok") == []


def test_each_step_sets_when_the_next_is_due(desk: Desk, clock: ManualClock) -> None:
    # The default standards on Mon-Fri 09-17 UTC, from Monday 23 November 09:00.
    monday = START
    case = desk.listen(make_feedback())
    assert case.due_at == monday.replace(hour=13)  # acknowledge within 4 business hours
    clock.advance(hours=1)
    acked = desk.acknowledge(case.id, by="Amy")
    wednesday_5pm = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # act within 3 business days
    assert acked.due_at == acked.next_contact_by == wednesday_5pm
    clock.advance(hours=1)
    friday_5pm = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # close the loop within 5 days
    assert desk.take_action(case.id, by="Amy", summary="x").due_at == friday_5pm
    desk.thank(case.id, by="Amy")
    assert desk.explain(case.id, by="Amy", what_failed="a", what_changes="b").due_at is None


def test_due_now_and_unanswered_come_from_the_store(desk: Desk, clock: ManualClock) -> None:
    ignored = desk.listen(make_feedback(customer="ignored"))
    clock.advance(hours=1)
    answered = desk.listen(make_feedback(customer="answered"))
    desk.acknowledge(answered.id, by="Amy")
    assert [c.id for c in desk.unanswered()] == [ignored.id]
    assert desk.standards.due() == []
    clock.set(START.replace(hour=13))  # the acknowledgement's deadline: not yet late
    assert desk.standards.due() == []
    clock.advance(seconds=1)
    assert [c.id for c in desk.standards.due()] == [ignored.id]


class NoAddress:
    """A notifier that knows retrying cannot help."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, notification: Notification) -> None:
        self.calls += 1
        raise UndeliverableError(notification.key, f"no address for {notification.to!r}")


def test_an_undeliverable_message_is_a_dead_letter_at_once(
    every_store: CaseStore, clock: ManualClock
) -> None:
    notifier = NoAddress()
    desk = Desk(
        every_store, notifier, clock=clock, policy=Policy(retry=RetryPolicy(max_attempts=5))
    )
    desk.acknowledge(desk.listen(make_feedback()).id, by="amy")
    report = desk.outbox.dispatch()
    assert (report.sent, report.retrying, len(report.dead)) == ((), (), 1)
    (dead,) = desk.outbox.dead_letters()
    assert (dead.status, dead.attempts) == (Delivery.DEAD, 1)
    assert "UndeliverableError: could not deliver" in (dead.last_error or "")
    clock.advance(days=30)
    desk.outbox.dispatch()
    assert notifier.calls == 1  # never retried on its own
    desk.outbox.requeue(dead.key)
    desk.outbox.dispatch()
    assert notifier.calls == 2
