"""Inbound email: :func:`read_email` reads a message's bytes into an
:class:`~closedloop.InboundEmail` that ``desk.inbox.receive`` acts on."""

from closedloop.adapters.mail.reading import feedback_from_email, read_email

__all__ = ["feedback_from_email", "read_email"]
