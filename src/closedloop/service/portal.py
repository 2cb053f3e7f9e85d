"""The customer's side of a case: ``desk.portal``. A signed, expiring link shows the customer
where their case stands, and lets them write or say it is not resolved."""

from __future__ import annotations

from datetime import datetime

from closedloop.domain import portal
from closedloop.domain.cases import steps as domain
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.checks import require_key
from closedloop.domain.errors import CaseNotFoundError, StatusLinkError, ValidationError
from closedloop.domain.portal import CustomerView, StatusLinks
from closedloop.domain.standards.standard import deadlines
from closedloop.service import identity, intake
from closedloop.service.context import Context
from closedloop.service.conversation import add_message
from closedloop.service.lifecycle import advance, schedule

__all__ = ["Portal"]

#: Where what customers write on their status page arrives.
STATUS_PAGE = Channel.WEB_FORM


class Portal:
    """Status links: what the customer sees of their case, and what they may do there.

    Needs ``Policy(status_links=StatusLinks(secret=...))``. A token is signed, never stored,
    and expires after ``StatusLinks.valid_for``; a new secret revokes every link, and erasing
    the customer revokes theirs. Templates may say ``$status_link`` (with ``StatusLinks.url``
    set): the acknowledgement then carries the link, and the outbox forgets its token once
    it is delivered.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def _links(self) -> StatusLinks:
        links = self._ctx.policy.status_links
        if links is None:
            raise ValidationError.of(
                "status_links",
                "status links are off; set Policy(status_links=StatusLinks(secret=...)) to issue "
                "and read them",
            )
        return links

    def link(self, case_id: str) -> str:
        """A new token for the case's status page (put it in your page's address, or use
        :meth:`url`)."""
        links = self._links()
        case = self._ctx.store.get(require_key("case_id", case_id))
        if identity.is_erased(self._ctx, case.customer):
            raise StatusLinkError("the customer was erased, so no link is issued for them")
        token, _ = portal.sign(links, self._ctx.store.tenant, case, self._ctx.clock.now())
        return token

    def url(self, case_id: str) -> str:
        """The status page's address for the case: ``StatusLinks.url`` with a new token."""
        links = self._links()
        if links.url is None:
            raise ValidationError.of(
                "url",
                "StatusLinks.url is not set; give it, e.g. 'https://help.example.com/s/{token}'",
            )
        return links.url.replace("{token}", self.link(case_id))

    def _open(self, token: str) -> tuple[Case, datetime, datetime]:
        """The case a token is for, its expiry and now; raises StatusLinkError."""
        links, ctx = self._links(), self._ctx
        case_id, _ = portal.case_of(token)
        try:
            case = ctx.store.get(case_id)
        except (CaseNotFoundError, ValidationError) as exc:
            raise StatusLinkError("it was not issued for this case, or it was revoked") from exc
        now = ctx.clock.now()
        expires_at = portal.check(links, ctx.store.tenant, case, token, now)
        if identity.is_erased(ctx, case.customer):  # a link issued to the pseudonym
            raise StatusLinkError("it was revoked: the customer was erased")
        return case, expires_at, now

    def view(self, token: str) -> CustomerView:
        """What the customer may see of the case: its stage in plain words, who is on it,
        what happens next and by when, the public messages and steps in order (never
        internal notes, escalations or staff-only fields), and the promises made. Raises
        :class:`~closedloop.StatusLinkError` for a link forged, expired or revoked."""
        case, expires_at, now = self._open(token)
        return self._view(case, expires_at, now)

    def _view(self, case: Case, expires_at: datetime, now: datetime) -> CustomerView:
        policy = self._ctx.policy
        pending = deadlines(case, policy.standards, now, policy.lifecycle)
        customer = self._ctx.store.customer_of(case.customer)
        return portal.view(
            case,
            self._links(),
            deadlines=pending,
            now=now,
            expires_at=expires_at,
            reopen_within=policy.reopen_within,
            handles=identity.handles_with(case.customer, customer),
            customer=customer,
        )

    def write(self, token: str, text: str) -> CustomerView:
        """The customer writes on their status page: as ``desk.conversation.add_message``
        (an open case is owed a reply; a closed one reopens within the window, or is
        followed up by a new case after it; a case merged into another of theirs passes it
        on). A case merged into someone else's is never written on: the message opens a new
        case of theirs. Returns the page of the case it landed on."""
        case, expires_at, now = self._open(token)
        ctx = self._ctx
        feedback = Feedback(customer=case.customer, channel=STATUS_PAGE, received_at=now, text=text)
        if case.merged_into is not None and not self._same_customer(case, case.merged_into):
            # Joined (by mistake?) to someone else's case: never show it or write on it.
            return self._view(intake.listen(ctx, feedback), expires_at, now)
        landed = add_message(ctx, case.id, feedback)
        return self._view(landed, expires_at, now)

    def _same_customer(self, case: Case, other_id: str) -> bool:
        other = self._ctx.store.get(other_id)
        return other.customer in identity.handles_of(self._ctx, case.customer)

    def not_resolved(self, token: str, reason: str) -> CustomerView:
        """The customer says the closed case is not resolved: it reopens (``Reopened``, by
        the customer) within ``Policy.reopen_within`` of closing. Later it raises
        :class:`~closedloop.StepRefusedError`, and on a case still open
        :class:`~closedloop.StepNotAllowedError`, saying so: offer :meth:`write` instead."""
        case, expires_at, now = self._open(token)
        ctx = self._ctx
        reopened = advance(
            ctx,
            case.id,
            lambda c, at: domain.reopen(
                c, at=at, by=c.customer, due_at=schedule(ctx), reason=reason,
                lifecycle=ctx.policy.lifecycle, window=ctx.policy.reopen_within,
            ),
            expected_version=case.version,
        )  # fmt: skip
        return self._view(reopened, expires_at, now)
