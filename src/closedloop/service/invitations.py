"""Use cases for surveys: invite (or record why not), take answers, recover low scores,
remind and expire; and the hooks that keep invitations in step with cases and the outbox."""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime

import attrs

from closedloop.domain.cases import conversation as talk
from closedloop.domain.cases import steps as domain
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.events import Origin, OriginKind
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.change import Change, InvitationChange, Write
from closedloop.domain.checks import derived_key, require_filled
from closedloop.domain.errors import (
    CaseNotFoundError,
    ConcurrencyError,
    DuplicateExternalIdError,
    InvalidTokenError,
    InvitationNotFoundError,
    UnreadableRecordError,
    ValidationError,
)
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.surveys import invitation as inv
from closedloop.domain.surveys.eligibility import Contact, Reason, eligibility
from closedloop.domain.surveys.invitation import Invitation, Response
from closedloop.domain.surveys.survey import Answer, Survey
from closedloop.service import identity
from closedloop.service.context import Context, not_before
from closedloop.service.lifecycle import schedule, survey_message, written_contact

__all__ = [
    "Invited",
    "delivered",
    "invite",
    "record_answer",
    "respond",
    "sweep_invitations",
    "withdraw_unresolved",
    "withheld",
]

_BY = "closedloop"


@attrs.frozen
class Invited:
    """What :func:`invite` decided: the recorded invitation and, if it goes out, the token."""

    invitation: Invitation
    """The invitation as recorded."""
    token: str | None
    """``"<invitation id>.<secret>"``, shown once and never stored: put it in the link your
    survey page reads (``Policy(survey_url=...)`` does that for the email). None when the
    invitation was suppressed."""

    @property
    def allowed(self) -> bool:
        """True if the invitation goes out."""
        return self.token is not None

    @property
    def reason(self) -> Reason | None:
        """Why it was suppressed (None if it goes out)."""
        return self.invitation.reason


def invite(
    ctx: Context,
    survey: Survey,
    *,
    case_id: str | None = None,
    customer: str | None = None,
    channel: Channel | None = None,
    contact: Contact | None = None,
    case_status: str | None = None,
) -> Invited:
    """Decide whether the customer may be asked ``survey`` now, and record the decision:
    a queued invitation with its notification, or a suppressed one with the reason."""
    inv.require_survey(survey)
    case = ctx.store.get(case_id) if case_id is not None else None
    if case is not None:
        customer = customer or case.customer
        channel = channel or case.reply_channel
    if not isinstance(customer, str) or not customer.strip():
        raise ValidationError.of(
            "customer", "invite() needs the customer (or the case_id of their case)"
        )
    if not isinstance(channel, Channel):
        raise ValidationError.of("channel", "invite() needs the channel to send on (or a case_id)")
    ctx.policy.check_channel(channel)
    now = ctx.clock.now()
    rules = ctx.policy.surveys
    known = identity.survey_history(ctx, customer, contact)
    decision = eligibility(
        customer=customer, survey=survey, channel=channel, now=now, contact=known, rules=rules,
        case=case, case_status=case_status,
        their_cases=identity.cases_of_customer(ctx, customer) if case is None else (),
    )  # fmt: skip
    invitation_id = ctx.new_id()
    reason = Reason.ERASED if identity.is_erased(ctx, customer) else decision.reason
    written = written_contact(ctx, customer, channel) if reason is None else None
    if reason is None and written is None:
        reason = Reason.NOT_WRITTEN
    elif written is not None:  # a phone caller's invitation goes to the address linked to them
        customer, channel = written
    if reason is not None:
        quiet = inv.suppressed(
            invitation_id, survey, customer=customer, channel=channel, at=now,
            reason=reason, case_id=case_id,
        )  # fmt: skip
        ctx.commit(InvitationChange(quiet, 0))
        return Invited(quiet, None)
    secret = _secret()
    token = f"{invitation_id}.{secret}"
    queued = inv.queued(
        invitation_id, survey, customer=customer, channel=channel, at=now, secret=secret,
        rules=rules, case_id=case_id,
    )  # fmt: skip
    note = survey_message(ctx, queued, "survey_invitation", token, case, now)
    ctx.commit(InvitationChange(queued, 0, (note,)))
    rival = identity.asked_meanwhile(ctx, queued, rules)
    if rival is not None:  # another worker asked them at the same time: ours steps back
        why = f"invitation {rival.id} asked the customer at the same time"
        stepped = inv.withdraw(queued, now, why)
        ctx.commit(InvitationChange(stepped, queued.version))  # its message is withheld
        return Invited(stepped, None)
    return Invited(queued, token)


def respond(
    ctx: Context,
    token: str,
    answer: int | Answer,
    *,
    comment: str | None = None,
    contact_me: bool = False,
) -> Invitation:
    """Record the answer to an invitation, once; a low score or "contact me" opens (or
    joins) a recovery case in the same commit. Safe under concurrency: the invitation
    answered meanwhile raises :class:`~closedloop.AlreadyAnsweredError`, and a recovery
    case another writer changed meanwhile is read again."""
    invitation_id, secret = inv.split_token(token)
    now = ctx.clock.now()
    for attempt in range(_ATTEMPTS):
        try:
            invitation = ctx.store.invitation(invitation_id)
        except InvitationNotFoundError:
            raise InvalidTokenError() from None
        response = Response(
            _answer(invitation.survey, answer), now, comment=comment, contact_me=contact_me
        )
        answered = inv.answer(invitation, secret, response)  # answered meanwhile: raises
        try:
            return _commit_answer(ctx, answered, expected_version=invitation.version)
        except (ConcurrencyError, DuplicateExternalIdError):
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


#: How often an answer is tried: the last of n answers joining one case at once may need n.
_ATTEMPTS = 10


def record_answer(
    ctx: Context,
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
    prompt); ``external_id`` makes a redelivered answer harmless. A recovery case another
    writer changed meanwhile is read again."""
    require_filled("customer", customer)
    if not isinstance(channel, Channel):
        raise ValidationError.of("channel", f"channel must be a Channel, got {channel!r}")
    ctx.policy.check_channel(channel)
    inv.require_survey(survey)
    response = Response(
        _answer(survey, answer), ctx.clock.now(), comment=comment, contact_me=contact_me
    )
    invitation_id = ctx.new_id() if external_id is None else derived_key("answer:", external_id)
    answered = inv.direct(
        invitation_id, survey, customer=customer, channel=channel, response=response,
        case_id=case_id,
    )  # fmt: skip
    for attempt in range(_ATTEMPTS):
        try:
            return _commit_answer(ctx, answered, expected_version=0)
        except (ConcurrencyError, DuplicateExternalIdError) as error:
            redelivered = isinstance(error, ConcurrencyError) and error.case_id == invitation_id
            if external_id is not None and redelivered:
                return ctx.store.invitation(invitation_id)  # the first answer stands
            # Another writer changed (or opened) the customer's recovery case: read again.
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _secret() -> str:
    return secrets.token_urlsafe(24)


def _answer(survey: Survey, answer: int | Answer) -> Answer:
    """The answer, its score checked against ``survey``'s scale (the error names both)."""
    if isinstance(answer, Answer):
        if answer.score is not None:
            survey.check(answer.score, field="answer")
        return answer
    return Answer(survey.check(answer, field="answer"))


def _commit_answer(ctx: Context, answered: Invitation, *, expected_version: int) -> Invitation:
    writes: list[Write] = []
    if answered.needs_recovery:
        change = _recovery(ctx, answered)
        answered = inv.recovered(answered, change.case.id)
        writes.append(change)
    writes.insert(0, InvitationChange(answered, expected_version))
    ctx.commit_many(writes)
    return answered


def _recovery(ctx: Context, answered: Invitation) -> Change:
    """The recovery case for a low score or "contact me": the customer's open one, joined
    (its priority raised for a second low score), or a new one; in the language of the case
    the answer is about."""
    response = answered.response
    assert response is not None
    now = response.received_at
    about = _case(ctx, answered.case_id)
    feedback = Feedback(
        customer=answered.customer,
        channel=Channel.SURVEY,
        received_at=now,
        text=_recovery_text(answered),
        kind=FeedbackKind.COMPLAINT,
        subject=f"{answered.survey.name}: {_score_text(answered)}",
        external_id=derived_key("survey-answer:", answered.id),
        locale=about.locale if about is not None else None,
    )
    recoveries = [
        c
        for c in identity.cases_of_customer(ctx, answered.customer)  # every handle of theirs
        if c.origin is not None and c.origin.kind is OriginKind.RECOVERY
    ]
    open_recovery = [c for c in recoveries if c.is_active]
    if open_recovery:
        case = open_recovery[0]
        now = not_before(now, case)  # the case's history never goes back in time
        joined = talk.add_message(case, feedback, at=now, due_at=schedule(ctx))
        if answered.is_low:
            joined = talk.reprioritize(
                joined, case.priority.raised(), at=now, by=_BY,
                reason=f"another low score ({_score_text(answered)}) while this case was open",
            )  # fmt: skip
        return Change(joined, expected_version=case.version)
    # The customer's next recovery case claims a key of its own (identity.free_key): of two
    # answers that found none open, the second to commit is refused, reads again and joins.
    handles, n = identity.handles_of(ctx, answered.customer), len(recoveries)
    key_of = lambda k: derived_key("recovery:", f"{n + k}:{min(handles)}")  # noqa: E731
    slot = identity.free_key(ctx, key_of, handles, recoveries)
    origin = Origin(OriginKind.RECOVERY, case_id=answered.case_id, invitation_id=answered.id)
    case = domain.open_case(
        ctx.new_id(),
        attrs.evolve(feedback, external_id=slot),
        at=now,
        priority=ctx.policy.priority(feedback),
        due_at=schedule(ctx),
        origin=origin,
    )
    return Change(case, expected_version=0)


def _score_text(answered: Invitation) -> str:
    response = answered.response
    assert response is not None
    score = response.score
    if score is None:
        return "no score, asked to be contacted"
    high = answered.survey.kind.scale[1]
    text = f"scored {score}/{high}"
    return f"{text}, asked to be contacted" if response.contact_me else text


def _recovery_text(answered: Invitation) -> str:
    response = answered.response
    assert response is not None
    about = f" about case {answered.case_id}" if answered.case_id else ""
    said = f': "{response.comment}"' if response.comment else ""
    return f"{answered.survey.question} — {_score_text(answered)}{about}{said}"


def sweep_invitations(ctx: Context, batch: int = 500) -> tuple[list[str], list[str]]:
    """Send due reminders and expire invitations whose time ran out, at the clock's time.
    Returns the ids reminded and the ids expired (another worker's wins are skipped)."""
    now = ctx.clock.now()
    rules = ctx.policy.surveys
    reminded: list[str] = []
    expired: list[str] = []
    seen: set[str] = set()
    while True:
        fresh = [i for i in ctx.store.invitations_due(now, batch) if i.id not in seen]
        if not fresh:
            return reminded, expired
        for invitation in fresh:
            seen.add(invitation.id)
            notes: tuple[Notification, ...] = ()
            if inv.expired(invitation, now) or invitation.reminders_left < 1:
                moved = inv.expire(invitation, now)
            else:
                secret = _secret()
                moved = inv.remind(invitation, now, rules, secret)
                case = _case(ctx, moved.case_id)
                token = f"{moved.id}.{secret}"
                notes = (survey_message(ctx, moved, "survey_reminder", token, case, now),)
            if moved.version == invitation.version:
                continue
            try:
                ctx.commit(InvitationChange(moved, invitation.version, notes))
            except ConcurrencyError:
                continue
            (reminded if notes else expired).append(moved.id)


def _case(ctx: Context, case_id: str | None) -> Case | None:
    """The case an invitation is about, if it can be read (a reminder goes out without)."""
    if not case_id:
        return None
    try:
        return ctx.store.get(case_id)
    except (CaseNotFoundError, UnreadableRecordError):  # record_answer's case_id is the host's
        return None


def delivered(ctx: Context, notification: Notification) -> None:
    """After the notifier delivered an invitation, mark it sent (once). An outbox hook."""
    if notification.invitation_id is None or notification.purpose != "survey_invitation":
        return
    invitation = ctx.store.invitation(notification.invitation_id)
    sent = inv.delivered(invitation, ctx.clock.now())
    if sent.version != invitation.version:
        # Answered or withdrawn meanwhile: that state is the newer truth.
        with contextlib.suppress(ConcurrencyError):
            ctx.commit(InvitationChange(sent, invitation.version))


def withheld(ctx: Context, notification: Notification) -> str | None:
    """Why an invitation or reminder must not go out (its invitation can no longer be
    answered), or None. An outbox hook."""
    if notification.invitation_id is None:
        return None
    try:
        invitation = ctx.store.invitation(notification.invitation_id)
    except InvitationNotFoundError:
        return None
    if invitation.is_open:
        return None
    return f"the survey invitation was {invitation.status.value} before it went out"


def withdraw_unresolved(
    ctx: Context, before: Case, after: Case, now: datetime
) -> list[InvitationChange]:
    """A case that reopens, or is merged into another, withdraws its open survey invitations
    in the same commit (a step hook): nobody is asked "how did we do?" about an open matter."""
    if before.is_closed and not after.is_closed:
        why = "the case reopened"
    elif before.merged_into is None and after.merged_into is not None:
        why = "the case was merged into another"
    else:
        return []
    return [
        InvitationChange(inv.withdraw(i, now, why), i.version)
        for i in ctx.store.invitations_of(before.customer)
        if i.case_id == before.id and i.is_open
    ]
