"""R10: erasing a customer leaves nothing of them, keeps the figures, and changes nobody
else's records.

Checks :class:`closedloop.ports.ErasureStorage`.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from closedloop import codec
from closedloop.domain.cases import conversation
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.change import Change, CustomerChange, InvitationChange
from closedloop.domain.customers import identity
from closedloop.domain.customers.erasure import ERASED, ERASED_CUSTOMER, Erasure, pseudonym_for
from closedloop.domain.errors import ValidationError
from closedloop.domain.outbox.messages import Delivery
from closedloop.domain.surveys import invitation as surveys
from closedloop.domain.surveys.invitation import InvitationStatus, Response
from closedloop.domain.surveys.survey import Answer
from closedloop.ports import CaseStore
from closedloop.testing.conformance.base import (
    T0,
    StoreContract,
    _invite_note,
    _note,
    closed,
    invited,
    opened,
)

__all__ = ["ErasureStorageContract"]


class ErasureStorageContract(StoreContract):
    """R10 erasure, as tests."""

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

    def test_r10_a_handle_inside_another_customers_handle_is_left_alone(
        self, store: CaseStore
    ) -> None:
        # "ann@example.com" is inside "joann@example.com", and the CRM id "11" inside "211"
        # and in Joann's "11 lamps": erasing Ann changes no record of Joann's.
        joann, crm = opened("j1", customer="joann@example.com"), opened("j2", customer="211")
        ann, short = opened("a1"), opened("a2", customer="11")
        joann_note = attrs.evolve(
            _note(joann, "acknowledgement", T0), subject="Your 11 lamps",
            body="Dear joann@example.com, about case 11: ann@example.com.au will call",
        )  # fmt: skip
        store.commit_many(
            [
                Change(joann, 0, (joann_note,)),
                Change(crm, 0, (_note(crm, "acknowledgement", T0),)),
                Change(ann, 0, (_note(ann, "acknowledgement", T0),)),
                Change(short, 0, (_note(short, "acknowledgement", T0),)),
            ]
        )
        keys = ("j1/1/acknowledgement", "j2/1/acknowledgement")
        before = [store.outbox_message(key) for key in keys]
        erasure = Erasure(frozenset({"ann@example.com", "11"}), "erased-1")
        assert store.erase(erasure, T0 + timedelta(days=1)) >= 4
        assert (store.get("j1"), store.get("j2")) == (joann, crm)
        assert [store.outbox_message(key) for key in keys] == before
        for key in ("a1/1/acknowledgement", "a2/1/acknowledgement"):
            message = store.outbox_message(key)
            assert (message.status, message.last_error) == (Delivery.DEAD, ERASED_CUSTOMER)
            assert message.notification.to == "erased-1"

    def test_r10_their_messages_in_another_customers_case_are_erased(
        self, store: CaseStore
    ) -> None:
        bob, duplicate = opened("b1", customer="bob@example.com"), opened("a1")
        bob, duplicate = conversation.merge_cases(bob, duplicate, at=T0, by="amy", reason="same")
        more = Feedback(
            customer="@ann", channel=Channel.SOCIAL_MEDIA, received_at=T0,
            text="@ann again: any news?", external_id="tweet-7",
        )  # fmt: skip
        bob = conversation.add_message(bob, more, at=T0, by="@ann", due_at=None)
        note = _note(bob, "acknowledgement", T0)
        store.commit_many([Change(bob, 0, (note,)), Change(duplicate, 0)])
        erasure = Erasure(frozenset({"ann@example.com", "@ann"}), "erased-1")
        store.erase(erasure, T0 + timedelta(days=1))
        after = store.get("b1")
        assert after.customer == "bob@example.com"
        assert after.messages[0] == bob.messages[0]  # Bob's own words
        assert [(m.customer, m.text) for m in after.messages[1:]] == [("erased-1", ERASED)] * 2
        assert after.version == bob.version + 1  # a writer holding the old version loses
        assert store.find_by_external_id("tweet-7") is None
        found = store.find_by_external_id(erasure.external_id("tweet-7", "b1"))
        assert found is not None
        assert found.id == "b1"
        assert store.outbox_message(note.key).notification == note  # about Bob's case, to Bob

    def test_r10_open_invitations_are_withdrawn_and_found_by_recipient(
        self, store: CaseStore
    ) -> None:
        invitation = invited("inv-2")  # not about a case: found by whom it is addressed to
        note = attrs.evolve(
            _invite_note(invitation), body="Answer: https://example.com/s/inv-2.s3cret",
            token="inv-2.s3cret",
        )  # fmt: skip
        store.commit(InvitationChange(invitation, 0, (note,)))
        store.erase(Erasure(frozenset({"ann@example.com"}), "erased-1"), T0 + timedelta(days=1))
        after = store.invitation("inv-2")
        assert (after.status, after.due_at, after.customer) == (
            InvitationStatus.WITHDRAWN, None, "erased-1",
        )  # fmt: skip
        assert store.invitations_due(T0 + timedelta(days=30)) == []
        message = store.outbox_message(note.key)
        assert message.status is Delivery.DEAD
        assert message.notification.token is None
        assert "s3cret" not in repr(codec.dump_notification(message.notification))

    def test_r10_an_error_quoting_the_customer_reads_erased(self, store: CaseStore) -> None:
        """A notifier's or event handler's error may quote what the customer wrote: on
        every message erasure rewrites, the last error reads ``[erased]``; another
        customer's message keeps its own."""
        case, other = opened("c1", customer="mary@example.com"), opened("c2")
        event = attrs.evolve(_note(case, "event", T0), to="host", channel=Channel.CRM)
        alert = attrs.evolve(_note(case, "escalation", T0), to="lead@example.com")
        theirs = _note(other, "acknowledgement", T0)
        store.commit_many([Change(case, 0, (event, alert)), Change(other, 0, (theirs,))])
        quoted = "CRM rejected customer mary@example.com: Wrong size, my flat is tiny"
        store.mark_failed(event.key, T0, quoted, None)  # a dead letter
        store.mark_failed(alert.key, T0, quoted, T0 + timedelta(hours=1))  # to retry
        store.mark_failed(theirs.key, T0, quoted, None)
        store.erase(Erasure(frozenset({"mary@example.com"}), "erased-1"), T0)
        dead, retrying = store.outbox_message(event.key), store.outbox_message(alert.key)
        assert (dead.status, dead.last_error) == (Delivery.DEAD, ERASED)
        assert (retrying.status, retrying.last_error) == (Delivery.PENDING, ERASED)
        assert store.outbox_message(theirs.key).last_error == quoted  # not Mary's case

    def test_r10_erasure_leaves_a_record_of_the_pseudonym(self, store: CaseStore) -> None:
        store.commit(Change(opened("c1"), 0))
        store.erase(Erasure(frozenset({"ann@example.com"}), "erased-1"), T0)
        marker = store.customer_of("erased-1")
        assert marker is not None
        assert marker.is_erased("erased-1")

    def test_r10_erasure_reaches_every_case_of_a_customer_with_many(self, store: CaseStore) -> None:
        cases = [opened(f"c{n:04}") for n in range(1001)]  # past SQLite's 999 variables
        last = cases[-1]
        store.commit_many(
            [Change(c, 0) for c in cases[:-1]]
            + [Change(last, 0, (_note(last, "acknowledgement", T0),))]
        )
        store.erase(Erasure(frozenset({"ann@example.com"}), "erased-1"), T0)
        assert store.cases_of("ann@example.com") == []
        assert len(store.cases_of("erased-1")) == len(cases)
        assert [m.key for m in store.dead_letters()] == [f"{last.id}/1/acknowledgement"]

    def test_r10_a_pseudonym_in_use_is_refused_and_changes_nothing(self, store: CaseStore) -> None:
        bob = identity.link("cust-bob", ["bob@example.com", "erased-1"], at=T0, by="crm")
        store.commit_customers([CustomerChange(bob, 0)])
        case = opened("c1")
        store.commit(Change(case, 0, (_note(case, "acknowledgement", T0),)))
        with pytest.raises(ValidationError, match="erased-1"):
            store.erase(Erasure(frozenset({"ann@example.com"}), "erased-1"), T0)
        assert store.get("c1") == case
        assert store.outbox_message("c1/1/acknowledgement").status is Delivery.PENDING
        assert store.customer_of("erased-1") == bob

    def test_r10_an_id_delivered_again_after_an_erasure_erases_again(
        self, store: CaseStore
    ) -> None:
        """Erase, the same delivery comes again (a new case), erase again under the same
        pseudonym: each case keeps an external id of its own, found again by it."""
        erasure = Erasure(frozenset({"ann@example.com"}), "erased-1")
        for n in (1, 2):
            store.commit(Change(opened(f"c{n}", external_id="<7@mail.example.com>"), 0))
            store.erase(erasure, T0 + timedelta(days=n))
        assert store.find_by_external_id("<7@mail.example.com>") is None
        for case_id in ("c1", "c2"):
            (erased_id,) = store.get(case_id).external_ids
            found = store.find_by_external_id(erased_id)
            assert found is not None
            assert found.id == case_id
