"""Survey invitations: the decision to invite (or not), the single-use token, the answer.

An :class:`Invitation` is one record per decision. Suppressed ones keep the reason, so a
host can show why a survey did not go out; allowed ones carry the digest of a secret token,
an expiry and a reminder budget, and end answered, expired or withdrawn. Every function
here is pure: it takes the invitation and the time and returns the next version.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from datetime import datetime

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.checks import instant, require_aware, require_text
from closedloop.domain.errors import (
    AlreadyAnsweredError,
    InvalidTokenError,
    InvitationExpiredError,
    InvitationWithdrawnError,
    ValidationError,
)
from closedloop.domain.surveys.eligibility import Reason, SurveyRules
from closedloop.domain.surveys.survey import Answer, Survey

__all__ = [
    "Invitation",
    "InvitationStatus",
    "Response",
    "answer",
    "delivered",
    "direct",
    "expire",
    "expired",
    "queued",
    "recovered",
    "remind",
    "require_survey",
    "split_token",
    "suppressed",
    "token_digest",
    "withdraw",
]


class InvitationStatus(enum.Enum):
    """Where an invitation stands. Queued and sent ones are open; the rest are settled."""

    QUEUED = "queued"
    """Committed to the outbox, not delivered yet."""
    SENT = "sent"
    """The notifier delivered it."""
    ANSWERED = "answered"
    """The customer answered (or skipped or dismissed it)."""
    EXPIRED = "expired"
    """It closed unanswered at `expires_at`."""
    WITHDRAWN = "withdrawn"
    """Withdrawn by the host; `note` says why."""
    SUPPRESSED = "suppressed"
    """The rules said no; ``reason`` says which."""

    @property
    def open(self) -> bool:
        """True while the customer may still answer."""
        return self in (InvitationStatus.QUEUED, InvitationStatus.SENT)


def _comment(instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise ValidationError.of(
            "comment", f"comment must be text or None, got {type(value).__name__}"
        )
    if value is not None:
        require_text("comment", value)


def _flag(instance: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError.of(
            attribute.name, f"{attribute.name} must be True or False, got {value!r}"
        )


@attrs.frozen
class Response:
    """What the customer answered: a score (or a skip), a comment, and "contact me"."""

    answer: Answer = attrs.field(validator=attrs.validators.instance_of(Answer))
    """The score, or a skip or a dismissal."""
    received_at: datetime
    """When the answer arrived."""
    comment: str | None = attrs.field(default=None, validator=_comment)
    """What the customer wrote beside it; None if nothing."""
    contact_me: bool = attrs.field(default=False, validator=_flag)
    """Whether they ticked "contact me"."""

    def __attrs_post_init__(self) -> None:
        require_aware("received_at", self.received_at)

    @property
    def score(self) -> int | None:
        """The score, or None for a skipped or dismissed survey."""
        return self.answer.score


@attrs.frozen
class Invitation:
    """One decision to invite a customer to a survey, and what became of it.

    ``case_id`` is None for a relationship survey (not about a case). ``due_at`` is when
    the sweep must next look at an open invitation (a reminder, or its expiry); None once
    settled. ``token_digests`` hold a SHA-256 of the secret part of each token issued (the
    invitation's, and one per reminder, so every link the customer got works): tokens
    themselves are never stored. ``recovery_case_id`` names the case a low score or
    "contact me" opened or joined.
    """

    id: str
    """The invitation's id."""
    survey: Survey
    """The survey it invites to."""
    customer: str
    """The customer's handle."""
    channel: Channel
    """The channel it goes out on."""
    created_at: datetime
    """When it was decided."""
    version: int
    """The number of changes; a write names it to detect a concurrent change."""
    status: InvitationStatus
    """Where it stands."""
    case_id: str | None = None
    """The case it asks about; None for a relationship survey."""
    reason: Reason | None = None
    """Why it was suppressed; None unless `status` is SUPPRESSED."""
    token_digests: tuple[str, ...] = ()
    """SHA-256 digests of the secret part of each token issued (tokens are never stored)."""
    expires_at: datetime | None = None
    """When it expires if unanswered; None for a suppressed one."""
    due_at: datetime | None = None
    """When the sweep must next look at it (a reminder, its expiry); None once settled."""
    reminders_left: int = 0
    """How many reminders may still go out."""
    reminders_sent: int = 0
    """How many went out."""
    sent_at: datetime | None = None
    """When the notifier delivered it; None until then."""
    settled_at: datetime | None = None
    """When it was answered, expired, withdrawn or suppressed; None while open."""
    note: str | None = None
    """Why it was withdrawn; None otherwise."""
    response: Response | None = None
    """The customer's answer; None until they answer."""
    recovery_case_id: str | None = None
    """The case a low score or "contact me" opened or joined; None otherwise."""

    @property
    def is_open(self) -> bool:
        """True while the customer may still answer."""
        return self.status.open

    @property
    def reached_customer(self) -> bool:
        """True if the customer was asked (it counts towards cooldowns)."""
        return self.status not in (InvitationStatus.SUPPRESSED, InvitationStatus.WITHDRAWN) or (
            self.sent_at is not None
        )

    @property
    def is_low(self) -> bool:
        """True when the answer is a detractor, dissatisfied or high-effort score."""
        score = None if self.response is None else self.response.score
        return score is not None and self.survey.is_low(score)

    @property
    def needs_recovery(self) -> bool:
        """True when the answer must reach a human: a low score, or "contact me" ticked."""
        return self.response is not None and (self.is_low or self.response.contact_me)


def token_digest(secret: str) -> str:
    """The digest an invitation keeps of its token's secret part."""
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(token: object) -> tuple[str, str]:
    """The invitation id and the secret of a token ``"<id>.<secret>"``."""
    if not isinstance(token, str):
        raise InvalidTokenError()
    invitation_id, dot, secret = token.rpartition(".")
    if not dot or not invitation_id or not secret:
        raise InvalidTokenError()
    return invitation_id, secret


def require_survey(survey: object) -> Survey:
    """``survey`` if it is a :class:`Survey`, else a ValidationError naming ``survey``."""
    if not isinstance(survey, Survey):
        raise ValidationError.of("survey", f"survey must be a Survey, got {type(survey).__name__}")
    return survey


def _new(
    invitation_id: str,
    survey: Survey,
    customer: str,
    channel: Channel,
    at: datetime,
    **rest: object,
) -> Invitation:
    return Invitation(
        id=invitation_id,
        survey=require_survey(survey),
        customer=customer,
        channel=channel,
        created_at=require_aware("at", at),
        version=1,
        **rest,  # type: ignore[arg-type]
    )


def queued(
    invitation_id: str,
    survey: Survey,
    *,
    customer: str,
    channel: Channel,
    at: datetime,
    secret: str,
    rules: SurveyRules,
    case_id: str | None = None,
) -> Invitation:
    """An allowed invitation, waiting in the outbox; the token is ``f"{id}.{secret}"``."""
    expires_at = at + rules.expires_after
    invitation = _new(
        invitation_id, survey, customer, channel, at,
        status=InvitationStatus.QUEUED, case_id=case_id, token_digests=(token_digest(secret),),
        expires_at=expires_at, reminders_left=rules.reminders,
    )  # fmt: skip
    return attrs.evolve(invitation, due_at=_next_due(invitation, at, rules))


def suppressed(
    invitation_id: str,
    survey: Survey,
    *,
    customer: str,
    channel: Channel,
    at: datetime,
    reason: Reason,
    case_id: str | None = None,
) -> Invitation:
    """The record of an invitation the rules refused, with the reason."""
    return _new(
        invitation_id, survey, customer, channel, at,
        status=InvitationStatus.SUPPRESSED, reason=reason, case_id=case_id, settled_at=at,
    )  # fmt: skip


def direct(
    invitation_id: str,
    survey: Survey,
    *,
    customer: str,
    channel: Channel,
    response: Response,
    case_id: str | None = None,
) -> Invitation:
    """An answer that arrived without an invitation (a log-off survey, an in-app prompt)."""
    at = response.received_at
    _check_response(survey, response)
    return _new(
        invitation_id, survey, customer, channel, at,
        status=InvitationStatus.ANSWERED, case_id=case_id, settled_at=at, response=response,
    )  # fmt: skip


def _next_due(invitation: Invitation, at: datetime, rules: SurveyRules) -> datetime | None:
    """The next reminder, if any is left and falls before expiry; else the expiry."""
    expires = invitation.expires_at
    if invitation.reminders_left > 0:
        reminder = at + rules.remind_after
        if expires is None or instant(reminder) < instant(expires):
            return reminder
    return expires


def _bump(invitation: Invitation, **changes: object) -> Invitation:
    return attrs.evolve(invitation, version=invitation.version + 1, **changes)  # type: ignore[arg-type]


def delivered(invitation: Invitation, at: datetime) -> Invitation:
    """The invitation after the notifier delivered it (only a queued one changes)."""
    require_aware("at", at)
    if invitation.status is not InvitationStatus.QUEUED:
        return invitation
    return _bump(invitation, status=InvitationStatus.SENT, sent_at=at)


def expired(invitation: Invitation, at: datetime) -> bool:
    """True if ``invitation`` can no longer be answered at ``at`` for want of time."""
    expires = invitation.expires_at
    return expires is not None and instant(at) >= instant(expires)


def remind(invitation: Invitation, at: datetime, rules: SurveyRules, secret: str) -> Invitation:
    """The invitation after one reminder went out at ``at``, with a token of its own
    (``secret``); the first token keeps working too."""
    require_aware("at", at)
    if not invitation.is_open or invitation.reminders_left < 1:
        raise ValidationError(f"invitation {invitation.id!r} has no reminder left to send")
    reminded = _bump(
        invitation,
        reminders_left=invitation.reminders_left - 1,
        reminders_sent=invitation.reminders_sent + 1,
        token_digests=(*invitation.token_digests, token_digest(secret)),
    )
    return attrs.evolve(reminded, due_at=_next_due(reminded, at, rules))


def expire(invitation: Invitation, at: datetime) -> Invitation:
    """The invitation marked expired (only an open one whose time has run out changes)."""
    require_aware("at", at)
    if not invitation.is_open or not expired(invitation, at):
        return invitation
    return _bump(invitation, status=InvitationStatus.EXPIRED, due_at=None, settled_at=at)


def withdraw(invitation: Invitation, at: datetime, why: str) -> Invitation:
    """The invitation withdrawn (only an open one changes): it can no longer be answered."""
    require_aware("at", at)
    if not invitation.is_open:
        return invitation
    return _bump(
        invitation, status=InvitationStatus.WITHDRAWN, due_at=None, settled_at=at, note=why
    )


def _check_response(survey: Survey, response: Response) -> None:
    if not isinstance(response, Response):
        raise ValidationError.of(
            "response", f"response must be a Response, got {type(response).__name__}"
        )
    if response.answer.answered:
        survey.check(response.answer.score, field="response")


def answer(invitation: Invitation, secret: str, response: Response) -> Invitation:
    """The invitation answered, if ``secret`` is its token's and it is still open.

    Raises :class:`InvalidTokenError` for a wrong secret, and :class:`AlreadyAnsweredError`,
    :class:`InvitationExpiredError` or :class:`InvitationWithdrawnError` for an invitation
    that can no longer be answered.
    """
    given = token_digest(secret)
    # Compare with every digest (no early exit), each in constant time.
    matches = [hmac.compare_digest(digest, given) for digest in invitation.token_digests]
    if not any(matches):
        raise InvalidTokenError()
    _check_response(invitation.survey, response)
    at = response.received_at
    status = invitation.status
    if status is InvitationStatus.ANSWERED:
        raise AlreadyAnsweredError(invitation.id)
    if status is InvitationStatus.WITHDRAWN:
        raise InvitationWithdrawnError(invitation.id, invitation.note or "withdrawn")
    if status is InvitationStatus.EXPIRED or expired(invitation, at):
        raise InvitationExpiredError(invitation.id, str(invitation.expires_at))
    return _bump(
        invitation, status=InvitationStatus.ANSWERED, due_at=None, settled_at=at, response=response
    )


def recovered(invitation: Invitation, case_id: str) -> Invitation:
    """The answered invitation, linked to the recovery case it opened or joined."""
    return attrs.evolve(invitation, recovery_case_id=case_id)
