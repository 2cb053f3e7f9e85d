"""Links the customer holds: survey tokens and status links."""

from __future__ import annotations

from closedloop.domain.errors.kernel import ClosedLoopError

__all__ = [
    "AlreadyAnsweredError",
    "InvalidTokenError",
    "InvitationExpiredError",
    "InvitationWithdrawnError",
    "StatusLinkError",
    "SurveyTokenError",
]


class SurveyTokenError(ClosedLoopError):
    """A survey answer that cannot be taken; nothing was recorded."""


class InvalidTokenError(SurveyTokenError):
    """The token is not one closedloop issued (mistyped, truncated or forged)."""

    def __init__(self) -> None:
        super().__init__(
            "this survey token is not valid; use the whole link from the invitation "
            "(a token is the invitation id, a dot, and a secret)"
        )


class AlreadyAnsweredError(SurveyTokenError):
    """The invitation was answered already: a token is good for one answer."""

    def __init__(self, invitation_id: str) -> None:
        super().__init__(
            f"invitation {invitation_id!r} was answered already and a survey token works "
            "once; show the customer a 'thank you, we have your answer' page"
        )
        self.invitation_id = invitation_id


class InvitationExpiredError(SurveyTokenError):
    """The invitation expired before it was answered."""

    def __init__(self, invitation_id: str, expired_at: str) -> None:
        super().__init__(
            f"invitation {invitation_id!r} expired at {expired_at}; an answer after expiry "
            "is not counted (record it with desk.surveys.record_answer() if you must keep it)"
        )
        self.invitation_id = invitation_id


class InvitationWithdrawnError(SurveyTokenError):
    """The invitation was withdrawn (its case reopened, or the host withdrew it)."""

    def __init__(self, invitation_id: str, why: str) -> None:
        super().__init__(
            f"invitation {invitation_id!r} was withdrawn ({why}); the customer may be "
            "invited again once the loop is closed"
        )
        self.invitation_id = invitation_id


class StatusLinkError(ClosedLoopError):
    """A case status link that cannot be used: not one closedloop issued, expired, or
    revoked (the customer was erased, or the secret changed). Nothing was shown or recorded."""

    def __init__(self, why: str) -> None:
        super().__init__(
            f"this status link cannot be used: {why}; show the customer a page that offers "
            "to send a new link to the address the case was opened from"
        )
        self.why = why
        """What was wrong with the link."""
