"""R3, R4 and R5: cases read back exactly, by id and through the named queries, in order.

Checks :class:`closedloop.ports.CaseStorage`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from closedloop import codec
from closedloop.domain.cases import conversation as talk
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.contact import WaitingOn
from closedloop.domain.cases.queues import Queue
from closedloop.domain.change import Change
from closedloop.domain.errors import CaseNotFoundError, DuplicateExternalIdError, ValidationError
from closedloop.domain.standards import pauses
from closedloop.ports import CaseStore
from closedloop.testing import strategies
from closedloop.testing.conformance.base import (
    _STEP,
    T0,
    StoreContract,
    _feedback,
    _note,
    closed,
    opened,
)

__all__ = ["CaseStorageContract"]


class CaseStorageContract(StoreContract):
    """R3 reads, R4 round-trip fidelity and R5 queries, as tests."""

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
            assert codec.dump_case(back) == codec.dump_case(case)  # zones by name too
            assert [e.at.utcoffset() for e in back.events] == [
                e.at.utcoffset() for e in case.events
            ]
            assert back.messages[0].text == case.messages[0].text
        finally:
            self.close(store)

    def test_r4_zones_and_every_feedback_field_read_back(self, store: CaseStore) -> None:
        """An IANA zone stays that zone, a fixed offset that offset; locale, matter key and
        the repeat flag are kept, whichever query reads the case."""
        berlin = datetime(2026, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
        fixed = datetime(2026, 7, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))
        feedback = attrs.evolve(
            _feedback(), received_at=berlin, locale="de-AT", matter_key="order-7", repeated=True
        )
        case = latte.open_case("c1", feedback, at=berlin, due_at=fixed + timedelta(hours=4))
        store.commit(Change(case, 0))
        for back in (store.get("c1"), *store.cases_of("ann@example.com"), *store.unanswered()):
            assert back == case
            assert codec.dump_case(back) == codec.dump_case(case)
            assert back.due_at is not None
            zones = (str(back.opened_at.tzinfo), str(back.due_at.tzinfo))
            assert zones == ("Europe/Berlin", "UTC+02:00")
            message = back.messages[0]
            assert (message.locale, message.matter_key, message.repeated) == (
                "de-AT",
                "order-7",
                True,
            )

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

    def test_r5_cases_of_is_every_case_ordered_as_instants(self, store: CaseStore) -> None:
        """Closed cases too; opening times in other zones are compared as instants."""
        tokyo = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 01:00 UTC
        new_york = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("America/New_York"))  # 13:00
        store.commit(Change(opened("ny", at=new_york), 0))
        store.commit(Change(closed(opened("done", at=T0)), 0))  # 09:00 UTC
        store.commit(Change(opened("tokyo", at=tokyo), 0))
        assert [c.id for c in store.cases_of("ann@example.com")] == ["tokyo", "done", "ny"]

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

    def test_r5_each_work_queue_holds_its_cases_longest_waiting_first(
        self, store: CaseStore
    ) -> None:
        store.commit(Change(opened("fresh", at=T0 + _STEP), 0))
        working = latte.acknowledge(opened("working", at=T0 - 3 * _STEP), at=T0, by="amy")
        store.commit(Change(working, 0))
        wrote = talk.add_message(
            latte.acknowledge(opened("wrote", at=T0 - 2 * _STEP), at=T0, by="amy"),
            _feedback(), at=T0 + 2 * _STEP, due_at=None,
        )  # fmt: skip
        store.commit(Change(wrote, 0))
        asked = pauses.pause(
            latte.acknowledge(opened("asked", at=T0 - _STEP), at=T0, by="amy"),
            WaitingOn.CUSTOMER, at=T0 + _STEP, by="amy", reason="Which order?",
            resume_by=T0 + 10 * _STEP, question="Which order?",
        )  # fmt: skip
        store.commit(Change(asked, 0))
        held = pauses.pause(
            latte.acknowledge(opened("held", at=T0 - _STEP), at=T0, by="amy"),
            WaitingOn.THIRD_PARTY, at=T0, by="amy", reason="Courier", resume_by=T0 + _STEP,
        )  # fmt: skip
        store.commit(Change(held, 0))
        store.commit(Change(closed(opened("done", at=T0 - _STEP)), 0))
        found = {queue: [c.id for c in store.queue(queue)] for queue in Queue}
        assert found == {
            Queue.UNANSWERED: ["fresh"],
            Queue.AWAITING_REPLY: ["wrote"],
            Queue.AWAITING_CUSTOMER: ["asked"],
            Queue.ON_HOLD: ["held"],
            Queue.IN_PROGRESS: ["working"],
        }
        assert store.queue(Queue.AWAITING_REPLY)[0] == wrote
        older = latte.acknowledge(opened("older", at=T0 - 9 * _STEP), at=T0, by="amy")
        store.commit(Change(older, 0))
        assert [c.id for c in store.queue(Queue.IN_PROGRESS)] == ["older", "working"]
        assert [c.id for c in store.queue(Queue.IN_PROGRESS, limit=1)] == ["older"]
        answered = talk.reply(wrote, "It ships today", at=T0 + 3 * _STEP, by="amy", due_at=None)
        store.commit(Change(answered, wrote.version))
        assert [c.id for c in store.queue(Queue.IN_PROGRESS)] == ["older", "working", "wrote"]
        assert store.queue(Queue.AWAITING_REPLY) == []
        with pytest.raises(ValidationError, match="queue must be one of"):
            store.queue("unanswered")  # type: ignore[arg-type]

    def test_r5_a_queue_is_ordered_by_queued_since_not_opened_at(self, store: CaseStore) -> None:
        h = timedelta(hours=1)
        waiting = []
        for case_id, at, wrote_at in (("first", T0, T0 + 5 * h), ("second", T0 + h, T0 + 3 * h)):
            case = latte.acknowledge(opened(case_id, at=at), at=at, by="amy")
            waiting.append(talk.add_message(case, _feedback(), at=wrote_at, due_at=None))
        store.commit_many([Change(case, 0) for case in waiting])
        assert [c.id for c in store.queue(Queue.AWAITING_REPLY)] == ["second", "first"]
        assert [c.id for c in store.queue(Queue.AWAITING_REPLY, limit=1)] == ["second"]

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

    def test_r5_a_case_by_the_key_it_claimed_when_it_opened(self, store: CaseStore) -> None:
        case = latte.open_case("c1", _feedback(), at=T0, claim="matter:order-7")
        store.commit(Change(case, 0))
        found = store.find_by_external_id("matter:order-7")
        assert found is not None
        assert found.id == "c1"
        other = latte.open_case("c2", _feedback(), at=T0, claim="matter:order-7")
        with pytest.raises(DuplicateExternalIdError):
            store.commit(Change(other, 0))

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

    @pytest.mark.parametrize("limit", [0, -1])
    def test_r5_limits_must_be_positive(self, store: CaseStore, limit: int) -> None:
        for query in (
            lambda: store.due(T0, limit=limit),
            lambda: store.unanswered(limit=limit),
            lambda: store.queue(Queue.UNANSWERED, limit=limit),
            lambda: store.outbox_claim(T0, limit=limit),
            lambda: store.outbox_ready(T0, limit=limit),
            lambda: store.dead_letters(limit=limit),
        ):
            with pytest.raises(ValidationError, match="limit"):
                query()
