"""What every contract of the storage kit is built on.

:class:`StoreContract` holds the adapter's hooks (``make_store``, the one to implement;
``reopen`` and ``close``), the ``store`` fixture and the skip for what the adapter's
:class:`Capabilities` leave out. ``opened``, ``closed`` and ``invited`` build the
records the tests commit, at ``T0``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import attrs
import pytest

from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.surveys import invitation as surveys
from closedloop.domain.surveys.eligibility import SurveyRules
from closedloop.domain.surveys.invitation import Invitation
from closedloop.domain.surveys.survey import Survey, SurveyKind
from closedloop.ports import CaseStore

__all__ = ["NPS", "T0", "Capabilities", "StoreContract", "closed", "invited", "opened"]

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_STEP = timedelta(minutes=1)


@attrs.frozen
class Capabilities:
    """What an adapter can do; tests needing more are skipped with the reason."""

    concurrent_writers: bool = True
    """Several threads may commit through one store at once."""
    persistent: bool = False
    """Data outlives the store object; give `StoreContract.reopen`."""


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


class StoreContract:
    """The adapter's hooks and the ``store`` fixture, shared by every role's contract."""

    capabilities: ClassVar[Capabilities] = Capabilities()
    """What your adapter can do; override it to skip what it cannot."""

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
        """A store from `make_store`, closed after the test (a pytest fixture)."""
        store = self.make_store()
        try:
            yield store
        finally:
            self.close(store)

    def _needs(self, capability: str, reason: str) -> None:
        if not getattr(self.capabilities, capability):
            pytest.skip(f"adapter declares no {capability}: {reason}")
