"""The storage conformance kit: prove a CaseStore adapter meets docs/storage.md.

Subclass :class:`CaseStoreContract` in a test file, give it the one factory hook, and
pytest runs every requirement against your adapter::

    from closedloop.testing.conformance import CaseStoreContract

    class TestMyStore(CaseStoreContract):
        def make_store(self):
            return MyStore(...)          # a new, empty store each call

Declare what your adapter cannot do with :class:`Capabilities`; the tests that need it are
skipped with that reason instead of failing. Each test's name starts with the number of
the requirement it checks (``test_r2_...``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from closedloop import codec
from closedloop.adapters.memory import InMemoryStore
from closedloop.domain.cases import conversation as talk
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.cases.lifecycle import LATTE
from closedloop.domain.change import Change, CustomerChange, InvitationChange
from closedloop.domain.customers import identity as identity
from closedloop.domain.customers.erasure import Erasure, pseudonym_for
from closedloop.domain.errors import (
    CaseNotFoundError,
    ConcurrencyError,
    CustomerNotFoundError,
    DuplicateExternalIdError,
    HandleTakenError,
    InvitationNotFoundError,
    MessageNotFoundError,
    ValidationError,
)
from closedloop.domain.latte import Step
from closedloop.domain.outbox.messages import Delivery
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.surveys import invitation as surveys
from closedloop.domain.surveys.eligibility import Reason, SurveyRules
from closedloop.domain.surveys.invitation import Invitation, Response
from closedloop.domain.surveys.survey import Answer, Survey, SurveyKind
from closedloop.ports import CaseStore
from closedloop.testing import strategies

__all__ = ["Capabilities", "CaseStoreContract"]

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_STEP = timedelta(minutes=1)


@attrs.frozen
class Capabilities:
    """What an adapter can do; tests needing more are skipped with the reason.

    - ``concurrent_writers``: several threads may commit through one store at once.
    - ``persistent``: data outlives the store object; give :meth:`CaseStoreContract.reopen`.
    """

    concurrent_writers: bool = True
    persistent: bool = False


def _feedback(customer: str = "ann@example.com", external_id: str | None = None) -> Feedback:
    return Feedback(
        customer=customer,
        channel=Channel.EMAIL,
        received_at=T0,
        text="Mein Paket ist nicht angekommen 📦 — مرحبا",
        external_id=external_id,
    )


def _note(case: Case, purpose: str, created_at: datetime) -> Notification:
    return Notification(
        key=f"{case.id}/{case.version}/{purpose}",
        case_id=case.id,
        to=case.customer,
        channel=case.reply_channel,
        purpose=purpose,
        subject=f"About {case.subject}",
        body="Hello 👋",
        created_at=created_at,
    )


def opened(
    case_id: str,
    *,
    at: datetime = T0,
    customer: str = "ann@example.com",
    due_at: datetime | None = None,
    external_id: str | None = None,
) -> Case:
    """A new case, ready to commit with ``expected_version=0``."""
    return latte.open_case(
        case_id, _feedback(customer, external_id), at=at, due_at=due_at or at + timedelta(hours=4)
    )


def closed(case: Case, at: datetime = T0) -> Case:
    """The case taken through every step to CLOSED."""
    case = latte.acknowledge(case, at=at, by="amy")
    case = latte.take_action(case, at=at, by="amy", summary="Refunded")
    case = latte.thank(case, at=at, by="amy")
    return latte.explain(case, at=at, by="amy", what_failed="Courier", what_changes="New one")


NPS = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us? 🙂")


def invited(
    invitation_id: str,
    *,
    at: datetime = T0,
    customer: str = "ann@example.com",
    case_id: str | None = None,
) -> Invitation:
    """A new, queued survey invitation (reminder due after 3 days, expiry after 7)."""
    return surveys.queued(
        invitation_id, NPS, customer=customer, channel=Channel.EMAIL, at=at,
        secret="s3cret", rules=SurveyRules(), case_id=case_id,
    )  # fmt: skip


def _invite_note(invitation: Invitation) -> Notification:
    return Notification(
        key=f"{invitation.id}/1/survey_invitation",
        case_id=invitation.case_id or "",
        to=invitation.customer,
        channel=invitation.channel,
        purpose="survey_invitation",
        subject="How did we do?",
        body="Tell us: https://example.com/s/...",
        created_at=invitation.created_at,
        invitation_id=invitation.id,
    )


class CaseStoreContract:
    """Every numbered requirement of docs/storage.md, as tests. Subclass it."""

    capabilities: ClassVar[Capabilities] = Capabilities()

    def make_store(self) -> CaseStore:
        """A new, empty store. The one hook you must implement."""
        raise NotImplementedError("implement make_store() to return a new, empty store")

    def reopen(self, store: CaseStore) -> CaseStore:
        """For ``persistent`` adapters: a new store object over the same data."""
        raise NotImplementedError("implement reopen() when capabilities.persistent is True")

    def close(self, store: CaseStore) -> None:
        """Release a store made by :meth:`make_store` (calls ``store.close()`` if it has one)."""
        closer = getattr(store, "close", None)
        if callable(closer):
            closer()

    @pytest.fixture
    def store(self) -> Iterator[CaseStore]:
        store = self.make_store()
        try:
            yield store
        finally:
            self.close(store)

    def _needs(self, capability: str, reason: str) -> None:
        if not getattr(self.capabilities, capability):
            pytest.skip(f"adapter declares no {capability}: {reason}")

    # -- R1 atomicity ---------------------------------------------------------------------

    def test_r1_a_commit_stores_state_events_and_notifications_together(
        self, store: CaseStore
    ) -> None:
        case = opened("c1")
        store.commit(Change(case, 0))
        acked = latte.acknowledge(case, at=T0 + _STEP, by="amy")
        store.commit(Change(acked, 1, (_note(acked, "acknowledgement", T0 + _STEP),)))
        assert store.get("c1") == acked
        assert [m.key for m in store.outbox_claim(T0 + _STEP)] == ["c1/2/acknowledgement"]

    def test_r1_a_refused_commit_stores_nothing(self, store: CaseStore) -> None:
        case = opened("c1")
        store.commit(Change(case, 0))
        acked = latte.acknowledge(case, at=T0, by="amy")
        stale = Change(acked, 0, (_note(acked, "acknowledgement", T0),))
        with pytest.raises(ConcurrencyError):
            store.commit(stale)
        assert store.get("c1") == case
        assert store.outbox_claim(T0 + timedelta(days=1)) == []

    def test_r1_commit_many_is_all_or_nothing(self, store: CaseStore) -> None:
        store.commit(Change(opened("taken"), 0))
        batch = [Change(opened("new-1"), 0), Change(opened("taken"), 0)]
        with pytest.raises(ConcurrencyError):
            store.commit_many(batch)
        with pytest.raises(CaseNotFoundError):
            store.get("new-1")
        store.commit_many([Change(opened("new-1"), 0), Change(opened("new-2"), 0)])
        assert [c.id for c in store.cases_of("ann@example.com")] == ["new-1", "new-2", "taken"]

    def test_r1_a_batch_changes_each_case_once(self, store: CaseStore) -> None:
        case = opened("c1")
        with pytest.raises(ValidationError, match="only once"):
            store.commit_many(
                [Change(case, 0), Change(latte.assign(case, at=T0, by="a", owner="b"), 0)]
            )
        with pytest.raises(CaseNotFoundError):
            store.get("c1")

    # -- R2 versioning --------------------------------------------------------------------

    def test_r2_a_new_case_must_not_exist_yet(self, store: CaseStore) -> None:
        store.commit(Change(opened("c1"), 0))
        with pytest.raises(ConcurrencyError) as info:
            store.commit(Change(opened("c1", customer="bob@example.com"), 0))
        assert (info.value.expected, info.value.actual) == (0, 1)
        assert store.get("c1").customer == "ann@example.com"

    def test_r2_a_stale_version_is_refused(self, store: CaseStore) -> None:
        case = opened("c1")
        store.commit(Change(case, 0))
        acked = latte.acknowledge(case, at=T0, by="amy")
        store.commit(Change(acked, 1))
        other = latte.assign(case, at=T0, by="lead", owner="bo")
        with pytest.raises(ConcurrencyError) as info:
            store.commit(Change(other, 1))
        assert (info.value.expected, info.value.actual) == (1, 2)
        assert store.get("c1") == acked

    def test_r2_a_missing_case_cannot_be_updated(self, store: CaseStore) -> None:
        case = latte.acknowledge(opened("ghost"), at=T0, by="amy")
        with pytest.raises(ConcurrencyError) as info:
            store.commit(Change(case, 1))
        assert info.value.actual is None

    def test_r2_two_writers_on_one_version_exactly_one_wins(self, store: CaseStore) -> None:
        self._needs("concurrent_writers", "two threads commit the same version at once")
        case = opened("c1")
        store.commit(Change(case, 0))
        outcomes: list[str] = []
        barrier = threading.Barrier(8)

        def write(owner: str) -> None:
            change = Change(latte.assign(case, at=T0, by="lead", owner=owner), 1)
            barrier.wait()
            try:
                store.commit(change)
                outcomes.append(owner)
            except ConcurrencyError:
                outcomes.append("conflict")

        threads = [threading.Thread(target=write, args=(f"agent-{i}",)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [o for o in outcomes if o != "conflict"]
        assert len(winners) == 1
        assert outcomes.count("conflict") == 7
        final = store.get("c1")
        assert (final.version, final.owner) == (2, winners[0])

    # -- R3 reads -------------------------------------------------------------------------

    def test_r3_an_unknown_case_is_not_found(self, store: CaseStore) -> None:
        with pytest.raises(CaseNotFoundError) as info:
            store.get("nope")
        assert isinstance(info.value, LookupError)

    # -- R4 round-trip fidelity -----------------------------------------------------------

    # differing_executors: every adapter's subclass runs this same method in one session.
    @settings(
        max_examples=40,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
        deadline=None,
    )
    @given(case=strategies.cases())
    def test_r4_every_field_reads_back_exactly(self, case: Case) -> None:
        store = self.make_store()
        try:
            store.commit(Change(case, 0))
            back = store.get(case.id)
            assert back == case
            assert [e.at.utcoffset() for e in back.events] == [
                e.at.utcoffset() for e in case.events
            ]
            assert back.messages[0].text == case.messages[0].text
        finally:
            self.close(store)

    def test_r4_data_outlives_the_store_object(self, store: CaseStore) -> None:
        self._needs("persistent", "the data lives only as long as the store object")
        case = closed(opened("c1"))
        store.commit(Change(case, 0, (_note(case, "explanation", T0),)))
        again = self.reopen(store)
        try:
            assert again.get("c1") == case
            assert [m.key for m in again.outbox_claim(T0)] == ["c1/5/explanation"]
        finally:
            if again is not store:
                self.close(again)

    # -- R5 queries -----------------------------------------------------------------------

    def test_r5_cases_of_a_customer_oldest_first(self, store: CaseStore) -> None:
        store.commit(Change(opened("b", at=T0 + 2 * _STEP), 0))
        store.commit(Change(opened("a", at=T0 + 2 * _STEP), 0))
        store.commit(Change(opened("z", at=T0), 0))
        store.commit(Change(opened("x", customer="bob@example.com"), 0))
        assert [c.id for c in store.cases_of("ann@example.com")] == ["z", "a", "b"]
        assert store.cases_of("nobody@example.com") == []

    def test_r5_due_is_open_cases_due_strictly_before_t_earliest_first(
        self, store: CaseStore
    ) -> None:
        h = timedelta(hours=1)
        store.commit(Change(opened("late", due_at=T0 + 1 * h), 0))
        store.commit(Change(opened("later", due_at=T0 + 2 * h), 0))
        store.commit(Change(opened("same-b", due_at=T0 + 3 * h), 0))
        store.commit(Change(opened("same-a", due_at=T0 + 3 * h), 0))
        store.commit(Change(opened("on-time", due_at=T0 + 9 * h), 0))
        store.commit(Change(closed(opened("done", due_at=T0)), 0))
        # A due time in another zone is compared as an instant.
        tz = datetime(2026, 11, 23, 11, 30, tzinfo=UTC).astimezone(ZoneInfo("Asia/Tokyo"))
        store.commit(Change(opened("tokyo", due_at=tz), 0))
        assert [c.id for c in store.due(T0 + 3 * h)] == ["late", "later", "tokyo"]
        assert [c.id for c in store.due(T0 + 3 * h + _STEP)] == [
            "late", "later", "tokyo", "same-a", "same-b",
        ]  # fmt: skip
        assert [c.id for c in store.due(T0 + 3 * h + _STEP, limit=2)] == ["late", "later"]
        assert store.due(T0 + 1 * h) == []

    def test_r5_a_closed_case_with_an_open_promise_is_still_due(self, store: CaseStore) -> None:
        case = latte.acknowledge(opened("c1"), at=T0, by="amy")
        case = talk.make_promise(
            case, promise_id="p1", what="Retrain the Leeds team", due_by=T0 + timedelta(days=5),
            owner="amy", at=T0, by="amy",
        )  # fmt: skip
        case = latte.take_action(case, at=T0, by="amy", summary="Refunded")
        case = latte.thank(case, at=T0, by="amy")
        case = latte.explain(
            case, at=T0, by="amy", what_failed="Training", what_changes="Retraining",
            open_promises="the training is booked; we will write when it is done",
        )  # fmt: skip
        assert case.is_closed
        assert case.due_at == T0 + timedelta(days=5)
        store.commit(Change(case, 0))
        assert [d.id for d in store.due(T0 + timedelta(days=6))] == ["c1"]
        assert store.unanswered() == []

    def test_r5_unanswered_is_open_unacknowledged_cases_oldest_first(
        self, store: CaseStore
    ) -> None:
        store.commit(Change(opened("new", at=T0 + 2 * _STEP), 0))
        store.commit(Change(opened("old", at=T0), 0))
        answered = latte.acknowledge(opened("answered", at=T0 - _STEP), at=T0, by="amy")
        store.commit(Change(answered, 0))
        store.commit(Change(closed(opened("closed", at=T0 - _STEP)), 0))
        assert [c.id for c in store.unanswered()] == ["old", "new"]
        assert [c.id for c in store.unanswered(limit=1)] == ["old"]

    def test_r5_cases_active_in_a_period_oldest_first(self, store: CaseStore) -> None:
        hour = timedelta(hours=1)
        early = opened("early", at=T0)
        touched = latte.assign(early, at=T0 + 5 * hour, by="amy", owner="bo")
        quiet = opened("quiet", at=T0 + hour)
        late = opened("late", at=T0 + 6 * hour)
        also = opened("also", at=T0 + 2 * hour)
        store.commit_many([Change(touched, 0), Change(quiet, 0), Change(late, 0), Change(also, 0)])
        found = list(store.cases_active(T0 + 2 * hour, T0 + 6 * hour))
        assert [c.id for c in found] == ["early", "also"]  # late starts at the end: excluded
        assert found[0] == touched
        assert list(store.cases_active(T0 + 7 * hour, T0 + 8 * hour)) == []

    def test_r5_ties_are_broken_by_id_in_code_point_order(self, store: CaseStore) -> None:
        ids = ["é-case", "a-case", "B-case", "Z-case", "b-case"]
        store.commit_many([Change(opened(i, customer="tie@example.com"), 0) for i in ids])
        expected = sorted(ids)  # Python's order: by code point, not a locale's
        assert [c.id for c in store.cases_of("tie@example.com")] == expected
        assert [c.id for c in store.unanswered()] == expected
        assert [c.id for c in store.cases_active(T0, T0 + timedelta(hours=1))] == expected
        assert [d.id for d in store.due(T0 + timedelta(days=1))] == expected

    def test_r5_a_case_by_the_external_id_of_any_of_its_messages(self, store: CaseStore) -> None:
        store.commit(Change(opened("c1", external_id="<m1@mail>"), 0))
        found = store.find_by_external_id("<m1@mail>")
        assert found is not None
        assert found.id == "c1"
        assert store.find_by_external_id("<other@mail>") is None

    def test_r5_an_external_id_belongs_to_one_case(self, store: CaseStore) -> None:
        store.commit(Change(opened("c1", external_id="hook-1"), 0))
        with pytest.raises(DuplicateExternalIdError):
            store.commit(Change(opened("c2", external_id="hook-1"), 0))
        with pytest.raises(CaseNotFoundError):
            store.get("c2")

    def test_r5_a_batch_cannot_give_one_external_id_to_two_cases(self, store: CaseStore) -> None:
        batch = [
            Change(opened("c1", external_id="hook-1"), 0),
            Change(opened("c2", external_id="hook-1"), 0),
        ]
        with pytest.raises(DuplicateExternalIdError):
            store.commit_many(batch)
        with pytest.raises(CaseNotFoundError):
            store.get("c1")
        assert store.find_by_external_id("hook-1") is None

    def test_r5_limits_must_be_positive(self, store: CaseStore) -> None:
        for query in (
            lambda: store.due(T0, limit=0),
            lambda: store.unanswered(limit=-1),
            lambda: store.outbox_claim(T0, limit=0),
            lambda: store.dead_letters(limit=0),
        ):
            with pytest.raises(ValidationError, match="limit"):
                query()

    # -- R6 tenant isolation --------------------------------------------------------------

    def test_r6_a_tenant_never_sees_another_tenants_records(self, store: CaseStore) -> None:
        acme, globex = store.for_tenant("acme"), store.for_tenant("globex")
        assert (acme.tenant, globex.tenant) == ("acme", "globex")
        case = opened("c1", external_id="hook-1", due_at=T0)
        acme.commit(Change(case, 0, (_note(case, "acknowledgement", T0),)))
        later = T0 + timedelta(days=1)
        with pytest.raises(CaseNotFoundError):
            globex.get("c1")
        assert globex.find_by_external_id("hook-1") is None
        assert globex.cases_of("ann@example.com") == []
        assert globex.due(later) == []
        assert globex.unanswered() == []
        assert list(globex.cases_active(T0, later)) == []
        assert globex.outbox_claim(later) == []
        with pytest.raises(MessageNotFoundError):
            globex.outbox_message("c1/1/acknowledgement")
        # The same ids are free in another tenant, and independent.
        other = opened("c1", external_id="hook-1", customer="zed@example.com")
        globex.commit(Change(other, 0))
        assert globex.get("c1").customer == "zed@example.com"
        assert acme.get("c1") == case
        assert [m.key for m in acme.outbox_claim(later)] == ["c1/1/acknowledgement"]

    def test_r6_a_tenant_is_named(self, store: CaseStore) -> None:
        for bad in ("", "  "):
            with pytest.raises(ValidationError, match="tenant"):
                store.for_tenant(bad)

    def test_r6_the_default_tenant_is_a_tenant_too(self, store: CaseStore) -> None:
        store.commit(Change(opened("c1"), 0))
        with pytest.raises(CaseNotFoundError):
            store.for_tenant("elsewhere").get("c1")
        assert store.for_tenant(store.tenant).get("c1").id == "c1"

    # -- R7 the outbox --------------------------------------------------------------------

    def _queue(self, store: CaseStore, *case_ids: str, at: datetime = T0) -> list[str]:
        keys = []
        for i, case_id in enumerate(case_ids):
            case = opened(case_id)
            note = _note(case, "acknowledgement", at + i * _STEP)
            store.commit(Change(case, 0, (note,)))
            keys.append(note.key)
        return keys

    def test_r7_ready_messages_are_claimed_oldest_first_and_leased(self, store: CaseStore) -> None:
        keys = self._queue(store, "a", "b", "c")
        assert store.outbox_claim(T0 - _STEP) == []  # not yet created
        first = store.outbox_claim(T0 + 10 * _STEP, limit=2)
        assert [m.key for m in first] == keys[:2]
        assert all(m.status is Delivery.PENDING and m.attempts == 0 for m in first)
        assert first[0].notification.body == "Hello 👋"
        # Leased: another dispatcher sees only the rest until the lease ends.
        assert [m.key for m in store.outbox_claim(T0 + 10 * _STEP)] == keys[2:]
        assert store.outbox_claim(T0 + 11 * _STEP) == []
        after_lease = T0 + 10 * _STEP + timedelta(minutes=5)
        assert [m.key for m in store.outbox_claim(after_lease)] == keys

    def test_r7_sent_messages_are_done(self, store: CaseStore) -> None:
        (key,) = self._queue(store, "a")
        store.outbox_claim(T0)
        store.mark_sent(key, T0 + _STEP)
        store.mark_sent(key, T0 + 2 * _STEP)  # a repeat changes nothing
        message = store.outbox_message(key)
        assert (message.status, message.attempts, message.sent_at) == (
            Delivery.SENT,
            1,
            T0 + _STEP,
        )
        assert store.outbox_claim(T0 + timedelta(days=1)) == []

    def test_r7_a_failure_is_retried_at_the_time_given(self, store: CaseStore) -> None:
        (key,) = self._queue(store, "a")
        store.outbox_claim(T0)
        retry_at = T0 + timedelta(minutes=2)
        store.mark_failed(key, T0, "ConnectionError: refused", retry_at)
        message = store.outbox_message(key)
        assert (message.status, message.attempts, message.last_error) == (
            Delivery.PENDING,
            1,
            "ConnectionError: refused",
        )
        assert store.outbox_claim(retry_at - _STEP) == []
        assert [m.attempts for m in store.outbox_claim(retry_at)] == [1]

    def test_r7_dead_letters_are_listed_and_can_be_requeued(self, store: CaseStore) -> None:
        keys = self._queue(store, "a", "b")
        store.outbox_claim(T0 + _STEP)
        for key in keys:
            store.mark_failed(key, T0 + _STEP, "SMTPRecipientsRefused", None)
        dead = store.dead_letters()
        assert [(m.key, m.status, m.last_error) for m in dead] == [
            (k, Delivery.DEAD, "SMTPRecipientsRefused") for k in keys
        ]
        assert store.outbox_claim(T0 + timedelta(days=9)) == []
        store.requeue(keys[0], T0 + timedelta(hours=1))
        assert [m.key for m in store.dead_letters()] == keys[1:]
        again = store.outbox_claim(T0 + timedelta(hours=1))
        assert [(m.key, m.attempts) for m in again] == [(keys[0], 0)]

    def test_r7_a_held_message_waits_until_its_delivery_time(self, store: CaseStore) -> None:
        case = opened("a")
        held = attrs.evolve(_note(case, "escalation", T0), deliver_after=T0 + timedelta(hours=12))
        store.commit(Change(case, 0, (held,)))
        assert store.outbox_claim(T0 + timedelta(hours=11)) == []
        (claimed,) = store.outbox_claim(T0 + timedelta(hours=12))
        assert claimed.notification == held

    def test_r7_a_notification_key_is_stored_once(self, store: CaseStore) -> None:
        case = opened("a")
        note = _note(case, "acknowledgement", T0)
        store.commit(Change(case, 0, (note,)))
        acked = latte.acknowledge(case, at=T0, by="amy")
        store.commit(Change(acked, 1, (attrs.evolve(note, body="changed"),)))
        assert [m.notification.body for m in store.outbox_claim(T0)] == ["Hello 👋"]

    def test_r7_a_repeated_key_in_one_batch_is_stored_once(self, store: CaseStore) -> None:
        one, two = opened("a"), opened("b")
        note = _note(one, "acknowledgement", T0)
        store.commit_many(
            [Change(one, 0, (note,)), Change(two, 0, (attrs.evolve(note, body="2"),))]
        )
        assert [m.notification.body for m in store.outbox_claim(T0)] == ["Hello 👋"]

    def test_r7_settling_a_message_twice_keeps_the_first_outcome(self, store: CaseStore) -> None:
        sent, dead = self._queue(store, "a", "b")
        store.outbox_claim(T0 + _STEP)
        store.mark_sent(sent, T0 + _STEP)
        store.mark_failed(sent, T0 + _STEP, "late failure", None)  # sent stays sent
        store.mark_failed(dead, T0 + _STEP, "gone", None)
        store.mark_failed(dead, T0 + _STEP, "again", T0 + timedelta(hours=1))  # dead stays dead
        store.requeue(sent, T0)  # only dead letters are requeued
        assert store.outbox_message(sent).status is Delivery.SENT
        assert (store.outbox_message(dead).status, store.outbox_message(dead).attempts) == (
            Delivery.DEAD,
            1,
        )

    def test_r7_unknown_keys_are_not_found(self, store: CaseStore) -> None:
        for call in (
            lambda: store.outbox_message("nope"),
            lambda: store.mark_sent("nope", T0),
            lambda: store.mark_failed("nope", T0, "x", None),
            lambda: store.requeue("nope", T0),
        ):
            with pytest.raises(MessageNotFoundError):
                call()

    # -- R9 survey invitations --------------------------------------------------------------

    def test_r9_an_invitation_commits_with_its_notification_and_reads_back(
        self, store: CaseStore
    ) -> None:
        invitation = invited("inv-1", case_id="c1")
        store.commit(InvitationChange(invitation, 0, (_invite_note(invitation),)))
        assert store.invitation("inv-1") == invitation
        assert store.outbox_message("inv-1/1/survey_invitation").notification.invitation_id == (
            "inv-1"
        )
        with pytest.raises(InvitationNotFoundError):
            store.invitation("nope")

    def test_r9_every_invitation_field_reads_back_exactly(self, store: CaseStore) -> None:
        berlin = datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin"))
        first = invited("inv-1", at=berlin, customer="zoë@example.com")
        answered = surveys.recovered(
            surveys.answer(
                first, "s3cret", Response(Answer(0), berlin, comment="Schlecht 👎", contact_me=True)
            ),
            "c9",
        )
        quiet = surveys.suppressed(
            "inv-2", NPS, customer="zoë@example.com", channel=Channel.CHAT, at=berlin,
            reason=Reason.NEVER_ANSWERED, case_id="c1",
        )  # fmt: skip
        store.commit_many([InvitationChange(answered, 0), InvitationChange(quiet, 0)])
        assert store.invitation("inv-1") == answered
        assert store.invitation("inv-2") == quiet

    def test_r9_invitation_versions_are_checked(self, store: CaseStore) -> None:
        invitation = invited("inv-1")
        store.commit(InvitationChange(invitation, 0))
        with pytest.raises(ConcurrencyError) as refused:
            store.commit(InvitationChange(invitation, 0))
        assert (refused.value.expected, refused.value.actual) == (0, 1)
        sent = surveys.delivered(invitation, T0 + timedelta(minutes=1))
        store.commit(InvitationChange(sent, 1))
        stale = surveys.withdraw(invitation, T0, "the case reopened")
        with pytest.raises(ConcurrencyError):
            store.commit(InvitationChange(stale, 0))
        assert store.invitation("inv-1") == sent

    def test_r9_a_mixed_batch_is_all_or_nothing(self, store: CaseStore) -> None:
        store.commit(Change(opened("c1"), 0))
        invitation = invited("inv-1", case_id="c1")
        with pytest.raises(ConcurrencyError):
            store.commit_many(
                [
                    InvitationChange(invitation, 0, (_invite_note(invitation),)),
                    Change(opened("c1"), 0),
                ]
            )
        with pytest.raises(InvitationNotFoundError):
            store.invitation("inv-1")
        with pytest.raises(MessageNotFoundError):
            store.outbox_message("inv-1/1/survey_invitation")
        with pytest.raises(ValidationError, match="only once"):
            store.commit_many([InvitationChange(invitation, 0), InvitationChange(invitation, 0)])

    def test_r9_invitations_of_a_customer_oldest_first(self, store: CaseStore) -> None:
        store.commit_many(
            [
                InvitationChange(invited("b", at=T0 + timedelta(hours=1)), 0),
                InvitationChange(invited("a", at=T0 + timedelta(hours=1)), 0),
                InvitationChange(invited("z", at=T0), 0),
                InvitationChange(invited("x", customer="bob@example.com"), 0),
            ]
        )
        assert [i.id for i in store.invitations_of("ann@example.com")] == ["z", "a", "b"]
        assert store.invitations_of("nobody@example.com") == []

    def test_r9_invitations_due_strictly_before_t_earliest_first(self, store: CaseStore) -> None:
        early, late = invited("early"), invited("late", at=T0 + timedelta(days=1))
        done = surveys.withdraw(invited("done"), T0, "the case reopened")
        store.commit_many([InvitationChange(i, 0) for i in (late, early, done)])
        assert early.due_at is not None
        assert late.due_at is not None
        assert store.invitations_due(early.due_at) == []
        assert [i.id for i in store.invitations_due(late.due_at + timedelta(seconds=1))] == [
            "early",
            "late",
        ]
        assert [i.id for i in store.invitations_due(late.due_at, limit=1)] == ["early"]
        with pytest.raises(ValidationError, match="limit"):
            store.invitations_due(T0, limit=0)

    def test_r9_responses_in_a_period_in_the_order_they_arrived(self, store: CaseStore) -> None:
        def answered(invitation_id: str, minutes: int) -> InvitationChange:
            at = T0 + timedelta(minutes=minutes)
            return InvitationChange(
                surveys.answer(invited(invitation_id), "s3cret", Response(Answer(9), at)), 0
            )

        store.commit_many(
            [answered("b", 10), answered("a", 10), answered("c", 0), answered("d", 60)]
        )
        store.commit(InvitationChange(invited("open"), 0))
        period = list(store.responses(T0, T0 + timedelta(minutes=60)))
        assert [i.id for i in period] == ["c", "a", "b"]
        assert list(store.responses(T0 + timedelta(hours=2), T0 + timedelta(hours=3))) == []

    def test_r9_invitations_belong_to_their_tenant(self, store: CaseStore) -> None:
        acme, globex = store.for_tenant("acme"), store.for_tenant("globex")
        invitation = invited("inv-1")
        acme.commit(InvitationChange(invitation, 0, (_invite_note(invitation),)))
        later = T0 + timedelta(days=30)
        with pytest.raises(InvitationNotFoundError):
            globex.invitation("inv-1")
        assert globex.invitations_of("ann@example.com") == []
        assert globex.invitations_due(later) == []
        assert list(globex.responses(T0, later)) == []
        assert globex.outbox_claim(later) == []
        globex.commit(InvitationChange(invited("inv-1", customer="zed@example.com"), 0))
        assert acme.invitation("inv-1") == invitation

    # -- R10 erasure --------------------------------------------------------------------------

    def seed_customer(self, store: CaseStore) -> dict[str, str]:
        """Records full of one customer's details; returns the details to look for."""
        secret = {"handle": "zoë.secret@example.com", "text": "my passport number is X9271"}
        feedback = Feedback(
            customer=secret["handle"], channel=Channel.EMAIL, received_at=T0,
            text=f"Refund please, {secret['text']}", external_id=f"<42@{secret['handle']}>",
        )  # fmt: skip
        case = latte.open_case("c1", feedback, at=T0, due_at=T0 + timedelta(hours=4))
        case = latte.reopen(
            closed(case), at=T0, by=secret["handle"], reason=f"still broken: {secret['text']}"
        )
        other = opened("c2", customer="bob@example.com")
        note = _note(case, "acknowledgement", T0)
        note = attrs.evolve(note, to=secret["handle"], body=f"Dear {secret['handle']}")
        alert = attrs.evolve(
            _note(case, "escalation", T0), to="lead@example.com",
            body=f"Case c1 for {secret['handle']} is late",
        )  # fmt: skip
        invitation = surveys.answer(
            invited("inv-1", customer=secret["handle"], case_id="c1"),
            "s3cret",
            Response(Answer(0), T0, comment=secret["text"], contact_me=True),
        )
        store.commit_many(
            [
                Change(case, 0, (note, alert)),
                Change(other, 0, (_note(other, "acknowledgement", T0),)),
                InvitationChange(invitation, 0, (_invite_note(invitation),)),
            ]
        )
        store.mark_failed(alert.key, T0, "smtp down", None)  # a dead letter too
        return secret

    def test_r10_erasure_removes_the_customer_and_keeps_counts_and_timings(
        self, store: CaseStore
    ) -> None:
        secret = self.seed_customer(store)
        before = store.get("c1")
        erasure = Erasure(frozenset({secret["handle"]}), pseudonym_for(secret["handle"]))
        assert store.erase(erasure, T0 + timedelta(days=1)) >= 5
        after = store.get("c1")
        dumped = repr(codec.dump_case(after))
        for detail in secret.values():
            assert detail not in dumped
        assert after.customer == erasure.pseudonym
        assert after.version == before.version + 1  # the Erased event: stale writers lose
        assert [type(e) for e in after.events[:-1]] == [type(e) for e in before.events]
        assert [e.at for e in after.events[:-1]] == [e.at for e in before.events]
        assert (after.stage, after.opened_at, after.reopen_count) == (
            before.stage, before.opened_at, before.reopen_count,
        )  # fmt: skip
        assert store.cases_of(secret["handle"]) == []
        assert [c.id for c in store.cases_of(erasure.pseudonym)] == ["c1"]
        assert store.find_by_external_id(f"<42@{secret['handle']}>") is None
        invitation = store.invitation("inv-1")
        assert secret["text"] not in repr(codec.dump_invitation(invitation))
        assert invitation.response is not None
        assert invitation.response.score == 0  # the answer still counts
        assert store.invitations_of(secret["handle"]) == []
        for key in ("c1/6/acknowledgement", "c1/6/escalation", "inv-1/1/survey_invitation"):
            message = store.outbox_message(key)
            for detail in secret.values():
                assert detail not in repr(codec.dump_notification(message.notification))
        assert store.outbox_message("c1/6/acknowledgement").status is Delivery.DEAD
        assert store.get("c2").customer == "bob@example.com"  # others untouched
        assert store.outbox_message("c2/1/acknowledgement").notification.body == "Hello 👋"

    def test_r10_erasure_leaves_other_tenants_alone(self, store: CaseStore) -> None:
        acme = store.for_tenant("acme")
        secret = self.seed_customer(store)
        self.seed_customer(acme)
        store.erase(Erasure(frozenset({secret["handle"]}), "erased-1"), T0)
        assert acme.get("c1").customer == secret["handle"]

    # -- R11 customers ------------------------------------------------------------------------

    def test_r11_a_customer_reads_back_by_id_and_by_any_handle(self, store: CaseStore) -> None:
        ann = identity.link("cust-1", ["ann@example.com", "+44 7700 900001"], at=T0, by="amy")
        store.commit_customers([CustomerChange(ann, 0)])
        assert store.customer("cust-1") == ann
        assert store.customer_of("+44 7700 900001") == ann
        assert store.customer_of("nobody@example.com") is None
        with pytest.raises(CustomerNotFoundError):
            store.customer("cust-2")

    def test_r11_versions_are_checked_and_a_handle_has_one_customer(self, store: CaseStore) -> None:
        ann = identity.link("cust-1", ["ann@example.com"], at=T0, by="amy")
        store.commit_customers([CustomerChange(ann, 0)])
        with pytest.raises(ConcurrencyError):
            store.commit_customers([CustomerChange(ann, 0)])
        bob = identity.link("cust-2", ["bob@example.com", "ann@example.com"], at=T0, by="amy")
        with pytest.raises(HandleTakenError):
            store.commit_customers([CustomerChange(bob, 0)])
        with pytest.raises(CustomerNotFoundError):
            store.customer("cust-2")  # refused whole
        assert store.customer_of("bob@example.com") is None

    def test_r11_a_merge_and_an_unmerge_are_each_one_commit(self, store: CaseStore) -> None:
        ann = identity.link("cust-1", ["ann@example.com"], at=T0, by="amy")
        other = identity.link("cust-2", ["@ann"], at=T0, by="amy")
        store.commit_customers([CustomerChange(ann, 0), CustomerChange(other, 0)])
        into, merged = identity.merge(ann, other, at=T0, by="amy")
        store.commit_customers([CustomerChange(into, 1), CustomerChange(merged, 1)])
        assert store.customer_of("@ann") == into
        assert store.customer("cust-2").merged_into == "cust-1"
        back, restored = identity.unmerge(into, merged, at=T0, by="amy")
        store.commit_customers([CustomerChange(back, 2), CustomerChange(restored, 2)])
        assert store.customer_of("@ann") == restored
        assert store.customer_of("ann@example.com") == back

    def test_r11_customers_belong_to_their_tenant(self, store: CaseStore) -> None:
        ann = identity.link("cust-1", ["ann@example.com"], at=T0, by="amy")
        store.commit_customers([CustomerChange(ann, 0)])
        acme = store.for_tenant("acme")
        assert acme.customer_of("ann@example.com") is None
        acme.commit_customers([CustomerChange(ann, 0)])  # the same handle, another tenant
        assert acme.customer("cust-1") == ann

    def test_r11_erasure_takes_the_handles_out_of_customers(self, store: CaseStore) -> None:
        ann = identity.link("cust-1", ["ann@example.com", "+44 1"], at=T0, by="amy")
        store.commit_customers([CustomerChange(ann, 0)])
        erasure = Erasure(frozenset(ann.handles), "erased-1")
        store.erase(erasure, T0)
        stored = store.customer("cust-1")
        assert stored.handles == frozenset({"erased-1"})
        assert "ann@example.com" not in repr(codec.dump_customer(stored))
        assert store.customer_of("ann@example.com") is None
        assert store.customer_of("erased-1") == stored

    # -- R8 behaves like the reference, under random operations -----------------------------

    def test_r8_behaves_like_the_in_memory_reference(self) -> None:
        machine = type(
            "Comparison", (_Comparison,), {"make": self.make_store, "dispose": self.close}
        )
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=50, stateful_step_count=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )  # fmt: skip


class _Comparison(RuleBasedStateMachine):
    """Random commits, steps and outbox operations on the adapter and the reference."""

    ids = Bundle("ids")
    # Set by CaseStoreContract on a subclass made for each adapter.
    make: Callable[[], CaseStore]
    dispose: Callable[[CaseStore], None]

    def __init__(self) -> None:
        super().__init__()
        self.store = self.make()
        self.reference = InMemoryStore(self.store.tenant)
        self.now = T0
        self.counter = 0

    def _both(self, method: str, *args: Any) -> Any:
        """Call ``method`` on both stores; they must return equal values or raise alike."""
        outcomes = []
        for store in (self.reference, self.store):
            try:
                outcomes.append(("ok", getattr(store, method)(*args)))
            except Exception as exc:  # compare error types, not messages
                outcomes.append(("error", type(exc)))
        assert outcomes[1] == outcomes[0], f"adapter {outcomes[1]} != reference {outcomes[0]}"
        return outcomes[0][1]

    @rule(
        target=ids,
        minutes=st.integers(0, 120),
        due_hours=st.integers(-3, 30),
        customer=st.sampled_from(["ann", "bob"]),
        external=st.sampled_from([None, "hook-1", "hook-2", "hook-3"]),
    )
    def open(self, minutes: int, due_hours: int, customer: str, external: str | None) -> str:
        self.counter += 1
        case_id = f"c{self.counter}"
        at = self.now + timedelta(minutes=minutes)
        case = opened(
            case_id, at=at, customer=customer, due_at=at + timedelta(hours=due_hours),
            external_id=external,
        )  # fmt: skip
        change = Change(case, 0, (_note(case, "ack", at),))
        if self.counter % 2:
            self._both("commit", change)
        else:
            self._both("commit_many", [change])
        return case_id

    @rule(case_id=ids, stale=st.booleans(), hours=st.integers(1, 48))
    def step(self, case_id: str, stale: bool, hours: int) -> None:
        try:
            case = self.reference.get(case_id)
        except CaseNotFoundError:
            return
        steps = LATTE.allowed(case)
        at = self.now + timedelta(hours=hours)
        step = steps[0] if steps else None
        if step is Step.ACKNOWLEDGE:
            moved = latte.acknowledge(case, at=at, by="amy", next_contact_by=at)
        elif step is Step.TAKE_ACTION:
            moved = latte.take_action(case, at=at, by="amy", summary="done", due_at=at)
        elif step is Step.THANK:
            moved = latte.thank(case, at=at, by="amy", due_at=at)
        elif step is Step.EXPLAIN:
            moved = latte.explain(case, at=at, by="amy", what_failed="x", what_changes="y")
        elif step is Step.REOPEN:
            moved = latte.reopen(case, at=at, by=case.customer, reason="no", due_at=at)
        else:
            moved = latte.assign(case, at=at, by="lead", owner="bo")
        expected = case.version - 1 if stale else case.version
        note = _note(moved, "step", at)
        self._both("commit", Change(moved, expected, (note,)))

    @rule(minutes=st.integers(1, 600))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(
        limit=st.integers(1, 5),
        fates=st.lists(st.sampled_from(["sent", "retry", "dead"]), min_size=5, max_size=5),
    )
    def claim_and_settle(self, limit: int, fates: list[str]) -> None:
        retry = self.now + timedelta(minutes=10)
        for message, fate in zip(self._both("outbox_claim", self.now, limit), fates, strict=False):
            if fate == "sent":
                self._both("mark_sent", message.key, self.now)
            else:
                retry_at = retry if fate == "retry" else None
                self._both("mark_failed", message.key, self.now, fate, retry_at)

    @rule()
    def requeue_dead(self) -> None:
        for message in self._both("dead_letters", 2):
            self._both("requeue", message.key, self.now)

    @invariant()
    def queries_agree(self) -> None:
        later = self.now + timedelta(hours=12)
        self._both("due", later, 50)
        self._both("unanswered", 50)
        self._both("cases_of", "ann")
        self._both("dead_letters", 50)
        for key in ("hook-1", "hook-2"):
            self._both("find_by_external_id", key)

    def teardown(self) -> None:
        self.dispose(self.store)
