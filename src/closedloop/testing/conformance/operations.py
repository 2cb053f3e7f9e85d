"""R13: the health figures a store counts, R18: the messages waiting for a retry among them,
and R14: the tenants it lists and the span of a tenant's activity.

Checks :class:`closedloop.ports.HealthStorage` and :class:`closedloop.ports.StoreOverview`,
the optional roles: a store without one is skipped (the Desk then reads the figures through
the other roles, and ``--all-tenants`` is refused).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from closedloop.domain.cases import steps as latte
from closedloop.domain.change import Change, InvitationChange
from closedloop.domain.errors import ValidationError
from closedloop.domain.health import HealthFigures
from closedloop.domain.outbox.messages import WITHHELD
from closedloop.domain.outbox.notification import Notification
from closedloop.ports import CaseStore, HealthStorage, StoreOverview
from closedloop.service.health import figures_read_slowly
from closedloop.testing.conformance.base import T0, StoreContract, _note, closed, invited, opened

__all__ = ["HealthStorageContract", "StoreOverviewContract"]

_H = timedelta(hours=1)
_NOW = T0 + 10 * _H


def _r13(figures: HealthFigures) -> HealthFigures:
    """The figures R13 requires: without the retrying ones (R18), which a store written
    before them leaves out."""
    return attrs.evolve(figures, outbox_retrying=None, retrying_since=None)


def _world(store: CaseStore) -> None:
    """Two unanswered cases due before ``_NOW``, one acknowledged and due after it, one
    closed; pending messages ready, leased, held and to be retried; one dead, one withheld
    (dead, never handed over: not counted), one sent."""
    late = opened("u1", at=T0)  # due T0 + 4h
    later = opened("u2", at=T0 + _H, customer="bo@example.com")  # due T0 + 5h
    on_it = latte.acknowledge(
        opened("a1", at=T0 + 2 * _H), at=T0 + 3 * _H, by="amy", due_at=T0 + 30 * _H
    )
    done = closed(opened("c1", at=T0 - 5 * _H), at=T0 - 4 * _H)

    def note(purpose: str, hours: float, held: datetime | None = None) -> Notification:
        return attrs.evolve(_note(late, purpose, T0 + hours * _H), deliver_after=held)

    leased, retrying, dead = note("lease", 0), note("retry", 1), note("dead", 2)
    moot = note("moot", 2.5)
    sent, ready = note("sent", 0.5), note("ready", 3)
    held = note("held", 4, held=T0 + 12 * _H)
    store.commit_many(
        [
            Change(late, 0, (leased, retrying, dead, moot, sent, ready, held)),
            Change(later, 0),
            Change(on_it, 0),
            Change(done, 0),
        ]
    )
    store.mark_failed(retrying.key, T0 + 9 * _H, "timeout", T0 + 11 * _H)
    store.mark_failed(dead.key, T0 + 9 * _H, "refused", None)
    store.mark_failed(moot.key, T0 + 9 * _H, f"{WITHHELD}the pause it was for ended", None)
    store.mark_sent(sent.key, T0 + 9 * _H)
    assert [m.key for m in store.outbox_claim(_NOW - timedelta(minutes=2), limit=1)] == [
        leased.key
    ]  # leased until _NOW + 3 minutes


def _other_tenant(store: CaseStore) -> None:
    """Older and more: what the store's own figures must not count."""
    other = store.for_tenant("other-tenant")
    case = opened("x1", at=T0 - 48 * _H)
    other.commit(Change(case, 0, (_note(case, "acknowledgement", T0 - 48 * _H),)))
    other.commit(InvitationChange(invited("i1", at=T0 - 48 * _H), 0))


class HealthStorageContract(StoreContract):
    """R13 the health figures, as tests."""

    @pytest.fixture
    def health(self, store: CaseStore) -> HealthStorage:
        """The store as a ``HealthStorage``; the tests skip for a store without the role."""
        if not isinstance(store, HealthStorage):
            pytest.skip("the store does not provide the optional HealthStorage role")
        return store

    def test_r13_an_empty_store_has_nothing_to_count(
        self, store: CaseStore, health: HealthStorage
    ) -> None:
        assert _r13(health.health_figures(T0)) == HealthFigures(0, None, 0, None, None, 0, None)

    def test_r13_the_figures_count_the_tenants_records(
        self, store: CaseStore, health: HealthStorage
    ) -> None:
        _world(store)
        _other_tenant(store)
        assert _r13(health.health_figures(_NOW)) == HealthFigures(
            outbox_backlog=4,  # ready, leased, held, to be retried
            outbox_overdue_since=T0 + 3 * _H,  # the ready one; the lease has not run out
            dead_letters=1,
            oldest_unanswered="u1",
            oldest_unanswered_at=T0,
            cases_due=2,
            due_since=T0 + 4 * _H,
        )

    @pytest.mark.parametrize("hours", [-6, 0, 4, 4.5, 10, 10.1, 11, 12, 31, 400])
    def test_r13_the_figures_equal_what_the_other_roles_say(
        self, store: CaseStore, health: HealthStorage, hours: float
    ) -> None:
        _world(store)
        _other_tenant(store)
        now = T0 + hours * _H
        assert _r13(health.health_figures(now)) == _r13(figures_read_slowly(store, now))

    def test_r13_figures_follow_the_records(self, store: CaseStore, health: HealthStorage) -> None:
        _world(store)
        store.commit(Change(latte.acknowledge(store.get("u1"), at=_NOW, by="amy"), 1))
        figures = health.health_figures(_NOW + 30 * _H)
        assert (figures.oldest_unanswered, figures.oldest_unanswered_at) == ("u2", T0 + _H)
        assert figures.outbox_overdue_since == T0 + 3 * _H  # the ready one, again
        assert figures.cases_due == 2  # u2 and a1; u1's acknowledgement set no deadline

    def test_r13_now_must_be_an_aware_datetime(
        self, store: CaseStore, health: HealthStorage
    ) -> None:
        with pytest.raises(ValidationError):
            health.health_figures(datetime(2026, 11, 23, 9, 0))  # noqa: DTZ001

    @pytest.fixture
    def retrying(self, store: CaseStore, health: HealthStorage) -> HealthStorage:
        """The store as a ``HealthStorage`` counting the retrying messages (R18); the tests
        skip for a store written before them (the Desk reads them through the outbox)."""
        if health.health_figures(T0).outbox_retrying is None:
            pytest.skip("the store does not count the messages waiting for a retry (R18)")
        return health

    def test_r18_an_empty_store_has_no_message_waiting_for_a_retry(
        self, store: CaseStore, retrying: HealthStorage
    ) -> None:
        figures = retrying.health_figures(T0)
        assert (figures.outbox_retrying, figures.retrying_since) == (0, None)

    def test_r18_the_messages_whose_delivery_failed_and_when_they_were_first_due(
        self, store: CaseStore, retrying: HealthStorage
    ) -> None:
        held_until, _ = _failing_world(store)
        _world(store.for_tenant("other-tenant"))
        figures = retrying.health_figures(T0)
        assert (figures.outbox_retrying, figures.retrying_since) == (3, held_until)
        assert figures == figures_read_slowly(store, T0)

    def test_r18_a_message_delivered_or_given_up_on_is_not_retrying(
        self, store: CaseStore, retrying: HealthStorage
    ) -> None:
        _, keys = _failing_world(store)
        for purpose in ("plain", "held"):
            store.mark_sent(keys[purpose], T0 + _H)
        store.mark_failed(keys["bounced"], T0 + _H, "mailbox full", None)
        figures = retrying.health_figures(T0 + _H)
        assert (figures.outbox_retrying, figures.retrying_since) == (0, None)
        assert figures == figures_read_slowly(store, T0 + _H)

    @pytest.mark.parametrize("hours", [-6, 0, 4, 10.1, 11, 12, 31])
    def test_r18_the_figures_equal_what_the_other_roles_say(
        self, store: CaseStore, retrying: HealthStorage, hours: float
    ) -> None:
        _world(store)
        _failing_world(store)
        now = T0 + hours * _H
        assert retrying.health_figures(now) == figures_read_slowly(store, now)


_PARIS = ZoneInfo("Europe/Paris")


def _failing_world(store: CaseStore) -> tuple[datetime, dict[str, str]]:
    """Messages whose last delivery failed, waiting for a retry: one made at once, one held
    (``deliver_after``, in a named zone) and one that bounced after it was sent, one of them
    leased again; and some that are not: requeued, dead, never tried. Returns the held
    message's ``deliver_after``, the earliest time one of them was first due, and the keys
    by purpose."""
    case = opened("r1", at=T0 - 5 * _H)

    def note(purpose: str, hours: float, held: datetime | None = None) -> Notification:
        return attrs.evolve(_note(case, purpose, T0 + hours * _H), deliver_after=held)

    held_until = (T0 - 2 * _H + timedelta(microseconds=123_457)).astimezone(_PARIS)
    plain, bounced = note("plain", -1), note("bounced", -0.5)
    held = note("held", -3, held=held_until)  # made first, due later
    requeued, dead, fresh = note("requeued", -4), note("dead", -4.5), note("fresh", -4.2)
    store.commit(Change(case, 0, (plain, bounced, held, requeued, dead, fresh)))
    store.mark_failed(plain.key, T0, "timeout", T0 + _H)
    store.mark_failed(held.key, T0, "timeout", T0 - timedelta(minutes=1))
    store.mark_sent(bounced.key, T0)
    store.mark_bounced(bounced.key, T0, "mailbox full", T0 + 2 * _H)
    store.mark_failed(requeued.key, T0, "refused", None)
    store.requeue(requeued.key, T0)
    store.mark_failed(dead.key, T0, "refused", None)
    claimed = store.outbox_claim(T0, limit=10)  # the held one (ready again), leased
    assert held.key in [m.key for m in claimed]
    return held_until, {n.purpose: n.key for n in (plain, bounced, held)}


class StoreOverviewContract(StoreContract):
    """R14 the tenants a store holds, as tests."""

    @pytest.fixture
    def lister(self, store: CaseStore) -> StoreOverview:
        """The store as ``StoreOverview``; the tests skip for a store without the role."""
        if not isinstance(store, StoreOverview):
            pytest.skip("the store does not provide the optional StoreOverview role")
        return store

    def test_r14_an_empty_store_holds_no_tenant(
        self, store: CaseStore, lister: StoreOverview
    ) -> None:
        assert list(lister.tenants()) == []

    def test_r14_every_tenant_with_a_record_is_listed_in_code_point_order(
        self, store: CaseStore, lister: StoreOverview
    ) -> None:
        store.for_tenant("zeta").commit(Change(opened("z1"), 0))
        store.for_tenant("Äpfel").commit(InvitationChange(invited("i1"), 0))
        store.for_tenant("acme").commit(Change(opened("a1"), 0))
        store.for_tenant("acme").commit(Change(opened("a2"), 0))
        store.for_tenant("Zoo").commit(Change(opened("q1"), 0))
        expected = ["Zoo", "acme", "zeta", "Äpfel"]
        assert list(lister.tenants()) == expected
        other = store.for_tenant("nobody")
        assert isinstance(other, StoreOverview)
        assert list(other.tenants()) == expected  # whichever tenant the store is bound to

    def test_r14_activity_spans_the_first_opening_to_the_last_event(
        self, store: CaseStore, lister: StoreOverview
    ) -> None:
        assert lister.activity() is None
        _world(store)
        _other_tenant(store)
        # c1 opened at T0 - 5h; a1 was acknowledged at T0 + 3h, the latest event.
        assert lister.activity() == (T0 - 5 * _H, T0 + 3 * _H)
        store.commit(Change(latte.acknowledge(store.get("u1"), at=_NOW, by="amy"), 1))
        assert lister.activity() == (T0 - 5 * _H, _NOW)
        other = store.for_tenant("other-tenant")
        assert isinstance(other, StoreOverview)
        assert other.activity() == (T0 - 48 * _H, T0 - 48 * _H)
