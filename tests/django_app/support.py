"""What the test project's settings name: the store factory, the clock, a notifier that
writes to a file (for commands run in other processes)."""

from __future__ import annotations

import os

from closedloop import SQLiteStore
from closedloop.domain.outbox.notification import Notification
from closedloop.testing import ManualClock
from tests.helpers import START

#: The clock of the tests' Desk; each test sets it back to START.
CLOCK = ManualClock(START)

#: Every store ``sqlite_store`` opened, for the fixture to close.
OPENED: list[SQLiteStore] = []


def sqlite_store() -> SQLiteStore:
    """SQLiteStore on the project's own database file (it creates closedloop's tables)."""
    from django.conf import settings

    store = SQLiteStore(settings.DATABASES["default"]["NAME"])
    OPENED.append(store)
    return store


class KeysFile:
    """Appends each delivered notification's key, a line each, to CLOSEDLOOP_TEST_KEYS_FILE."""

    def __init__(self) -> None:
        self.path = os.environ["CLOSEDLOOP_TEST_KEYS_FILE"]

    def send(self, notification: Notification) -> None:
        with open(self.path, "a", encoding="utf-8") as keys:
            keys.write(notification.key + "\n")


class BrokenBackend:
    """A Django mail backend whose server is down."""

    def __init__(self, fail_silently: bool = False, **_: object) -> None:
        self.fail_silently = fail_silently

    def send_messages(self, messages: object) -> int:
        raise ConnectionRefusedError("the mail server is down")


class SilentBackend(BrokenBackend):
    """A Django mail backend that swallows its failures and says it sent nothing."""

    def send_messages(self, messages: object) -> int:
        return 0


class RefusingBackend(BrokenBackend):
    """A Django mail backend whose SMTP server refuses the recipient for good (550)."""

    def send_messages(self, messages: object) -> int:
        import smtplib

        raise smtplib.SMTPRecipientsRefused(
            {"mary@example.com": (550, b"5.1.1 mailbox unavailable")}
        )


class RejectingBackend(BrokenBackend):
    """A Django mail backend whose SMTP server rejects the message's content (554)."""

    def send_messages(self, messages: object) -> int:
        import smtplib

        raise smtplib.SMTPDataError(554, b"5.7.1 message refused as spam")


class BusyBackend(BrokenBackend):
    """A Django mail backend whose SMTP server says to try the recipient later (450)."""

    def send_messages(self, messages: object) -> int:
        import smtplib

        raise smtplib.SMTPRecipientsRefused({"mary@example.com": (450, b"4.2.1 try later")})
