"""Surveys (``desk.surveys``): who may be asked, their answers, and recovery of low scores."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from closedloop.domain.cases.channel import Channel
from closedloop.domain.checks import require_key, require_text, shown
from closedloop.domain.errors import InvalidTokenError, ValidationError
from closedloop.domain.surveys.eligibility import Contact
from closedloop.domain.surveys.invitation import Invitation
from closedloop.domain.surveys.survey import Answer, Survey
from closedloop.service import identity, invitations
from closedloop.service.context import Context
from closedloop.service.invitations import Invited
from closedloop.service.logs import surveys as log

__all__ = ["Surveys"]


def _optional_key(field: str, value: object) -> None:
    if value is not None:
        require_key(field, value)


class Surveys:
    """Survey invitations and answers, reached as ``desk.surveys``.

    Invitations follow ``Policy.surveys``; every decision is recorded, suppressed ones with
    the reason. Reminders and expiry run in :meth:`Desk.sweep <closedloop.Desk.sweep>`.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def invite(
        self,
        survey: Survey,
        *,
        case_id: str | None = None,
        customer: str | None = None,
        channel: Channel | None = None,
        contact: Contact | None = None,
        case_status: str | None = None,
    ) -> Invited:
        """May this customer be asked ``survey`` now? Decide by ``Policy.surveys`` and
        record the decision either way.

        Give ``case_id`` for a survey about a case (customer and channel default to the
        case's); leave it out, and give ``customer`` and ``channel``, for a relationship
        survey. ``customer`` is a handle (the address the invitation goes to): a customer
        id is refused with :class:`~closedloop.ValidationError`. ``contact`` adds what the
        host knows (opt-outs per channel, a snooze, staff, surveys sent by other tools);
        ``case_status`` the host's word for a case that ended without a conversation
        (``"auto_closed"``, ``"merged"``, ``"spam"``). An allowed invitation goes through
        the outbox with a single-use link; see :class:`Invited`.
        """
        _optional_key("case_id", case_id)
        if customer is not None:
            identity.require_handle(self._ctx, require_key("customer", customer))
        if contact is not None and not isinstance(contact, Contact):
            raise ValidationError.of("contact", f"contact must be a Contact, got {shown(contact)}")
        if case_status is not None:
            require_text("case_status", case_status, limit=200)
        invited = invitations.invite(
            self._ctx, survey, case_id=case_id, customer=customer, channel=channel,
            contact=contact, case_status=case_status,
        )  # fmt: skip
        if log.isEnabledFor(logging.DEBUG):
            why = "goes out" if invited.reason is None else invited.reason.value
            log.debug(
                "survey invitation %s: %s", invited.invitation.id, why,
                extra=_about(self._ctx, invited.invitation) | {"allowed": invited.allowed},
            )  # fmt: skip
        return invited

    def respond(
        self,
        token: str,
        answer: int | Answer,
        *,
        comment: str | None = None,
        contact_me: bool = False,
    ) -> Invitation:
        """Record the answer posted back with an invitation's token (once per invitation).

        A low score (by the survey's threshold) or ``contact_me`` opens a recovery case
        with its own contact deadline, in the same commit — or joins the customer's open
        one, raising its priority for another low score. Raises
        :class:`~closedloop.InvalidTokenError`, :class:`~closedloop.AlreadyAnsweredError`,
        :class:`~closedloop.InvitationExpiredError` or
        :class:`~closedloop.InvitationWithdrawnError`, recording nothing.
        """
        try:
            require_key("token", token, 1000)
        except ValidationError:
            raise InvalidTokenError() from None
        done = invitations.respond(self._ctx, token, answer, comment=comment, contact_me=contact_me)
        log.debug("survey invitation %s answered", done.id, extra=_about(self._ctx, done))
        return done

    def record_answer(
        self,
        survey: Survey,
        *,
        customer: str,
        channel: Channel,
        answer: int | Answer,
        comment: str | None = None,
        contact_me: bool = False,
        case_id: str | None = None,
        external_id: str | None = None,
    ) -> Invitation:
        """Record an answer that came without an invitation (a log-off survey, an in-app
        prompt), with the same recovery as :meth:`respond`. A repeated ``external_id``
        returns the first answer's record instead of counting it twice. ``customer`` is the
        handle that answered: a customer id is refused, and so is the pseudonym of an erased
        customer."""
        _optional_key("case_id", case_id)
        if external_id is not None:
            require_key("external_id", external_id)
        identity.require_handle(self._ctx, require_key("customer", customer))
        if identity.is_erased(self._ctx, customer):
            raise ValidationError.of(
                "customer",
                f"customer {shown(customer)} is the pseudonym of an erased customer: nobody is "
                "behind it to answer (an answer from one of their old addresses is a new "
                "customer's: give that address)",
            )
        done = invitations.record_answer(
            self._ctx, survey, customer=customer, channel=channel, answer=answer,
            comment=comment, contact_me=contact_me, case_id=case_id, external_id=external_id,
        )  # fmt: skip
        log.debug("survey answer %s recorded", done.id, extra=_about(self._ctx, done))
        return done

    def get(self, invitation_id: str) -> Invitation:
        """One invitation (or recorded answer) by id; raises
        :class:`~closedloop.InvitationNotFoundError`."""
        return self._ctx.store.invitation(invitation_id)

    def of_customer(self, customer: str) -> Sequence[Invitation]:
        """A customer's survey history (by customer id, or by any of their handles): every
        invitation to any of their handles, suppressed ones with the reason, oldest first."""
        return identity.invitations_of_customer(self._ctx, customer)


def _about(ctx: Context, invitation: Invitation) -> dict[str, object]:
    return {
        "tenant": ctx.store.tenant,
        "invitation_id": invitation.id,
        "case_id": invitation.case_id,
        "channel": invitation.channel.name,
    }
