"""Erasing a customer: their details out of every record that names them, the counts and
timings kept, and nobody else's records touched.

Records are chosen by what they say about who is who, never by searching text: the
customer's own cases, invitations and customer record, the outbox messages about those
cases or addressed to one of their handles, and other customers' cases holding a message
they wrote. Within a chosen record, a handle is replaced by the pseudonym only where it
stands as a handle of its own (``ann@example.com`` is not inside ``joann@example.com``,
nor the CRM id ``11`` inside ``211``); what the customer wrote, and what was written to
them on their own cases, becomes a marker. Another customer's words stay theirs. Ids,
versions, event counts, stages, scores and every datetime stay, so figures computed
before and after agree. Pure: stores call these on the records they hold.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, TypeVar

import attrs

from closedloop.domain.cases.case import Case, apply, replay
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.contact import Paused, WaitingOn
from closedloop.domain.cases.declines import Decline
from closedloop.domain.cases.events import CaseOpened, CasesMerged, Erased, Event
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.cases.history import last_at
from closedloop.domain.cases.labels import FieldValue
from closedloop.domain.checks import instant, require_aware
from closedloop.domain.customers import erased_customers
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import ValidationError
from closedloop.domain.outbox.messages import WITHHELD, Delivery, OutboxMessage
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.surveys.invitation import Invitation, Response, withdraw
from closedloop.domain.surveys.survey import Survey

__all__ = ["ERASED", "ERASED_CUSTOMER", "Erased", "Erasure", "authors", "pseudonym_for"]

#: What erased free text reads as.
ERASED = "[erased]"

#: The last error of a message that will never go out because its customer was erased.
ERASED_CUSTOMER = f"{WITHHELD}the customer was erased"

#: Why an open invitation of an erased customer was withdrawn.
WITHDRAWN = "the customer was erased"

_T = TypeVar("_T")

# Free text blanked whole: what the customer wrote (their feedback, answers, and, on their
# own cases, what staff wrote to them or about them).
_FREE_TEXT: dict[type, frozenset[str]] = {
    Response: frozenset({"comment"}),
    Notification: frozenset({"subject", "body"}),
}
_FREE_TEXT_BY_NAME = frozenset({"text", "comment", "asked", "question", "reason"})
# Fields that name records, not people: never rewritten (a case id may be "11" too).
_IDS = frozenset(
    {"id", "key", "into", "other", "new_case_id", "pseudonym", "purpose", "token_digests"}
)
_KEPT_TYPES = (Channel, Survey)  # configuration, not anybody's details
_DEFAULT = re.compile(r"erased-[0-9a-f]{12}")
# A handle stands alone when no character that could continue it touches it (a full stop
# may end a sentence after it, but not start a longer domain).
_BEFORE = r"(?<![\w.+\-@%])"
_AFTER = r"(?![\w+\-@%]|\.\w)"


def pseudonym_for(customer: str, salt: str = "") -> str:
    """A stable pseudonym for ``customer``: ``"erased-<12 hex digits>"``."""
    return "erased-" + hashlib.sha256(f"{salt}\x00{customer}".encode()).hexdigest()[:12]


@functools.lru_cache(maxsize=64)
def _pattern(handles: frozenset[str]) -> re.Pattern[str]:
    ordered = sorted(handles, key=lambda h: (-len(h), h))  # the longest first
    return re.compile(_BEFORE + "(?:" + "|".join(map(re.escape, ordered)) + ")" + _AFTER)


def _handles(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


def authors(events: Iterable[Event]) -> frozenset[str]:
    """Every handle that wrote a message in ``events`` (a case's history: what opened it,
    what joined it, what was merged into it)."""
    found: set[str] = set()
    for event in events:
        for message in _messages(event):
            found.add(message.customer)
    return frozenset(found)


def _messages(event: Event) -> Iterator[Feedback]:
    if isinstance(event, CasesMerged):
        yield from event.messages
    else:
        message = getattr(event, "feedback", None)
        if isinstance(message, Feedback):
            yield message


@attrs.frozen
class Erasure:
    """One erasure: the handles to remove and the pseudonym that takes their place."""

    handles: frozenset[str] = attrs.field(converter=_handles)
    """The customer's handles to remove."""
    pseudonym: str
    """What stands in their place from now on."""

    def __attrs_post_init__(self) -> None:
        if not self.handles or not all(isinstance(h, str) and h.strip() for h in self.handles):
            raise ValidationError.of(
                "handles", "an erasure needs the customer's handles (non-empty strings)"
            )
        if not isinstance(self.pseudonym, str) or not self.pseudonym.strip():
            raise ValidationError.of(
                "pseudonym", "an erasure needs a pseudonym (a non-empty string)"
            )
        # A pseudonym made by pseudonym_for is a digest: "11" inside its hex says nothing.
        inside = not _DEFAULT.fullmatch(self.pseudonym) and any(
            h in self.pseudonym for h in self.handles
        )
        if inside or self.text(self.pseudonym) != self.pseudonym:
            raise ValidationError.of(
                "pseudonym", "the pseudonym must not contain the handles it replaces"
            )

    def text(self, value: str) -> str:
        """``value`` with every handle that stands alone in it replaced by the pseudonym."""
        return _pattern(self.handles).sub(lambda _: self.pseudonym, value)

    def mentions(self, value: str) -> bool:
        """True if one of the handles stands alone in ``value``."""
        return _pattern(self.handles).search(value) is not None

    def holds(self, case: Case) -> bool:
        """True if ``case`` is the customer's, or holds a message they wrote."""
        return case.customer in self.handles or not self.handles.isdisjoint(authors(case.events))

    def external_id(self, value: str, case_id: str = "") -> str:
        """An external id that may hold personal data (an email Message-ID), as a digest.

        Salted with the pseudonym and the case holding it, so that two erasures of one id
        (a delivery seen again after the first erasure made a new case) give two ids even
        under one pseudonym; one already erased stays."""
        if value.startswith("erased:"):
            return value
        salted = f"{self.pseudonym}\x00{case_id}\x00{value}"
        return "erased:" + hashlib.sha256(salted.encode()).hexdigest()[:24]

    def external_ids(self, case: Case) -> dict[str, str]:
        """The external ids ``case`` holds (:attr:`Case.external_ids`) of messages the
        customer wrote, and the key their own case claimed (made of a handle), each with
        the id that replaces it: a store renames these, and only these, in its external-id
        index, where they point at ``case``."""
        own = frozenset(case.external_ids)
        found = {
            m.external_id: self.external_id(m.external_id, case.id)
            for event in case.events
            for m in _messages(event)
            if m.customer in self.handles and m.external_id in own
        }
        opened = case.events[0]
        if isinstance(opened, CaseOpened) and opened.claim in own and case.customer in self.handles:
            found[opened.claim] = self.external_id(opened.claim, case.id)  # made of a handle
        return found

    def scrub(self, obj: _T) -> _T:
        """``obj`` (an event, invitation, notification...) of the customer's own, with their
        details out."""
        return self._scrub(obj, False, True, "")  # type: ignore[no-any-return]

    def _scrub(self, obj: Any, blank: bool, theirs: bool, case_id: str) -> Any:
        # ``theirs``: obj is the customer's (their case, their message, their event), so a
        # handle of theirs standing in its text goes too; in anybody else's record it stays.
        if isinstance(obj, str):
            if blank and obj:
                return ERASED
            return self.text(obj) if theirs else obj
        if isinstance(obj, tuple | frozenset):
            return type(obj)(self._scrub(item, False, theirs, case_id) for item in obj)
        if not attrs.has(type(obj)) or isinstance(obj, _KEPT_TYPES):
            return obj
        free = self._free_text(obj, theirs)
        inner = theirs or self._written_by_them(obj)
        changes: dict[str, Any] = {}
        for field in attrs.fields(type(obj)):
            name, value = field.name, getattr(obj, field.name)
            if name in _IDS or (name.endswith("_id") and name != "external_id"):
                continue
            if name == "external_id" and isinstance(value, str):
                new = self.external_id(value, case_id) if name in free else value
            elif name == "claim" and isinstance(value, str):  # a CaseOpened's: of a handle
                new = self.external_id(value, case_id) if theirs else value
            else:
                new = self._scrub(value, name in free, inner, case_id)
            if new is not value and new != value:
                changes[name] = new
        return attrs.evolve(obj, **changes) if changes else obj

    def _written_by_them(self, obj: Any) -> bool:
        if isinstance(obj, Feedback | Decline):
            return obj.customer in self.handles
        if isinstance(obj, CasesMerged):  # their case merged in: its fields and tags are theirs
            return obj.by in self.handles or any(m.customer in self.handles for m in obj.messages)
        return isinstance(obj, Event) and obj.by in self.handles

    def _free_text(self, obj: Any, theirs: bool) -> frozenset[str]:
        if isinstance(obj, FieldValue):  # a custom field of theirs may hold anything
            return frozenset({"value"}) if theirs else frozenset()
        if isinstance(obj, Decline):  # a merge's record of a no to them, wherever it went
            return frozenset({"asked", "reason"}) if obj.customer in self.handles else frozenset()
        if isinstance(obj, Feedback):  # what they wrote, wherever it is; others' words stay
            mine = obj.customer in self.handles
            return frozenset({"text", "subject", "external_id"}) if mine else frozenset()
        if isinstance(obj, Event):
            # On their own case, whatever was written to them or about them; elsewhere,
            # only what they wrote. A reason given by staff stays, unless it is what the
            # customer was asked (a pause waiting on them); one given by them goes.
            by_them = obj.by in self.handles
            if not (theirs or by_them):
                return frozenset()
            asked = isinstance(obj, Paused) and obj.waiting_on is WaitingOn.CUSTOMER
            return frozenset(
                f.name
                for f in attrs.fields(type(obj))
                if f.name in _FREE_TEXT_BY_NAME and (by_them or asked or f.name != "reason")
            )
        return _FREE_TEXT.get(type(obj), frozenset())

    def case(self, case: Case, at: datetime) -> Case:
        """The case with the customer's details out of its whole history, and an
        :class:`Erased` event on top (so a writer holding the old version is refused).

        Their own case loses what they wrote and what was written to them; another
        customer's case holding a message of theirs loses that message's text and their
        handle, and nothing of its own customer's."""
        require_aware("at", at)
        theirs = case.customer in self.handles
        cleaned = replay(self._scrub(e, False, theirs, case.id) for e in case.events)
        # One erasure stamps every case it touches: a case whose last event is later than
        # ``at`` (a clock stepped back) gets it at that instant, its history kept in order.
        at = max(at, last_at(cleaned.events), key=instant)
        event = Erased(
            case_id=case.id, version=case.version + 1, at=at, by="closedloop",
            pseudonym=self.pseudonym,
        )  # fmt: skip
        return apply(cleaned, event)

    def invitation(self, invitation: Invitation, at: datetime) -> Invitation:
        """The invitation with the customer's details out, its version bumped; an open one
        is withdrawn, so that its token stops working."""
        require_aware("at", at)
        cleaned = self.scrub(invitation)
        if cleaned.is_open:
            return withdraw(cleaned, at, WITHDRAWN)
        return attrs.evolve(cleaned, version=invitation.version + 1)

    def message(self, message: OutboxMessage) -> OutboxMessage:
        """An outbox message about the customer's case or invitation, or addressed to them,
        with their details out (its subject, body and token, and its last error, which
        reads ``[erased]``: a notifier's or event handler's error may quote what the
        customer wrote); one still pending *to* them becomes a dead letter, since there is
        nobody to send it to."""
        note = attrs.evolve(self.scrub(message.notification), token=None)
        if message.notification.to in self.handles and message.status is Delivery.PENDING:
            return attrs.evolve(
                message, notification=note, status=Delivery.DEAD, next_attempt_at=None,
                last_error=ERASED_CUSTOMER,
            )  # fmt: skip
        error = message.last_error
        if error is not None and error != ERASED_CUSTOMER:
            # A withheld one stays withheld (nothing to fix); any other error may quote them.
            error = f"{WITHHELD}{ERASED}" if error.startswith(WITHHELD) else ERASED
        return attrs.evolve(message, notification=note, last_error=error)

    def related(self, found: Iterable[Customer]) -> frozenset[str]:
        """The ids of the customers that ``found`` (the customer records holding one of the
        handles or the pseudonym, or whose id is one of them) name in their history: a
        store reads these too and passes them all to :meth:`customers`."""
        return erased_customers.related(found)

    def customers(self, found: Iterable[Customer], at: datetime) -> list[tuple[str, Customer]]:
        """The customer records after the erasure, each with the id it was stored under
        (see :func:`closedloop.domain.customers.erased_customers.rewrite`)."""
        return erased_customers.rewrite(self, found, at)

    def touches(self, texts: Iterable[str]) -> bool:
        """True if one of the handles stands alone in any of ``texts``."""
        return any(self.mentions(t) for t in texts)
