"""desk.health(): the figures at the desk's clock, the status against thresholds, and the
same answer from a store without the HealthStorage role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import (
    Desk,
    Health,
    HealthFigures,
    HealthStatus,
    HealthThresholds,
    Notification,
    Policy,
    RetryPolicy,
    Survey,
    SurveyKind,
    Threshold,
    ValidationError,
)
from closedloop.domain.health import assess, span
from closedloop.ports import CaseStore, HealthStorage
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback, take_step

HOUR = timedelta(hours=1)


class WithoutHealth:
    """A store with every CaseStore role but not HealthStorage (nor StoreOverview)."""

    def __init__(self, inner: InMemoryStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name in ("health_figures", "tenants"):
            raise AttributeError(name)
        return getattr(self._inner, name)


def desk_at(clock: ManualClock, store: object) -> Desk:
    return Desk(store, RecordingNotifier(), clock=clock, ids=SequentialIds())  # type: ignore[arg-type]


def test_a_new_desk_is_healthy() -> None:
    clock = ManualClock(START)
    health = desk_at(clock, InMemoryStore()).health()
    assert health == Health(
        at=START, tenant="default", outbox_backlog=0, outbox_lag=timedelta(0), outbox_retrying=0,
        retrying_age=timedelta(0), dead_letters=0,
        oldest_unanswered=None, unanswered_age=None, cases_due=0, sweep_lag=timedelta(0),
        status=HealthStatus.OK, reasons=(),
    )  # fmt: skip


def test_a_desk_nobody_sweeps_fails_and_says_why() -> None:
    clock = ManualClock(START)
    desk = desk_at(clock, InMemoryStore())
    case = desk.listen(make_feedback())
    clock.advance(timedelta(days=2))
    health = desk.health()
    assert (health.oldest_unanswered, health.unanswered_age) == (case.id, timedelta(days=2))
    assert health.cases_due == 1
    assert case.due_at is not None
    assert health.sweep_lag == START + timedelta(days=2) - case.due_at
    assert health.status is HealthStatus.FAIL
    assert health.reasons[0].startswith("fail: the oldest deadline not yet swept passed")
    assert "is 'closedloop sweep' running?" in health.reasons[0]
    assert health.reasons[-1].startswith(f"warn: case {case.id} has waited 2d")


def test_sweeping_and_dispatching_bring_the_figures_back() -> None:
    clock = ManualClock(START)
    desk = desk_at(clock, InMemoryStore())
    case = desk.listen(make_feedback())
    clock.advance(timedelta(days=2))
    desk.sweep()
    swept = desk.health()
    assert (swept.cases_due, swept.sweep_lag) == (0, timedelta(0))
    assert swept.outbox_backlog > 0  # the escalation alerts
    assert swept.outbox_lag == timedelta(0)  # ready this instant
    clock.advance(2 * HOUR)
    assert desk.health().outbox_lag == 2 * HOUR
    assert desk.health().status is HealthStatus.FAIL
    while desk.outbox.dispatch().sent:
        pass
    desk.acknowledge(case.id, by="amy")
    health = desk.health()
    assert (health.outbox_backlog, health.outbox_lag, health.oldest_unanswered) == (
        1,  # the acknowledgement just queued, not late
        timedelta(0),
        None,
    )
    assert health.status is HealthStatus.OK


def test_thresholds_decide_the_status() -> None:
    clock = ManualClock(START)
    desk = desk_at(clock, InMemoryStore())
    desk.listen(make_feedback())
    clock.advance(timedelta(days=2))
    relaxed = HealthThresholds(
        sweep_lag=Threshold(warn=timedelta(days=3)), cases_due=Threshold(),
        unanswered_age=Threshold(fail=timedelta(days=5)),
    )  # fmt: skip
    assert desk.health(relaxed).status is HealthStatus.OK
    stricter = HealthThresholds(cases_due=Threshold(warn=1, fail=1))
    reasons = desk.health(stricter).reasons
    assert [r for r in reasons if r.startswith("fail: 1 cases are past their deadline")]


@pytest.mark.parametrize(
    "bad",
    [
        {"outbox_backlog": Threshold(warn=10, fail=5)},
        {"outbox_backlog": Threshold(warn=-1)},
        {"outbox_backlog": Threshold(warn=True)},
        {"outbox_backlog": Threshold(warn=timedelta(hours=1))},
        {"sweep_lag": Threshold(warn=5)},
        {"sweep_lag": Threshold(warn=timedelta(hours=-1))},
        {"dead_letters": 3},
    ],
    ids=str,
)
def test_thresholds_refuse_what_cannot_be_a_threshold(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as raised:
        HealthThresholds(**bad)
    assert next(iter(bad)) in str(raised.value)


def test_health_refuses_what_is_not_thresholds() -> None:
    desk = desk_at(ManualClock(START), InMemoryStore())
    with pytest.raises(ValidationError, match="HealthThresholds"):
        desk.health({"sweep_lag": 5})  # type: ignore[arg-type]


def test_a_store_without_the_role_gives_the_same_health() -> None:
    clock = ManualClock(START)
    store = InMemoryStore()
    desk = desk_at(clock, store)
    for i in range(5):
        desk.listen(make_feedback(customer=f"c{i}@example.com"))
        clock.advance(HOUR)
    desk.sweep()
    desk.acknowledge(desk.unanswered()[0].id, by="amy")
    clock.advance(timedelta(days=1))
    plain = WithoutHealth(store)
    assert not isinstance(plain, HealthStorage)
    assert desk_at(clock, plain).health() == desk.health()
    other = InMemoryStore(tenant="acme", _data=store._data)
    assert desk_at(clock, other).health().tenant == "acme"
    assert desk_at(clock, other).health().cases_due == 0


counts = st.integers(min_value=0, max_value=20)
limits = st.one_of(st.none(), counts)


@given(counts, counts, counts, limits, limits)
def test_the_status_is_the_worst_level_reached(
    backlog: int, dead: int, due: int, warn: int | None, fail: int | None
) -> None:
    if warn is not None and fail is not None and warn > fail:
        warn, fail = fail, warn
    limit = Threshold(warn, fail)
    thresholds = HealthThresholds(
        outbox_backlog=limit, dead_letters=limit, cases_due=limit, unanswered_age=Threshold(),
        outbox_lag=Threshold(), sweep_lag=Threshold(),
    )  # fmt: skip
    figures = HealthFigures(backlog, None, dead, None, None, due, START if due else None)
    health = assess(figures, START + HOUR, thresholds, "default")
    levels = [limit.level(value) for value in (backlog, dead, due)]
    worst = max(levels, key=[HealthStatus.OK, HealthStatus.WARN, HealthStatus.FAIL].index)
    assert health.status is worst
    assert len(health.reasons) == sum(level is not HealthStatus.OK for level in levels)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(timedelta(0), "0s"), (timedelta(seconds=45), "45s"), (timedelta(hours=2, minutes=5),
     "2h 5m"), (timedelta(days=3, hours=4, minutes=1), "3d 4h")],
)  # fmt: skip
def test_spans_read_as_people_write_them(value: timedelta, shown: str) -> None:
    assert span(value) == shown


def test_dead_letters_withheld_as_moot_are_not_counted(every_store: CaseStore) -> None:
    """Found by a newcomer's probe: an invitation withdrawn by a reopen and a message to an
    erased customer kept health at WARN for ever ("fix the notifier, then requeue"), though
    a requeue only withholds them again."""
    clock = ManualClock(START)
    desk = Desk(every_store, RecordingNotifier(), clock=clock)
    case = desk.listen(make_feedback()).id
    for step in ("acknowledge", "take_action", "thank", "explain"):
        take_step(desk, case, step)
    desk.surveys.invite(Survey("after", SurveyKind.NPS, "How likely?"), case_id=case)
    desk.reopen(case, reason="still broken")  # the invitation is withdrawn before it goes
    other = desk.listen(make_feedback(customer="ann@example.com")).id
    desk.acknowledge(other, by="amy")
    desk.customers.erase("ann@example.com")
    desk.outbox.dispatch()

    assert len(desk.outbox.dead_letters()) == 2
    assert desk.health().dead_letters == 0
    assert desk.health().status is HealthStatus.OK
    desk.customers.erase("mary@example.com")  # a review found erasure made them count again
    assert desk.health().dead_letters == 0


def test_a_failed_delivery_still_counts_beside_withheld_ones(every_store: CaseStore) -> None:
    clock = ManualClock(START)
    policy = Policy(retry=RetryPolicy(max_attempts=1))
    desk = Desk(every_store, _Down(), clock=clock, policy=policy)
    case = desk.listen(make_feedback()).id
    desk.acknowledge(case, by="amy")
    other = desk.listen(make_feedback(customer="ann@example.com")).id
    desk.acknowledge(other, by="amy")
    desk.customers.erase("ann@example.com")
    desk.outbox.dispatch()

    assert len(desk.outbox.dead_letters()) == 2
    assert desk.health().dead_letters == 1
    assert desk.health().status is not HealthStatus.OK


class _Down:
    def send(self, notification: Notification) -> None:
        raise RuntimeError("smtp down")


class _Flaky:
    """A notifier that is down until ``up`` is set."""

    def __init__(self) -> None:
        self.up = False
        self.sent: list[str] = []

    def send(self, notification: Notification) -> None:
        if not self.up:
            raise RuntimeError("smtp down")
        self.sent.append(notification.key)


def test_a_notifier_that_is_down_fails_health_before_messages_die(every_store: CaseStore) -> None:
    """Found by a newcomer's probe: with every delivery raising, health stayed OK for about
    an hour (each failure waits for its retry, which is not late, and no message was dead
    yet), while no customer was told anything."""
    clock = ManualClock(START)
    notifier = _Flaky()
    policy = Policy(retry=RetryPolicy(max_attempts=30, max_delay=timedelta(minutes=5)))
    desk = Desk(every_store, notifier, clock=clock, policy=policy, ids=SequentialIds())
    case = desk.listen(make_feedback()).id
    desk.acknowledge(case, by="amy")
    seen: list[HealthStatus] = []
    for _ in range(70):  # a dispatch every minute, as cron runs it
        desk.outbox.dispatch()
        health = desk.health()
        assert (health.outbox_lag, health.dead_letters) == (timedelta(0), 0)
        assert health.outbox_retrying >= 1
        assert health.retrying_age == clock.now() - START
        if not seen or seen[-1] is not health.status:
            seen.append(health.status)
        clock.advance(timedelta(minutes=1))
    assert seen == [HealthStatus.OK, HealthStatus.WARN, HealthStatus.FAIL]
    assert health.reasons[0].startswith("fail: 1 messages failed delivery and wait for a retry")
    assert "is the notifier (or the host event handler) reachable?" in health.reasons[0]

    notifier.up = True
    clock.advance(timedelta(minutes=5))
    desk.outbox.dispatch()
    health = desk.health()
    assert (health.outbox_retrying, health.retrying_age) == (0, timedelta(0))
    assert health.status is HealthStatus.OK, health.reasons
    assert notifier.sent


def test_a_store_without_the_new_figures_still_reports_retrying_messages() -> None:
    """A third-party HealthStorage written before the retrying figures: the Desk reads them
    through the outbox."""
    clock = ManualClock(START)
    store = InMemoryStore()
    desk = Desk(store, _Down(), clock=clock, ids=SequentialIds())
    desk.acknowledge(desk.listen(make_feedback()).id, by="amy")
    desk.outbox.dispatch()
    clock.advance(timedelta(seconds=10))

    class Older(WithoutHealth):
        def health_figures(self, now: Any) -> HealthFigures:
            f = store.health_figures(now)
            return HealthFigures(
                f.outbox_backlog, f.outbox_overdue_since, f.dead_letters, f.oldest_unanswered,
                f.oldest_unanswered_at, f.cases_due, f.due_since,
            )  # fmt: skip

    older = Older(store)
    assert isinstance(older, HealthStorage)
    assert desk_at(clock, older).health() == desk.health()
    assert desk.health().outbox_retrying == 1


def test_thresholds_given_by_position_keep_their_meaning_after_the_retrying_one() -> None:
    # retrying_age came after the others: thresholds written before it, by position, must
    # still set what they set (the third is dead_letters, not the new figure).
    minutes = Threshold(timedelta(minutes=5), timedelta(minutes=30))
    given = HealthThresholds(Threshold(10, 20), minutes, Threshold(3, None))
    assert given.dead_letters == Threshold(3, None)
    assert given.retrying_age == HealthThresholds().retrying_age
