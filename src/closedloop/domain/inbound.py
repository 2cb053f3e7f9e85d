"""Inbound email, as closedloop reads it: who wrote, what they said (without the quoted
history), what it answers, and whether a person wrote it at all.

These are plain values; :func:`closedloop.read_email` makes them from a message's bytes and
``desk.inbox.receive`` acts on them.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.limits import Limits

__all__ = ["Attachment", "Bounce", "InboundEmail", "Receipt", "Received"]


@attrs.frozen
class Attachment:
    """A file that came with an email: listed always, its bytes kept only when asked."""

    name: str | None
    """The file name the sender gave; None when there was none."""
    content_type: str
    """The MIME type, such as ``"application/pdf"``."""
    size: int
    """Its size in bytes, decoded."""
    content: bytes | None = attrs.field(default=None, repr=False)
    """Its bytes, when ``read_email(..., keep_attachments=True)``; None otherwise."""


@attrs.frozen
class Bounce:
    """A delivery status notification: a message closedloop sent did not arrive."""

    action: str
    """What the report says happened: ``"failed"`` (given up) or ``"delayed"`` (still trying)."""
    permanent: bool
    """True when retrying cannot help (a 5.x.x status); False otherwise."""
    recipient: str | None
    """The address the message was for, as the report names it."""
    status: str | None
    """The status code the report gives (``"5.1.1"``); None when it gives none."""
    diagnostic: str | None
    """What the receiving server said, in one line; None when the report does not say."""
    original_message_id: str | None
    """The ``Message-ID`` of the message that bounced, when the report returns its headers."""
    original_key: str | None
    """Its notification key (the ``X-Closedloop-Key`` header), when returned."""

    def describe(self) -> str:
        """One line for the outbox's last error: ``"bounced (permanent): 5.1.1 no such user"``."""
        how = "permanent" if self.permanent else "temporary"
        said = " ".join(part for part in (self.status, self.diagnostic) if part)
        return f"bounced ({how}): {said or 'no reason given'}"


@attrs.frozen
class InboundEmail:
    """An email received, read by :func:`closedloop.read_email`.

    ``text`` is what the sender wrote this time: the plain text part (or the HTML part's text),
    with quoted history and signature removed. ``references`` are the ``Message-ID`` s it
    answers (``In-Reply-To`` first, then ``References`` from the newest), which is how
    ``desk.inbox.receive`` threads a reply onto its case.
    """

    sender: str
    """The ``From`` address, its domain in lower case."""
    subject: str | None
    """The subject line; None when there is none."""
    text: str
    """What the sender wrote, without quoted history or signature."""
    message_id: str | None
    """Its ``Message-ID``, angle brackets included; None when it has none."""
    references: tuple[str, ...] = ()
    """The ``Message-ID`` s it answers, nearest first."""
    attachments: tuple[Attachment, ...] = ()
    """The files that came with it."""
    auto_reply: str | None = None
    """Why it is an automatic message (a vacation responder, a mailing list); None when a
    person wrote it."""
    bounce: Bounce | None = None
    """The delivery failure it reports, if it is a bounce."""
    case_reference: str | None = None
    """A case id named in the subject as ``[case ID]``; None when there is none."""
    locale: str | None = None
    """The language the sender's mail program declared (``Content-Language``), as a BCP 47
    tag; None when it declared none or one closedloop cannot take."""

    def feedback(
        self,
        *,
        received_at: datetime,
        channel: Channel = Channel.EMAIL,
        kind: FeedbackKind = FeedbackKind.COMPLAINT,
        limits: Limits | None = None,
    ) -> Feedback:
        """The email as :class:`~closedloop.Feedback`: its ``Message-ID`` as ``external_id``
        (the same email received twice makes one case), the attachments named at the end.

        Mail is never refused for its size: a text or subject longer than ``limits`` allow
        (``Policy.limits``; the defaults without) is cut, saying how much was left out, and
        a ``Message-ID`` longer than an id may be is kept as its digest."""
        limits = limits if limits is not None else Limits()
        text = self.text
        if self.attachments:
            listed = ", ".join(
                f"{a.name or 'unnamed'} ({a.content_type}, {a.size} bytes)"
                for a in self.attachments
            )
            text = f"{text}\n\n[attachments: {listed}]".strip()
        if not text.strip():
            text = self.subject or ""
        return Feedback(
            customer=self.sender,
            channel=channel,
            received_at=received_at,
            text=_cut(text, limits.text),
            kind=kind,
            external_id=_id(self.message_id, limits.key),
            subject=_cut(self.subject, limits.subject) if self.subject else None,
            locale=self.locale,
        )


def _cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    if limit < 80:
        return text[:limit]
    kept = limit - 60
    return f"{text[:kept].rstrip()} [… {len(text) - kept} more characters not kept]"


def _id(message_id: str | None, limit: int) -> str | None:
    if message_id is None or len(message_id) <= limit:
        return message_id
    digest = hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()
    named = f"sha256:{digest}"
    return named if len(named) <= limit else digest[:limit]  # a key limit below 71


class Received(enum.Enum):
    """What ``desk.inbox.receive`` did with an email."""

    NEW_CASE = "new_case"
    """Opened a case (or found the one this ``Message-ID`` opened before)."""
    REPLY = "reply"
    """Added it to the case it answers (reopening it, within the window, if closed)."""
    AUTO_REPLY = "auto_reply"
    """Recorded nothing: an automatic message is not the customer's reply."""
    BOUNCE = "bounce"
    """Marked the message that bounced failed (a dead letter when permanent)."""
    UNMATCHED_BOUNCE = "unmatched_bounce"
    """A bounce of no message this store holds: nothing changed."""


@attrs.frozen
class Receipt:
    """What ``desk.inbox.receive`` did with an email, and the case it touched."""

    outcome: Received
    """What was done."""
    case: Case | None = None
    """The case opened or replied to, or that an automatic reply or bounce was about."""
    key: str | None = None
    """For a bounce, the notification key of the message that bounced."""
