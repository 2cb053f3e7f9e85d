"""DjangoMailNotifier: closedloop's notifications as e-mail through the host's own Django
mail setup (``EMAIL_BACKEND`` and its settings), with the same headers as SmtpNotifier."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from closedloop.adapters.notify.smtp import email_headers, html_body, recipient_of
from closedloop.domain.errors import NotifierError, UndeliverableError, ValidationError

if TYPE_CHECKING:
    from closedloop.domain.outbox.notification import Notification

__all__ = ["DjangoMailNotifier"]

#: How a Django host gives staff names their addresses.
_FIX = 'set CLOSEDLOOP["ADDRESS_OF"] (or pass DjangoMailNotifier(address_of=...)) to a function'


class DjangoMailNotifier:
    """A :class:`~closedloop.ports.Notifier` that sends each notification as one e-mail
    through ``django.core.mail`` on the project's ``EMAIL_BACKEND`` (or ``backend``, a
    dotted path), so closedloop's mail goes wherever the project's mail goes, and its tests
    find it in ``django.core.mail.outbox``.

    ``from_email`` defaults to ``settings.DEFAULT_FROM_EMAIL`` (read at each send);
    ``reply_to`` is where answers go: the mailbox your helpdesk reads. ``address_of`` maps
    a ``to`` that is no e-mail address (a staff member's name) to one, as for
    :class:`~closedloop.SmtpNotifier`; without an address the message is a dead letter at
    once (:class:`~closedloop.UndeliverableError`).

    The e-mail is the body as plain text with an HTML alternative, ``Date`` the time the
    notification was made, a ``Message-ID`` derived from its key (the same on every
    redelivery, so replies thread and repeats are recognisable) and ``X-Closedloop-Key``.
    A backend that fails raises :class:`~closedloop.NotifierError`: the outbox retries. An
    SMTP server refusing the recipient or the message for good (a 5xx reply to ``RCPT`` or
    ``DATA``: ``SMTPRecipientsRefused``, ``SMTPDataError``) raises
    :class:`~closedloop.UndeliverableError`: a dead letter at once.
    """

    def __init__(
        self,
        *,
        from_email: str | None = None,
        reply_to: str | None = None,
        address_of: Callable[[str], str | None] | None = None,
        backend: str | None = None,
    ) -> None:
        for field, value in (("from_email", from_email), ("reply_to", reply_to)):
            if value is not None and "@" not in parseaddr(value)[1]:
                raise ValidationError.of(
                    field,
                    f"{field} must be an email address such as 'Care <care@example.com>', "
                    f"got {value!r}",
                )
        self.from_email = from_email
        """The ``From`` address; None for ``settings.DEFAULT_FROM_EMAIL``."""
        self.reply_to = reply_to
        """Where answers go; None for the sender."""
        self.address_of = address_of
        """Maps a ``to`` that is no email address to one; None refuses such messages."""
        self.backend = backend
        """The Django mail backend's dotted path; None for ``settings.EMAIL_BACKEND``."""

    def __repr__(self) -> str:
        return f"DjangoMailNotifier(from_email={self.from_email!r}, backend={self.backend!r})"

    def message(self, notification: Notification) -> Any:
        """The ``django.core.mail.EmailMultiAlternatives`` for ``notification``, without
        sending it; raises :class:`~closedloop.UndeliverableError` when it cannot be built."""
        from django.conf import settings
        from django.core.mail import EmailMultiAlternatives

        sender = self.from_email or str(settings.DEFAULT_FROM_EMAIL)
        domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
        email = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body,
            from_email=sender,
            to=[recipient_of(notification, self.address_of, "DjangoMailNotifier", _FIX)],
            reply_to=[self.reply_to] if self.reply_to is not None else None,
            headers=email_headers(notification, domain),
        )
        email.attach_alternative(html_body(notification.body), "text/html")
        try:
            email.message()  # what the backend will build: refuse a bad header now
        except ValueError as exc:  # Django's BadHeaderError, the email package's errors
            raise UndeliverableError(notification.key, f"cannot build the email: {exc}") from exc
        return email

    def send(self, notification: Notification) -> None:
        """Send ``notification`` as one e-mail, or raise :class:`~closedloop.NotifierError`."""
        from django.core.mail import get_connection

        email = self.message(notification)
        try:
            connection = get_connection(self.backend, fail_silently=False)
            sent = connection.send_messages([email])
        except Exception as exc:  # a backend may fail any way (smtplib, a web API's client)
            refused = _permanent_refusal(exc)
            if refused is not None:
                raise UndeliverableError(
                    notification.key, f"the mail server refused it for good: {refused}"
                ) from exc
            raise NotifierError(
                notification.key, f"the Django mail backend failed: {type(exc).__name__}: {exc}"
            ) from exc
        if sent != 1:  # a backend that swallowed its error (fail_silently in its own setup)
            raise NotifierError(notification.key, f"the Django mail backend sent {sent!r} of 1")


def _permanent_refusal(exc: Exception) -> str | None:
    """What an SMTP server said refusing the recipient or the message for good (a 5xx
    reply to RCPT or DATA), or None for a failure worth retrying (a connection, a 4xx
    reply, the login or the sender: the project's setup, fixed once for every message)."""
    import smtplib

    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        if replies and all(500 <= code < 600 for code, _ in replies):
            said = "; ".join(f"{code} {_text(reply)}" for code, reply in replies)
            return f"{type(exc).__name__}: {said}"
    elif isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600:
        return f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}"
    return None


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
