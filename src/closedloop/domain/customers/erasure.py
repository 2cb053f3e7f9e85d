"""Erasing a customer: their details out of every record, the counts and timings kept.

A customer's handles (email addresses, phone numbers, social handles) are replaced by a
pseudonym wherever they appear, and what they wrote (message texts and subjects, replies,
comments, survey answers' comments) and what was sent to them (notification subjects and
bodies) by a marker. Versions, event counts, stages, scores and every datetime stay, so
metrics computed before and after agree. Pure: stores call these on the records they hold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

import attrs

from closedloop.domain.cases.case import Case, apply, replay
from closedloop.domain.cases.events import Erased, Event
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.checks import require_aware
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import ValidationError
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.surveys.invitation import Invitation, Response

__all__ = ["ERASED", "Erased", "Erasure", "pseudonym_for"]

#: What erased free text reads as.
ERASED = "[erased]"

_T = TypeVar("_T")

# Fields that hold what the customer wrote or what was written to them: blanked whole.
_FREE_TEXT: dict[type, frozenset[str]] = {
    Feedback: frozenset({"text", "subject"}),
    Response: frozenset({"comment"}),
    Notification: frozenset({"subject", "body"}),
}
_FREE_TEXT_BY_NAME = frozenset({"text", "comment", "asked", "question", "reason"})


def pseudonym_for(customer: str, salt: str = "") -> str:
    """A stable pseudonym for ``customer``: ``"erased-<12 hex digits>"``."""
    return "erased-" + hashlib.sha256(f"{salt}\x00{customer}".encode()).hexdigest()[:12]


def _handles(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


@attrs.frozen
class Erasure:
    """One erasure: the handles to remove and the pseudonym that takes their place."""

    handles: frozenset[str] = attrs.field(converter=_handles)
    pseudonym: str

    def __attrs_post_init__(self) -> None:
        if not self.handles or not all(isinstance(h, str) and h.strip() for h in self.handles):
            raise ValidationError("an erasure needs the customer's handles (non-empty strings)")
        if not isinstance(self.pseudonym, str) or not self.pseudonym.strip():
            raise ValidationError("an erasure needs a pseudonym (a non-empty string)")
        if any(self.pseudonym in h or h in self.pseudonym for h in self.handles):
            raise ValidationError("the pseudonym must not contain the handles it replaces")

    def text(self, value: str) -> str:
        """``value`` with every handle replaced by the pseudonym."""
        for handle in sorted(self.handles, key=len, reverse=True):
            value = value.replace(handle, self.pseudonym)
        return value

    def external_id(self, value: str) -> str:
        """An external id that may hold personal data (an email Message-ID), as a digest.

        Salted with the pseudonym, so that two erasures of one id (a delivery seen again
        after the first erasure made a new case) give two ids; one already erased stays."""
        if value.startswith("erased:"):
            return value
        digest = hashlib.sha256(f"{self.pseudonym}\x00{value}".encode()).hexdigest()[:24]
        return "erased:" + digest

    def scrub(self, obj: _T) -> _T:
        """``obj`` (an event, invitation, notification...) with the customer's details out."""
        return self._scrub(obj, blank=False)  # type: ignore[no-any-return]

    def _scrub(self, obj: Any, blank: bool) -> Any:
        if isinstance(obj, str):
            return ERASED if blank and obj else self.text(obj)
        if isinstance(obj, tuple):
            return tuple(self._scrub(item, False) for item in obj)
        if isinstance(obj, frozenset):
            return frozenset(self._scrub(item, False) for item in obj)
        if not attrs.has(type(obj)):
            return obj
        free = _FREE_TEXT.get(type(obj))
        if free is None and isinstance(obj, Event):
            # Events: whatever the customer wrote, in fields named for it, when they wrote it
            # (a reason given by staff stays; a reason given by the customer goes).
            by_customer = obj.by in self.handles
            free = frozenset(
                f.name
                for f in attrs.fields(type(obj))
                if f.name in _FREE_TEXT_BY_NAME and (by_customer or f.name != "reason")
            )
        changes: dict[str, Any] = {}
        for field in attrs.fields(type(obj)):
            value = getattr(obj, field.name)
            if field.name == "external_id" and isinstance(value, str):
                new = self.external_id(value)
            else:
                new = self._scrub(value, blank=field.name in (free or ()))
            if new is not value and new != value:
                changes[field.name] = new
        return attrs.evolve(obj, **changes) if changes else obj

    def case(self, case: Case, at: datetime) -> Case:
        """The case with the customer's details out of its whole history, and an
        :class:`Erased` event on top (so a writer holding the old version is refused)."""
        require_aware("at", at)
        cleaned = replay(self.scrub(e) for e in case.events)
        event = Erased(
            case_id=case.id, version=case.version + 1, at=at, by="closedloop",
            pseudonym=self.pseudonym,
        )  # fmt: skip
        return apply(cleaned, event)

    def invitation(self, invitation: Invitation) -> Invitation:
        """The invitation with the customer's details out (its version bumped)."""
        cleaned = self.scrub(invitation)
        return attrs.evolve(cleaned, version=invitation.version + 1)

    def customer(self, customer: Customer) -> Customer:
        """The customer record with the handles replaced by the pseudonym (its version
        bumped)."""
        cleaned = self.scrub(customer)
        return attrs.evolve(cleaned, version=customer.version + 1)

    def touches(self, texts: Iterable[str]) -> bool:
        """True if any of ``texts`` mentions one of the handles."""
        return any(h in t for t in texts for h in self.handles)
