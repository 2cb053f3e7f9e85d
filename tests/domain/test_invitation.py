"""Invitations as pure values: their lifecycle holds for every sequence of operations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import (
    AlreadyAnsweredError,
    Answer,
    Channel,
    Contact,
    InvalidTokenError,
    InvitationExpiredError,
    InvitationStatus,
    InvitationWithdrawnError,
    Reason,
    Response,
    SurveyRules,
    ValidationError,
)
from closedloop.domain.surveys import invitation as inv
from closedloop.domain.surveys.eligibility import eligibility
from closedloop.domain.surveys.survey import Survey, SurveyKind
from closedloop.testing import strategies
from tests.helpers import START

NPS = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us?")
RULES = SurveyRules(reminders=2, remind_after=timedelta(days=2))


def fresh() -> inv.Invitation:
    return inv.queued(
        "inv-1", NPS, customer="ann@example.com", channel=Channel.EMAIL, at=START,
        secret="first", rules=RULES,
    )  # fmt: skip


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["deliver", "remind", "expire", "withdraw", "answer", "replay"]),
        st.integers(min_value=0, max_value=60 * 24 * 9),  # minutes after the last operation
        st.integers(min_value=0, max_value=10),
    ),
    max_size=12,
)


@given(OPERATIONS)
def test_an_invitation_settles_once_and_every_change_is_one_version(
    operations: list[tuple[str, int, int]],
) -> None:
    invitation = fresh()
    secrets = ["first"]
    at = START
    settled: inv.Invitation | None = None
    for name, minutes, score in operations:
        at += timedelta(minutes=minutes)
        before = invitation
        try:
            if name == "deliver":
                invitation = inv.delivered(invitation, at)
            elif name == "remind":
                invitation = inv.remind(invitation, at, RULES, f"r{len(secrets)}")
                secrets.append(f"r{len(secrets)}")
            elif name == "expire":
                invitation = inv.expire(invitation, at)
            elif name == "withdraw":
                invitation = inv.withdraw(invitation, at, "the case reopened")
            else:
                secret = secrets[score % len(secrets)]
                invitation = inv.answer(invitation, secret, Response(Answer(score), at))
        except (ValidationError, AlreadyAnsweredError, InvitationExpiredError) as refused:
            assert invitation == before
            if isinstance(refused, AlreadyAnsweredError):
                assert before.status is InvitationStatus.ANSWERED
            continue
        except InvitationWithdrawnError:
            assert before.status is InvitationStatus.WITHDRAWN
            continue
        assert invitation.version - before.version in (0, 1)
        if settled is not None:
            assert invitation == settled  # nothing moves a settled invitation
        if not invitation.is_open:
            settled = invitation
            assert invitation.due_at is None
            assert invitation.settled_at is not None
        else:
            assert invitation.due_at is not None
            assert invitation.expires_at is not None
            assert invitation.due_at <= invitation.expires_at
        assert invitation.reminders_sent + invitation.reminders_left == RULES.reminders
        assert len(invitation.token_digests) == 1 + invitation.reminders_sent


def test_a_wrong_secret_is_refused_even_after_reminders() -> None:
    reminded = inv.remind(fresh(), START + timedelta(days=2), RULES, "second")
    with pytest.raises(InvalidTokenError):
        inv.answer(reminded, "third", Response(Answer(9), START + timedelta(days=2)))
    for secret in ("first", "second"):
        answered = inv.answer(reminded, secret, Response(Answer(9), START + timedelta(days=2)))
        assert answered.status is InvitationStatus.ANSWERED


def test_an_answer_at_the_expiry_instant_is_too_late() -> None:
    expires = START + RULES.expires_after
    with pytest.raises(InvitationExpiredError):
        inv.answer(fresh(), "first", Response(Answer(9), expires))
    just_in_time = inv.answer(fresh(), "first", Response(Answer(9), expires - timedelta(seconds=1)))
    assert just_in_time.response is not None


@pytest.mark.parametrize(
    ("score", "contact_me", "needs_recovery"),
    [(6, False, True), (7, False, False), (7, True, True), (10, True, True), (0, False, True)],
)
def test_a_low_score_or_contact_me_needs_recovery(
    score: int, contact_me: bool, needs_recovery: bool
) -> None:
    answered = inv.answer(fresh(), "first", Response(Answer(score), START, contact_me=contact_me))
    assert answered.needs_recovery is needs_recovery


def test_a_response_is_checked() -> None:
    with pytest.raises(ValidationError, match="contact_me"):
        Response(Answer(9), START, contact_me="yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="comment"):
        Response(Answer(9), START, comment=5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="timezone"):
        Response(Answer(9), START.replace(tzinfo=None))


@given(
    case=strategies.cases(),
    staff=st.booleans(),
    opted_out=st.frozensets(st.sampled_from(["email", "sms", "web_form"])),
    days_since=st.none() | st.integers(min_value=0, max_value=200),
    sample=st.floats(min_value=0.01, max_value=1.0),
    with_case=st.booleans(),
)
def test_eligibility_is_deterministic(
    case: object,
    staff: bool,
    opted_out: frozenset[str],
    days_since: int | None,
    sample: float,
    with_case: bool,
) -> None:
    now = START + timedelta(days=300)
    invited = {} if days_since is None else {"after-case": now - timedelta(days=days_since)}
    inputs = {
        "customer": "ann@example.com",
        "survey": NPS,
        "channel": Channel.EMAIL,
        "now": now,
        "contact": Contact(invited=invited, opted_out=opted_out, staff=staff),
        "rules": SurveyRules(sample=sample),
        "case": case if with_case else None,
    }
    first = eligibility(**inputs)  # type: ignore[arg-type]
    assert eligibility(**inputs) == first  # type: ignore[arg-type]
    assert first.allowed is (first.reason is None)
    if staff:
        assert first.reason is Reason.STAFF
