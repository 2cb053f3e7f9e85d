"""Email that arrives: ``desk.inbox``. A reply joins the case it answers, new mail opens a
case, an automatic reply changes nothing, and a bounce marks the message that bounced."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.feedback import FeedbackKind
from closedloop.domain.change import InvitationChange
from closedloop.domain.customers.erasure import ERASED
from closedloop.domain.errors import CaseNotFoundError, MessageNotFoundError, ValidationError
from closedloop.domain.inbound import Bounce, InboundEmail, Receipt, Received
from closedloop.domain.outbox.notification import message_digest
from closedloop.domain.surveys import invitation as inv
from closedloop.service import identity, intake
from closedloop.service.context import Context
from closedloop.service.conversation import add_message
from closedloop.service.logs import inbox as log

__all__ = ["Inbox"]

# What a customer is sent about their case, and so may answer (the key of each is
# "case/version/purpose"; messages to staff carry the recipient after it).
_TO_CUSTOMERS = (
    "acknowledgement",
    "answer",
    "reply",
    "question",
    "thanks",
    "explanation",
    "closing_notice",
    "verification",
)


class Inbox:
    """Inbound email (read by :func:`closedloop.read_email`), put where it belongs."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def receive(
        self, email: InboundEmail, *, kind: FeedbackKind = FeedbackKind.COMPLAINT
    ) -> Receipt:
        """Act on one inbound email and say what was done.

        - A **bounce** marks the message that bounced: a permanent failure makes it a dead
          letter (``desk.outbox.dead_letters``), a temporary one sends it again later under
          the retry policy; a delay report changes nothing.
        - An **automatic reply** (out of office, a mailing list) records nothing: it is not
          the customer's reply, so no clock stops and no case reopens.
        - A **reply** to a message closedloop sent (matched by ``In-Reply-To``/``References``
          against the ``Message-ID`` s it gave, or by ``[case ID]`` in the subject) joins
          that case, as ``desk.conversation.add_message`` does. It is matched only among
          the sender's own cases (any handle linked to them), so a forged reference cannot
          put mail on someone else's case.
        - Anything else opens a case of ``kind``, received now; the ``Message-ID`` is its
          ``external_id``, so the same email received twice makes one case.
        """
        if not isinstance(email, InboundEmail):
            raise ValidationError.of(
                "email", f"email must be an InboundEmail (closedloop.read_email), got {email!r:.80}"
            )
        receipt = self._receive(email, kind)
        _logged(self._ctx, receipt, email.bounce)
        return receipt

    def _receive(self, email: InboundEmail, kind: FeedbackKind) -> Receipt:
        ctx = self._ctx
        if email.bounce is not None:
            return self._bounced(email.bounce)
        case = self._answered(email)
        if email.auto_reply is not None:
            return Receipt(Received.AUTO_REPLY, case)
        feedback = email.feedback(received_at=ctx.clock.now(), kind=kind, limits=ctx.policy.limits)
        if case is not None:
            return Receipt(Received.REPLY, add_message(ctx, case.id, feedback))
        return Receipt(Received.NEW_CASE, intake.listen(ctx, feedback))

    def _answered(self, email: InboundEmail) -> Case | None:
        ctx = self._ctx
        digests = {ref.strip("<>").partition("@")[0] for ref in email.references}
        if digests:
            for _key, case_id in _sent(ctx, email.sender, digests):
                found = _case(ctx, case_id)
                if found is not None:
                    return found
        if email.case_reference is not None:
            named = _case(ctx, email.case_reference)
            mine = {c.id for c in identity.cases_of_customer(ctx, email.sender)}
            if named is not None and named.id in mine:
                return named
        return None

    def _bounced(self, bounce: Bounce) -> Receipt:
        ctx = self._ctx
        key = self._bounced_key(bounce)
        if key is None:
            return Receipt(Received.UNMATCHED_BOUNCE)
        message = ctx.store.outbox_message(key)
        if bounce.action == "failed":
            now = ctx.clock.now()
            retry_at = (
                None
                if bounce.permanent
                else ctx.policy.retry.next_attempt(message.attempts + 1, now, ctx.random())
            )
            # A server's diagnostic names the address; an erased customer's is gone for good.
            erased = identity.is_erased(ctx, message.notification.to)
            ctx.store.mark_bounced(key, now, ERASED if erased else bounce.describe(), retry_at)
            invitation_id = message.notification.invitation_id
            if bounce.permanent and invitation_id is not None:
                # Nobody can answer an invitation that never arrived: no reminders either.
                invitation = ctx.store.invitation(invitation_id)
                withdrawn = inv.withdraw(invitation, now, "its invitation bounced")
                if withdrawn is not invitation:
                    ctx.commit(InvitationChange(withdrawn, invitation.version))
        return Receipt(Received.BOUNCE, _case(ctx, message.notification.case_id), key)

    def _bounced_key(self, bounce: Bounce) -> str | None:
        ctx = self._ctx
        if bounce.original_key is not None:
            try:
                ctx.store.outbox_message(bounce.original_key)
            except (MessageNotFoundError, ValidationError):
                pass
            else:
                return bounce.original_key
        if bounce.original_message_id is None or bounce.recipient is None:
            return None
        digest = bounce.original_message_id.strip("<>").partition("@")[0]
        return next((key for key, _ in _sent(ctx, bounce.recipient, {digest})), None)


def _case(ctx: Context, case_id: str | None) -> Case | None:
    if not case_id:
        return None
    try:
        return ctx.store.get(case_id)
    except (CaseNotFoundError, ValidationError):
        return None


def _sent(ctx: Context, handle: str, digests: set[str]) -> Iterable[tuple[str, str | None]]:
    """(key, case id) of each message sent to the customer behind ``handle`` whose
    ``Message-ID`` digest is wanted: about their cases, newest first, then their survey
    invitations. Keys are recomputed, not looked up: a customer has few of either."""
    try:
        cases = identity.cases_of_customer(ctx, handle)
        invitations = identity.invitations_of_customer(ctx, handle)
    except ValidationError:
        return
    for case in reversed(cases):
        for version in range(case.version, 0, -1):
            for purpose in _TO_CUSTOMERS:
                key = f"{case.id}/{version}/{purpose}"
                if message_digest(key) in digests:
                    yield key, case.id
    for invitation in reversed(invitations):
        for version in range(invitation.version, 0, -1):
            for purpose in ("survey_invitation", "survey_reminder"):
                key = f"{invitation.id}/{version}/{purpose}"
                if message_digest(key) in digests:
                    yield key, invitation.case_id


def _logged(ctx: Context, receipt: Receipt, bounce: Bounce | None) -> None:
    """One record per email received: ids and the outcome, never its text or addresses."""
    # An alert's key ends with the staff address it went to: keep case/version/purpose.
    key = "/".join(receipt.key.split("/")[:3]) if receipt.key is not None else None
    extra = {
        "tenant": ctx.store.tenant,
        "case_id": receipt.case.id if receipt.case is not None else None,
        "notification_key": key,
        "outcome": receipt.outcome.value,
    }
    if receipt.outcome is Received.BOUNCE and bounce is not None:
        dead = bounce.action == "failed" and bounce.permanent
        log.log(
            logging.WARNING if dead else logging.INFO,
            "email bounce (%s, %s) for notification %s%s",
            bounce.action,
            bounce.status or "no status",
            key,
            ", now a dead letter" if dead else "",
            extra=extra,
        )
    elif receipt.outcome is Received.UNMATCHED_BOUNCE:
        log.info("email bounce of no message this store sent", extra=extra)
    elif log.isEnabledFor(logging.DEBUG):
        log.debug("email received: %s", receipt.outcome.value, extra=extra)
