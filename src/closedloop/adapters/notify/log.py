"""LogNotifier: one line per notification, for trying closedloop out and for logs."""

from __future__ import annotations

import sys
from typing import TextIO

from closedloop.domain.outbox.notification import Notification

__all__ = ["LogNotifier"]


class LogNotifier:
    """A :class:`~closedloop.ports.Notifier` that writes one line per notification (to
    standard output unless told otherwise): for trying closedloop out, and for logs."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, notification: Notification) -> None:
        stream = self.stream if self.stream is not None else sys.stdout
        print(
            f"[{notification.key}] to {notification.to} via {notification.channel}: "
            f"{notification.subject}",
            file=stream,
            flush=True,
        )
