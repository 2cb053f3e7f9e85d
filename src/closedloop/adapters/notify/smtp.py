"""SmtpNotifier: deliver notifications as email, with the standard library's smtplib.

Each :meth:`SmtpNotifier.send` opens its own connection and closes it, so a connection the
server dropped between two dispatches can never break the next send, and the notifier can
be shared between threads. Any failure raises :class:`~closedloop.NotifierError` (the SMTP
or socket error chained as its cause): the outbox keeps the message and retries it.
"""

from __future__ import annotations

import html
import re
import smtplib
import ssl as _ssl
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from closedloop.domain.errors import NotifierError, UndeliverableError, ValidationError
from closedloop.domain.outbox.notification import Notification, message_digest

__all__ = ["SmtpNotifier", "email_headers", "html_body", "message_id_for", "recipient_of"]

# Deliberately plain: one @, no white space or angle brackets, a dot-less domain allowed
# (intranet hosts). Anything else is not taken as an address and goes to ``address_of``.
_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\Z")
_BLANK_LINES = re.compile(r"\n\s*\n")


def _is_address(value: str) -> bool:
    return bool(_ADDRESS.match(value))


def message_id_for(key: str, domain: str) -> str:
    """The ``Message-ID`` of the email for the notification with idempotency ``key``: the
    same key always gives the same id, so a redelivered message is recognisable."""
    return f"<{message_digest(key)}@{domain}>"


def html_body(text: str) -> str:
    """``text`` as a small HTML document: escaped, blank lines separating paragraphs."""
    text = text.replace("\r\n", "\n").strip()
    paragraphs = [p.strip("\n") for p in _BLANK_LINES.split(text) if p.strip()]
    body = "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
    head = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
    return f"{head}{body}\n</body></html>\n"


def recipient_of(
    notification: Notification,
    address_of: Callable[[str], str | None] | None,
    notifier: str,
    fix: str | None = None,
) -> str:
    """The email address ``notification`` goes to: its ``to`` when that is an address, else
    what ``address_of`` maps it to; raises :class:`~closedloop.UndeliverableError` naming
    ``notifier`` (the class whose ``address_of`` to give) when there is none, or saying
    ``fix`` (how to give one) when given."""
    to = notification.to.strip()
    if _is_address(to):
        return to
    address = address_of(notification.to) if address_of is not None else None
    if address is None or not _is_address(address.strip()):
        how = (
            f"address_of({notification.to!r}) gave {address!r}"
            if address_of is not None
            else f"no address_of was given to {notifier}"
        )
        raise UndeliverableError(
            notification.key,
            f"{notification.to!r} is not an email address and {how}; "
            f"{fix or f'pass {notifier}(address_of=...)'} that maps it to an address, "
            "then requeue",
        )
    return address.strip()


def email_headers(notification: Notification, domain: str) -> dict[str, str]:
    """The headers every closedloop email carries besides From, To, Reply-To and Subject:
    ``Date`` (when the notification was made), a ``Message-ID`` derived from its key
    (:func:`message_id_for`, the same on every redelivery) and the key itself as
    ``X-Closedloop-Key``."""
    return {
        "Date": format_datetime(notification.created_at),
        "Message-ID": message_id_for(notification.key, domain),
        "X-Closedloop-Key": notification.key,
    }


class SmtpNotifier:
    """A :class:`~closedloop.ports.Notifier` that sends each notification as one email.

    ``sender`` is the ``From`` address (``"Acme Care <care@acme.example>"`` or a bare
    address); ``reply_to`` is where answers go, so put the mailbox your helpdesk reads.
    ``starttls`` upgrades a plain connection (port 587); ``ssl`` connects over TLS from
    the start (port 465); give ``ssl_context`` to change certificate checks.
    ``username``/``password`` log in after any TLS. ``timeout`` (seconds) bounds every
    network operation.

    A notification's ``to`` is used as the recipient when it is an email address.
    Otherwise (a staff member's name, a customer id) ``address_of(to)`` is asked for the
    address; when it gives ``None``, or there is no ``address_of``, sending is refused with
    :class:`~closedloop.UndeliverableError`: retrying cannot help, so the message becomes a
    dead letter at once (fix the mapping and ``desk.outbox.requeue`` it).

    The email is ``multipart/alternative``: the body as plain text, and as escaped HTML
    paragraphs. Its ``Message-ID`` is derived from ``notification.key``
    (:func:`message_id_for`) and the key itself is in an ``X-Closedloop-Key`` header, so a
    mail system or a human can recognise a redelivery.
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str,
        reply_to: str | None = None,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        ssl: bool = False,
        ssl_context: _ssl.SSLContext | None = None,
        timeout: float = 30.0,
        address_of: Callable[[str], str | None] | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if starttls and ssl:
            raise ValidationError.of(
                "ssl",
                "choose one of starttls=True (upgrade a plain connection, usually port 587) "
                "and ssl=True (TLS from the start, usually port 465), not both",
            )
        if (username is None) != (password is None):
            raise ValidationError.of(  # name the one missing
                "password" if password is None else "username",
                "give both username and password to log in, or neither",
            )
        if timeout <= 0:
            raise ValidationError.of(
                "timeout", f"timeout must be a positive number of seconds, got {timeout}"
            )
        _, sender_address = parseaddr(sender)
        if not _is_address(sender_address):
            raise ValidationError.of(
                "sender",
                "sender must be an email address such as 'Care <care@example.com>', "
                f"got {sender!r}",
            )
        if reply_to is not None and not _is_address(parseaddr(reply_to)[1]):
            raise ValidationError.of(
                "reply_to", f"reply_to must be an email address, got {reply_to!r}"
            )
        self.host = host
        """The SMTP server's host name."""
        self.port = port
        """Its port (25; 587 with `starttls`, 465 with `ssl`)."""
        self.sender = sender
        """The `From` address (`"Acme Care <care@acme.example>"` or a bare address)."""
        self.reply_to = reply_to
        """Where answers go: the mailbox your helpdesk reads; None for the sender."""
        self.username = username
        """The login, after any TLS; None to send without one."""
        self.password = password
        """The password for `username`."""
        self.starttls = starttls
        """Whether to upgrade a plain connection to TLS (port 587)."""
        self.ssl = ssl
        """Whether to connect over TLS from the start (port 465)."""
        self.ssl_context = ssl_context
        """Certificate checks for TLS; None for the default ones."""
        self.timeout = timeout
        """Seconds any network operation may take."""
        self.address_of = address_of
        """Maps a `to` that is no email address (a staff member, a customer id) to one; None refuses
        such messages."""
        self.local_hostname = local_hostname
        """The name given in `EHLO`; None for this host's."""
        self._envelope_from = sender_address
        self._domain = sender_address.rpartition("@")[2]

    def __repr__(self) -> str:
        return f"SmtpNotifier({self.host!r}, {self.port}, sender={self.sender!r})"

    def recipient(self, notification: Notification) -> str:
        """The email address ``notification`` goes to; raises
        :class:`~closedloop.UndeliverableError` when there is none."""
        return recipient_of(notification, self.address_of, "SmtpNotifier")

    def message(self, notification: Notification) -> EmailMessage:
        """The email for ``notification``, without sending it."""
        message = EmailMessage()
        try:
            message["From"] = self.sender
            message["To"] = Address(addr_spec=self.recipient(notification))
            if self.reply_to is not None:
                message["Reply-To"] = self.reply_to
            message["Subject"] = notification.subject
        except (ValueError, IndexError) as exc:  # a header the email package refuses
            raise UndeliverableError(notification.key, f"cannot build the email: {exc}") from exc
        for name, value in email_headers(notification, self._domain).items():
            message[name] = value
        message.set_content(notification.body)
        message.add_alternative(html_body(notification.body), subtype="html")
        return message

    def send(self, notification: Notification) -> None:
        """Send ``notification`` as one email, or raise :class:`~closedloop.NotifierError`."""
        message = self.message(notification)
        recipient = self.recipient(notification)
        try:
            with self._connect() as smtp:
                code, reply = smtp.connect(self.host, self.port)
                if code != 220:
                    raise smtplib.SMTPConnectError(code, reply)
                if self.starttls:
                    smtp.starttls(context=self._context())
                if self.username is not None and self.password is not None:
                    smtp.login(self.username, self.password)
                smtp.send_message(message, from_addr=self._envelope_from, to_addrs=[recipient])
        except (smtplib.SMTPException, OSError) as exc:
            raise NotifierError(
                notification.key,
                f"SMTP server {self.host}:{self.port} failed: {type(exc).__name__}: {exc}",
            ) from exc

    def _context(self) -> _ssl.SSLContext:
        return self.ssl_context if self.ssl_context is not None else _ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        # Connected after construction, so that the ``with`` block closes the socket
        # whatever goes wrong, the greeting included.
        smtp: smtplib.SMTP
        if self.ssl:
            smtp = smtplib.SMTP_SSL(
                local_hostname=self.local_hostname, timeout=self.timeout, context=self._context()
            )
        else:
            smtp = smtplib.SMTP(local_hostname=self.local_hostname, timeout=self.timeout)
        return smtp
