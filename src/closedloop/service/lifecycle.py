"""The machinery every step shares: load, ask the domain, commit with notifications."""

from __future__ import annotations

import functools
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from datetime import datetime, tzinfo
from typing import TypeVar

from closedloop.domain import portal
from closedloop.domain.cases import steps as domain
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.contact import Replied
from closedloop.domain.cases.events import Origin
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.cases.lateness import PromiseLate
from closedloop.domain.change import Change
from closedloop.domain.checks import instant, require_key, require_new_key
from closedloop.domain.errors import ConcurrencyError, ValidationError
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.standards.escalation import next_due
from closedloop.domain.standards.standard import Target, due_times
from closedloop.domain.surveys.invitation import Invitation
from closedloop.service.context import Context
from closedloop.service.templates import PLACEHOLDERS, DateWords

#: Times as English readers read them: 'Tuesday 24 November 2026, 15:00 UTC'.
ENGLISH = DateWords()

__all__ = [
    "advance",
    "check_feedback",
    "open_new",
    "promise",
    "render",
    "schedule",
    "show",
    "values_for",
]

Advance = Callable[[Case, datetime], Case]


_T = TypeVar("_T")


def retried(work: Callable[[], _T], tries: int) -> _T:
    """``work()``, run again while another writer changed what it read meanwhile (a
    ``ConcurrencyError``), ``tries`` times in all; the last try's error is raised."""
    for _ in range(tries - 1):
        try:
            return work()
        except ConcurrencyError:
            continue
    return work()


def check_feedback(ctx: Context, feedback: object) -> None:
    """Refuse anything but Feedback on a channel the policy knows."""
    if not isinstance(feedback, Feedback):
        raise ValidationError.of(
            "feedback", f"feedback: listen() takes a Feedback, got {type(feedback).__name__}"
        )
    ctx.policy.check_channel(feedback.channel, "feedback")
    for field in ("customer", "external_id", "matter_key"):
        value = getattr(feedback, field)
        if value is not None:
            require_new_key(field, value)


def open_new(
    ctx: Context,
    feedback: Feedback,
    now: datetime,
    origin: Origin | None = None,
    claim: str | None = None,
) -> Case:
    """A new case for ``feedback``, scheduled by the policy, in the team its assignment
    routes it to (not yet committed), holding ``claim`` if given."""
    return domain.open_case(
        ctx.new_id(),
        feedback,
        at=now,
        priority=ctx.policy.priority(feedback),
        due_at=schedule(ctx),
        origin=origin,
        team=ctx.policy.assignment.team_of(feedback),
        claim=claim,
    )


def schedule(ctx: Context) -> Callable[[Case], datetime | None]:
    """When the sweep must next look at a case, by the policy's standards and ladder."""
    policy = ctx.policy
    return lambda case: next_due(
        case,
        policy.standards,
        policy.ladder,
        warn_at_amber=policy.warn_at_amber,
        lifecycle=policy.lifecycle,
        lateness=policy.lateness,
    )


def promise(ctx: Context, case: Case, now: datetime) -> datetime | None:
    """What an acknowledgement at ``now`` promises: the deadline of the next step after it
    still ahead (None, "soon", when an acknowledgement comes after them all: a date that
    has passed is never promised)."""
    return min(
        (
            d.due_at
            for d in due_times(case, ctx.policy.standards, lifecycle=ctx.policy.lifecycle)
            if d.target is not Target.ACKNOWLEDGE
            and d.due_at is not None
            and instant(d.due_at) > instant(now)
        ),
        key=instant,
        default=None,
    )


def advance(
    ctx: Context,
    case_id: str,
    move: Advance,
    purpose: str | Callable[[Case], str | None] | None = None,
    expected_version: int | None = None,
    read: Case | None = None,
) -> Case:
    """Apply ``move`` to the stored case and commit it, with a customer notification
    rendered from the ``purpose`` templates if one is named. ``read``: the case as the
    caller just read it, to move from that version instead of reading it again."""
    if expected_version is not None and (
        isinstance(expected_version, bool) or not isinstance(expected_version, int)
    ):
        raise ValidationError.of(
            "expected_version",
            f"expected_version must be the int version you read, got {expected_version!r}",
        )
    case = ctx.store.get(require_key("case_id", case_id)) if read is None else read
    if expected_version is not None and case.version != expected_version:
        raise ConcurrencyError(case_id, expected_version, case.version)
    now = ctx.now_for(case)  # a clock stepped back never writes history out of order
    moved = move(case, now)
    if moved is case:
        return case  # nothing to record (a move to the channel it is on already)
    if callable(purpose):
        purpose = purpose(moved)
    note = None if purpose is None else _notification(ctx, moved, purpose, now)
    notifications = () if note is None else (note,)
    change = Change(moved, expected_version=case.version, notifications=notifications)
    more = [write for hook in ctx.hooks.on_step for write in hook(ctx, case, moved, now)]
    if more:
        ctx.commit_many([change, *more])
    else:
        ctx.commit(change)
    return moved


def _notification(ctx: Context, case: Case, purpose: str, now: datetime) -> Notification | None:
    body = purpose
    if purpose == "thanks" and case.kind is FeedbackKind.COMPLIMENT:
        body = "thanks_compliment"
    return to_customer(ctx, case, purpose, now, body=body)


def written_contact(ctx: Context, handle: str, channel: Channel) -> tuple[str, Channel] | None:
    """Where a written message to the customer behind ``handle`` goes: ``channel`` when it
    carries writing; else the first handle linked to the same customer that has a written
    channel (``Policy.written_channel``); else None (a phone caller with no address)."""
    if channel.written:
        return handle, channel
    customer = ctx.store.customer_of(handle)
    for linked in sorted(customer.handles) if customer is not None else (handle,):
        written = ctx.policy.written_channel_for(linked)
        if written is not None:
            return linked, written
    return None


def to_customer(
    ctx: Context, case: Case, purpose: str, now: datetime, body: str | None = None
) -> Notification | None:
    """The customer message ``purpose`` about ``case``, written where they can read it (see
    :func:`written_contact`), or None when they have nowhere to read it."""
    contact = written_contact(ctx, case.customer, case.reply_channel)
    if contact is None:
        return None
    handle, channel = contact
    return render(ctx, case, purpose, now, to=handle, channel=channel, body=body, customer=True)


def message_key(case_id: str, version: int, purpose: str) -> str:
    """The key of the customer message ``purpose`` that the case's change to ``version``
    made (a message to staff adds ``/`` and whom it is for)."""
    return f"{case_id}/{version}/{purpose}"


def render(
    ctx: Context,
    case: Case,
    purpose: str,
    now: datetime,
    *,
    to: str,
    channel: Channel,
    body: str | None = None,
    deliver_after: datetime | None = None,
    customer: bool = False,
    **extra: str,
) -> Notification:
    """The notification ``purpose`` about ``case`` for ``to``, from the policy's templates
    for its channel. ``customer``: ``to`` is a handle of the case's customer (the key then
    names no recipient, as for ``case.customer``)."""
    customer = customer or to == case.customer
    templates = ctx.policy.templates_for(channel, case.locale if customer else None)
    subject, body = f"{purpose}_subject", body or purpose
    wanted = templates.placeholders(subject) | templates.placeholders(body)
    values = values_for(ctx, case, templates.dates, wanted) | extra
    suffix = "" if customer else f"/{to}"
    token = None
    links = ctx.policy.status_links
    if links is not None and links.url is not None and customer and "status_link" in wanted:
        # Like a survey token, the link's token is forgotten once delivered.
        token, _ = portal.sign(links, ctx.store.tenant, case, now)
        values["status_link"] = links.url.replace("{token}", token)
    return Notification(
        key=message_key(case.id, case.version, purpose) + suffix,
        case_id=case.id,
        to=to,
        channel=channel,
        purpose=purpose,
        subject=templates.render(subject, values),
        body=templates.render(body, values),
        created_at=now,
        deliver_after=deliver_after,
        token=token,
    )


def survey_message(
    ctx: Context,
    invitation: Invitation,
    purpose: str,
    token: str,
    case: Case | None,
    now: datetime,
) -> Notification:
    """A survey invitation or reminder (``purpose``) carrying ``token`` in its link."""
    templates = ctx.policy.templates_for(invitation.channel, case.locale if case else None)
    values = dict.fromkeys(PLACEHOLDERS, "") | {
        "case_id": invitation.case_id or "",
        "customer": invitation.customer,
        "matter": case.subject if case is not None else invitation.survey.question,
        "question": invitation.survey.question,
        "survey": invitation.survey.name,
        "survey_link": ctx.policy.survey_link(token),
        "expires": show(ctx, invitation.expires_at, words=templates.dates),
    }
    return Notification(
        key=f"{invitation.id}/{invitation.version}/{purpose}",
        case_id=invitation.case_id or "",
        to=invitation.customer,
        channel=invitation.channel,
        purpose=purpose,
        subject=templates.render(f"{purpose}_subject", values),
        body=templates.render(purpose, values),
        created_at=now,
        invitation_id=invitation.id,
        token=token,
    )


def show(
    ctx: Context, instant: datetime | None, missing: str | None = None, words: DateWords = ENGLISH
) -> str:
    """A time as customers and staff read it, in the policy's zone and ``words``' language
    (``missing``, by default ``words.soon``, when there is none)."""
    if instant is None:
        return words.soon if missing is None else missing
    zone, given = ctx.policy.timezone, instant.tzinfo
    return _shown(
        instant.replace(tzinfo=None), instant.fold, id(given), given, id(zone), zone, words
    )


def values_for(
    ctx: Context, case: Case, words: DateWords = ENGLISH, wanted: AbstractSet[str] | None = None
) -> dict[str, str]:
    """What every template may say about a case (times in ``words``' language); given the
    placeholders ``wanted``, the next contact time (read from the case's history) only if
    one of them says it."""
    explanation, pause, last = case.explanation, case.pause, case.events[-1]
    late = last if isinstance(last, PromiseLate) else None
    said = wanted is None or not wanted.isdisjoint(("next_contact", "next_contact_when"))
    next_contact = case.next_contact_by if said else None
    return {
        "case_id": case.id,
        "customer": case.customer,
        "matter": case.subject,
        "owner": case.owner or "our team",
        "next_contact": show(ctx, next_contact, words=words),
        "next_contact_when": (
            words.soon
            if next_contact is None
            else f"{words.by} {show(ctx, next_contact, words=words)}"
        ),
        "action": case.action or "",
        "reason": case.declined or "",
        "what_failed": explanation.what_failed if explanation else "",
        "what_changes": explanation.what_changes if explanation else "",
        "rung": "",
        "standard": "",
        "due": show(ctx, case.due_at, words.no_deadline, words),
        "question": pause.reason if pause is not None and case.awaiting_customer else "",
        "text": last.text if isinstance(last, Replied) else "",
        "closes": (
            show(ctx, pause.resume_by, words=words) if pause is not None and pause.notice_at else ""
        ),
        "survey": "",
        "survey_link": "",
        "expires": "",
        "status_link": "",
        "promised": late.what if late is not None else "",
        "was_due": show(ctx, late.was_due, words=words) if late is not None else "",
        "new_due": show(ctx, late.new_due, words=words) if late is not None else "",
    }


@functools.lru_cache(maxsize=4096)
def _shown(
    wall: datetime,
    fold: int,
    _given_id: int,
    given: tzinfo | None,
    _zone_id: int,
    zone: tzinfo,
    words: DateWords,
) -> str:
    # The same deadline appears in many notices. Keyed by exactly what was given: equal
    # datetimes may still read differently (two zones, a fold, a gap); zones by identity,
    # as equal fixed offsets may bear different names.
    return words.show(wall.replace(tzinfo=given, fold=fold).astimezone(zone))
