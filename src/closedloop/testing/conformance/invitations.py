"""R9: survey invitations commit with their notifications and read back in order.

Checks :class:`closedloop.ports.InvitationStorage` (and ``commit`` taking an
``InvitationChange``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from closedloop.domain.cases.channel import Channel
from closedloop.domain.change import Change, InvitationChange
from closedloop.domain.errors import (
    ConcurrencyError,
    InvitationNotFoundError,
    MessageNotFoundError,
    ValidationError,
)
from closedloop.domain.surveys import invitation as surveys
from closedloop.domain.surveys.eligibility import Reason
from closedloop.domain.surveys.invitation import Response
from closedloop.domain.surveys.survey import Answer
from closedloop.ports import CaseStore
from closedloop.testing.conformance.base import (
    NPS,
    T0,
    StoreContract,
    _invite_note,
    invited,
    opened,
)

__all__ = ["InvitationStorageContract"]


class InvitationStorageContract(StoreContract):
    """R9 survey invitations, as tests."""

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
