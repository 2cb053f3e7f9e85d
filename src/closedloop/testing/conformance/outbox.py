"""R7: the outbox claims, leases, settles, retries and requeues notifications.

Checks :class:`closedloop.ports.OutboxStorage`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
import pytest

from closedloop.domain.cases import steps as latte
from closedloop.domain.change import Change, InvitationChange
from closedloop.domain.errors import MessageNotFoundError, ValidationError
from closedloop.domain.outbox.messages import Delivery
from closedloop.ports import CaseStore
from closedloop.testing.conformance.base import (
    _STEP,
    T0,
    StoreContract,
    _invite_note,
    _note,
    invited,
    opened,
)

__all__ = ["OutboxStorageContract"]


class OutboxStorageContract(StoreContract):
    """R7 the outbox, as tests."""

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

    def test_r7_ready_messages_can_be_read_without_a_lease(self, store: CaseStore) -> None:
        keys = self._queue(store, "a", "b", "c")
        assert store.outbox_ready(T0 - _STEP) == []
        ready = store.outbox_ready(T0 + 10 * _STEP, limit=2)
        assert [m.key for m in ready] == keys[:2]
        assert ready == store.outbox_ready(T0 + 10 * _STEP, limit=2)  # nothing was leased
        assert store.outbox_claim(T0 + 10 * _STEP, limit=2) == ready
        assert [m.key for m in store.outbox_ready(T0 + 10 * _STEP)] == keys[2:]
        store.mark_sent(keys[2], T0 + 10 * _STEP)
        assert store.outbox_ready(T0 + 10 * _STEP) == []
        with pytest.raises(ValidationError):
            store.outbox_ready(T0, limit=0)

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

    def test_r7_a_delivered_message_forgets_its_survey_token(self, store: CaseStore) -> None:
        invitation = invited("inv-1")
        notes = [
            attrs.evolve(
                _invite_note(invitation),
                key=f"inv-1/{n}/survey_invitation",
                subject=f"Survey inv-1.s3cret{n}",
                token=f"inv-1.s3cret{n}",
                body=f"Answer at https://example.com/s/inv-1.s3cret{n} by Friday",
            )
            for n in (1, 2)
        ]
        store.commit(InvitationChange(invitation, 0, tuple(notes)))
        store.mark_sent(notes[0].key, T0)
        spent = store.outbox_message(notes[0].key).notification
        assert (spent.token, spent.subject, spent.body) == (
            None, "Survey [token]", "Answer at https://example.com/s/[token] by Friday",
        )  # fmt: skip
        assert store.outbox_message(notes[1].key).notification == notes[1]  # not sent: kept

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

    def test_r7_a_sent_message_that_bounces_for_good_becomes_a_dead_letter(
        self, store: CaseStore
    ) -> None:
        sent, pending = self._queue(store, "a", "b")
        store.outbox_claim(T0)
        store.mark_sent(sent, T0)
        for key in (sent, pending):
            store.mark_bounced(key, T0 + _STEP, "bounced (permanent): 5.1.1", None)
        assert [(m.key, m.status, m.last_error) for m in store.dead_letters()] == [
            (k, Delivery.DEAD, "bounced (permanent): 5.1.1") for k in (sent, pending)
        ]
        assert store.outbox_message(sent).sent_at == T0  # it was handed over; that stays
        store.mark_bounced(sent, T0 + 2 * _STEP, "bounced again", T0 + timedelta(hours=1))
        assert store.outbox_message(sent).last_error == "bounced (permanent): 5.1.1"

    def test_r7_a_sent_message_that_bounces_for_now_is_sent_again(self, store: CaseStore) -> None:
        (key,) = self._queue(store, "a")
        store.outbox_claim(T0)
        store.mark_sent(key, T0)
        retry_at = T0 + timedelta(hours=1)
        store.mark_bounced(key, T0 + _STEP, "bounced (temporary): 4.2.2", retry_at)
        message = store.outbox_message(key)
        assert (message.status, message.attempts, message.last_error) == (
            Delivery.PENDING,
            2,
            "bounced (temporary): 4.2.2",
        )
        assert store.outbox_claim(retry_at - _STEP) == []
        assert [m.key for m in store.outbox_claim(retry_at)] == [key]
        with pytest.raises(MessageNotFoundError):
            store.mark_bounced("no-such-key", T0, "bounced", None)

    def test_r7_messages_of_one_instant_go_out_in_the_order_they_were_committed(
        self, store: CaseStore
    ) -> None:
        # Keys sort otherwise: "c/10/thanks" before "c/2/acknowledgement", "inv-z" after.
        case = opened("c")
        first = [_note(case, "acknowledgement", T0), _note(case, "reply", T0)]
        store.commit(Change(case, 0, tuple(first)))
        later = attrs.evolve(_note(case, "thanks", T0), key="c/10/thanks")
        survey = attrs.evolve(_note(case, "explanation", T0), key="a-survey/1/invitation")
        store.commit(Change(latte.acknowledge(case, at=T0, by="amy"), 1, (later, survey)))
        # One batch: an invitation's message then a case's, queued in the batch's order.
        invitation = invited("b-inv")
        answered = latte.acknowledge(opened("z"), at=T0, by="amy")
        store.commit_many(
            [
                InvitationChange(invitation, 0, (_invite_note(invitation),)),
                Change(answered, 0, (_note(answered, "acknowledgement", T0),)),
            ]
        )
        order = [n.key for n in (*first, later, survey)]
        order += [f"{invitation.id}/1/survey_invitation", f"{answered.id}/2/acknowledgement"]
        assert [m.key for m in store.outbox_ready(T0)] == order
        assert [m.key for m in store.outbox_claim(T0)] == order
        for key in order:
            store.mark_failed(key, T0, "refused", None)
        assert [m.key for m in store.dead_letters()] == order

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

    def test_r7_a_dead_letter_delivered_after_all_is_sent(self, store: CaseStore) -> None:
        (key,) = self._queue(store, "a")
        store.outbox_claim(T0)
        store.mark_failed(key, T0, "timed out", None)
        store.mark_sent(key, T0 + _STEP)  # the notifier had delivered it after all
        message = store.outbox_message(key)
        assert (message.status, message.attempts, message.sent_at) == (
            Delivery.SENT,
            2,
            T0 + _STEP,
        )
        assert store.dead_letters() == []

    def test_r7_requeue_leaves_messages_that_are_not_dead_as_they_are(
        self, store: CaseStore
    ) -> None:
        retrying, leased, sent = self._queue(store, "a", "b", "c")
        store.outbox_claim(T0 + 2 * _STEP)  # leased for five minutes
        retry_at = T0 + timedelta(hours=2)
        store.mark_failed(retrying, T0 + 2 * _STEP, "refused", retry_at)
        store.mark_sent(sent, T0 + 2 * _STEP)
        before = [store.outbox_message(key) for key in (retrying, leased, sent)]
        for key in (retrying, leased, sent):
            store.requeue(key, T0)
        assert [store.outbox_message(key) for key in (retrying, leased, sent)] == before
        assert store.outbox_claim(T0 + 3 * _STEP) == []

    def test_r7_unknown_keys_are_not_found(self, store: CaseStore) -> None:
        for call in (
            lambda: store.outbox_message("nope"),
            lambda: store.mark_sent("nope", T0),
            lambda: store.mark_failed("nope", T0, "x", None),
            lambda: store.requeue("nope", T0),
        ):
            with pytest.raises(MessageNotFoundError):
                call()
