"""What a customer sees of their case through a status link, and the link itself.

A link's token names the case and when it expires, signed with HMAC-SHA256 under the host's
secret together with the tenant and the case's customer. Nothing about it is stored: a new
secret revokes every link, and erasing the customer (whose handle becomes a pseudonym)
revokes theirs.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from closedloop.domain.cases import contact
from closedloop.domain.cases import events as ev
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.declines import Decline
from closedloop.domain.checks import instant, is_a, positive_duration
from closedloop.domain.customers.identity import Customer, held_at
from closedloop.domain.errors import StatusLinkError, ValidationError
from closedloop.domain.latte import Stage
from closedloop.domain.standards.standard import Deadline
from closedloop.domain.standards.targets import Target

__all__ = ["CustomerView", "ShowOwner", "StatusEntry", "StatusLinks", "StatusPromise"]


class ShowOwner(enum.Enum):
    """How the status page names who is on the case."""

    FIRST_NAME = "first_name"
    """The owner's first name ("Amy" for "Amy Lee" or "amy.lee@acme.example")."""
    TEAM = "team"
    """The team, as ``StatusLinks.team`` names it ("our customer care team")."""
    OUR_TEAM = "our_team"
    """Just "our team"."""


def _secret(instance: Any, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or len(value) < 16:
        raise ValidationError.of(
            "secret",
            "the status link secret must be a string of at least 16 characters; generate one "
            "with secrets.token_urlsafe(32) and keep it with your other secrets",
        )


def _url(instance: Any, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and (not isinstance(value, str) or "{token}" not in value):
        raise ValidationError.of(
            "url", f"url must contain {{token}}, e.g. 'https://help.example.com/status/{{token}}'; "
            f"got {value!r:.80}",
        )  # fmt: skip


def _team(instance: Any, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise ValidationError.of("team", f"team must be a team's name, got {value!r:.80}")


@attrs.frozen
class StatusLinks:
    """Policy for the customer's status links (``Policy(status_links=...)``)."""

    secret: str = attrs.field(repr=False, validator=_secret)
    """The HMAC key links are signed with: change it to revoke every link issued."""
    valid_for: timedelta = attrs.field(default=timedelta(days=60), validator=positive_duration)
    """How long a link works after it is issued."""
    show_owner: ShowOwner = attrs.field(default=ShowOwner.FIRST_NAME, validator=is_a(ShowOwner))
    """How the page names who is on the case."""
    team: str = attrs.field(default="customer care", validator=_team)
    """The team's name, for ``ShowOwner.TEAM``."""
    url: str | None = attrs.field(default=None, validator=_url)
    """The page's address with ``{token}`` in it; templates then may say ``$status_link``."""
    show_actions: bool = attrs.field(default=False, validator=is_a(bool))
    """Whether the page shows the summary staff wrote of the action taken (off: it may be
    written for colleagues; the page says "We took action" instead)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signature(links: StatusLinks, tenant: str, case: Case, expires: int) -> str:
    signed = "\n".join((tenant, case.id, str(expires), case.customer)).encode("utf-8")
    return _b64(hmac.new(links.secret.encode("utf-8"), signed, hashlib.sha256).digest())


def sign(links: StatusLinks, tenant: str, case: Case, now: datetime) -> tuple[str, datetime]:
    """A token for ``case``'s status page, and when it expires."""
    expires = int((now + links.valid_for).timestamp())
    token = f"{_b64(case.id.encode('utf-8'))}.{expires}.{_signature(links, tenant, case, expires)}"
    return token, datetime.fromtimestamp(expires, UTC)


def case_of(token: object) -> tuple[str, int]:
    """The case id and expiry a token claims (not yet checked): raises StatusLinkError."""
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 2000:
        raise StatusLinkError("it is not a status link token (mistyped or cut short?)")
    named, expires, _ = token.split(".")
    try:
        case_id = base64.urlsafe_b64decode(named + "=" * (-len(named) % 4)).decode("utf-8")
        return case_id, int(expires)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise StatusLinkError("it is not a status link token (mistyped or cut short?)") from exc


def check(links: StatusLinks, tenant: str, case: Case, token: str, now: datetime) -> datetime:
    """When the token for ``case`` expires, if it is valid now; raises StatusLinkError."""
    _, expires = case_of(token)
    given = token.rsplit(".", 1)[1]
    if not hmac.compare_digest(given, _signature(links, tenant, case, expires)):
        raise StatusLinkError("it was not issued for this case, or it was revoked")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise StatusLinkError(f"it expired at {expires_at.isoformat()}")
    return expires_at


@attrs.frozen
class StatusEntry:
    """One line of the case's story as the customer sees it."""

    at: datetime
    """When it happened."""
    by_customer: bool
    """True for what the customer wrote, False for what we did or wrote."""
    what: str
    """What happened, in plain words ("You wrote", "We replied", "We acknowledged your message")."""
    text: str = ""
    """What was written, when there was something to show; empty otherwise."""


@attrs.frozen
class StatusPromise:
    """A promise made to the customer and whether it was kept."""

    what: str
    """What was promised."""
    due_by: datetime
    """By when: the time promised, or the new time we gave when we told you it is late."""
    kept_at: datetime | None
    """When it was kept; None while open."""
    late: bool
    """True when it was kept after the time first promised, or that time has passed."""


@attrs.frozen
class CustomerView:
    """Everything the status page shows: never internal notes, escalations or staff fields."""

    reference: str
    """The case id, for the customer to quote."""
    matter: str
    """What the case is about."""
    stage: str
    """Where it is, in plain words."""
    who: str
    """Who is on it, as ``StatusLinks.show_owner`` says."""
    next_step: str | None
    """What happens next, in plain words; None once the case is closed."""
    next_by: datetime | None
    """By when; None when we wait for the customer or nothing is due."""
    entries: tuple[StatusEntry, ...]
    """The story so far, oldest first."""
    promises: tuple[StatusPromise, ...]
    """Promises made, kept or not."""
    open: bool
    """True while the case is open (the customer may write)."""
    reopen_until: datetime | None
    """For a closed case, until when "not resolved" reopens it; None otherwise."""
    expires_at: datetime
    """When the link stops working."""


_NEXT = {
    Target.ACKNOWLEDGE: "We will confirm we have your message",
    Target.REPLY: "We will answer your latest message",
    Target.TAKE_ACTION: "We will act on what you told us",
    Target.CLOSE_LOOP: "We will tell you what we did and what will change",
    Target.CONTACT: "We will call you",
}


def _who(case: Case, links: StatusLinks) -> str:
    if links.show_owner is ShowOwner.TEAM:
        return f"our {links.team} team"
    if links.show_owner is ShowOwner.OUR_TEAM or not case.owner:
        return "our team"
    name = case.owner.split("@", 1)[0].replace(".", " ").replace("_", " ").split()
    return name[0].capitalize() if name else "our team"


def _stage(case: Case) -> str:
    if case.merged_into is not None:
        return "Joined to another case about the same matter"
    if not case.is_active:
        return "Closed"
    if case.awaiting_customer:
        return "Waiting for your answer to our question"
    if case.pause is not None:
        return "On hold: we are waiting for someone else"
    return {
        Stage.LISTENED: "Received: we will confirm it soon",
        Stage.ACKNOWLEDGED: "We are working on it",
        Stage.ACTION_TAKEN: "We have acted on it",
        Stage.THANKED: "We have acted on it",
    }.get(case.stage, "We are working on it")


Own = Callable[[str, datetime], bool]
_DECLINED = "We could not do what you asked"


def _entries(event: ev.Event, links: StatusLinks, own: Own) -> list[StatusEntry]:
    """The lines ``event`` shows the customer whose handles ``own`` tells (was it theirs
    then?): never what someone else wrote (a message added from another customer's handle,
    or merged from their case)."""
    fb = event.feedback if isinstance(event, (ev.CaseOpened, contact.CUSTOMER_MESSAGES)) else None
    if fb is not None:
        mine = own(fb.customer, event.at)
        wrote = [StatusEntry(event.at, True, "You wrote", fb.text)] if mine else []
        # A case split off another brings the nos said to them there.
        return wrote + (_nos(event.declines, own) if isinstance(event, ev.CaseOpened) else [])
    if isinstance(event, ev.CasesMerged):  # their own messages and nos from a case of theirs
        return [
            StatusEntry(fb.received_at, True, "You wrote", fb.text)
            for fb in event.messages
            if own(fb.customer, fb.received_at)
        ] + _nos(event.declines, own)
    if isinstance(event, ev.Reopened) and not own(event.by, event.at):  # staff's reason
        return [StatusEntry(event.at, False, "We reopened your case")]
    entry = _entry(event, links)
    return [] if entry is None else [entry]


def _nos(declines: Sequence[Decline], own: Own) -> list[StatusEntry]:
    return [StatusEntry(no.at, False, _DECLINED, no.reason) for no in declines
            if own(no.customer, no.at)]  # fmt: skip


def _entry(event: ev.Event, links: StatusLinks) -> StatusEntry | None:
    at = event.at
    if isinstance(event, ev.CustomerReplied):
        return StatusEntry(at, True, "You answered", event.text)
    if isinstance(event, ev.Reopened):
        return StatusEntry(at, True, "You told us it is not resolved", event.reason)
    if isinstance(event, ev.Acknowledged):
        return StatusEntry(at, False, "We acknowledged your message")
    if isinstance(event, contact.Replied):
        return StatusEntry(at, False, "We replied", event.text)
    if isinstance(event, ev.AwaitingCustomer):
        return StatusEntry(at, False, "We asked you", event.question)
    if isinstance(event, contact.Paused) and event.waiting_on is contact.WaitingOn.CUSTOMER:
        return StatusEntry(at, False, "We asked you", event.question)
    if isinstance(event, contact.ContactLogged):
        return StatusEntry(at, False, f"We spoke to you ({event.channel.name.replace('_', ' ')})")
    if isinstance(event, ev.ActionTaken):
        return StatusEntry(at, False, "We took action", event.summary if links.show_actions else "")
    if isinstance(event, ev.Declined):
        return StatusEntry(at, False, _DECLINED, event.reason)
    if isinstance(event, ev.Thanked):
        return StatusEntry(at, False, "We thanked you for telling us")
    if isinstance(event, ev.Explained):
        text = f"What went wrong: {event.what_failed}\nWhat we change: {event.what_changes}"
        return StatusEntry(at, False, "We explained what happened", text)
    if isinstance(event, contact.Lapsed):
        return StatusEntry(at, False, "We closed the case after not hearing from you")
    return None


def view(
    case: Case,
    links: StatusLinks,
    *,
    deadlines: Sequence[Deadline],
    now: datetime,
    expires_at: datetime,
    reopen_within: timedelta,
    handles: frozenset[str],
    customer: Customer | None = None,
) -> CustomerView:
    """The status page of ``case`` at ``now``, for the customer of ``handles`` (the case's
    customer and every handle linked to them) and, if given, of ``customer``'s handles
    when they wrote (one unlinked since was theirs then)."""

    def own(handle: str, at: datetime) -> bool:
        return handle in handles or (customer is not None and held_at(customer, handle, at))

    next_step: str | None = None
    next_by: datetime | None = None
    if case.is_active and case.awaiting_customer:
        next_step = "We will carry on when you answer"
    elif case.is_active:
        promised = case.contact_promise
        timed = [(d.due_at, d.target) for d in deadlines if d.due_at is not None]
        if promised is not None and promised.is_open and promised.overdue(now):
            # Never show a date that has passed as what happens next: say we are late.
            next_step = "We are late getting back to you, and will as soon as we can"
        elif promised is not None and promised.is_open:
            next_step, next_by = "We will contact you", promised.deadline
        elif timed:
            due, target = min(timed, key=lambda pair: instant(pair[0]))
            next_step = _NEXT[target]
            if instant(due) > instant(now):
                next_by = due
            else:  # a deadline passed is no date to promise: say we are late
                next_step = (
                    f"We are late, and {next_step[0].lower()}{next_step[1:]} as soon as we can"
                )
        else:
            next_step = "We will be in touch"
    closed_at = case.closed_at
    # Messages merged in keep their own times: the story is told in time order.
    entries = sorted(
        (line for e in case.events for line in _entries(e, links, own)),
        key=lambda line: instant(line.at),
    )
    return CustomerView(
        reference=case.id,
        matter=case.subject,
        stage=_stage(case),
        who=_who(case, links),
        next_step=next_step,
        next_by=next_by,
        entries=tuple(entries),
        promises=tuple(
            StatusPromise(
                p.what,
                p.deadline,
                p.kept_at,
                not p.kept_on_time if p.kept_at else instant(now) > instant(p.due_by),
            )
            for p in case.promises
        ),
        open=case.is_active,
        reopen_until=(
            closed_at + reopen_within
            if closed_at is not None and not case.is_active and case.merged_into is None
            else None
        ),
        expires_at=expires_at,
    )
