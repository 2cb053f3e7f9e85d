"""R10: erasing a customer leaves nothing of them and keeps the figures.

Checks :class:`closedloop.ports.ErasureStorage`.
"""

from __future__ import annotations

from datetime import timedelta

import attrs

from closedloop import codec
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.change import Change, InvitationChange
from closedloop.domain.customers.erasure import Erasure, pseudonym_for
from closedloop.domain.outbox.messages import Delivery
from closedloop.domain.surveys import invitation as surveys
from closedloop.domain.surveys.invitation import Response
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
