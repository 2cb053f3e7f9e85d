"""Delivery, inbound messages and storage."""

from __future__ import annotations

from closedloop.domain.errors.kernel import ClosedLoopError, ValidationError

__all__ = [
    "EmailFormatError",
    "ErasurePendingError",
    "NotifierError",
    "SchemaVersionError",
    "StorageError",
    "UndeliverableError",
    "UnreadableRecordError",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "WebhookTimestampError",
]


class NotifierError(ClosedLoopError):
    """A notifier could not deliver a notification. The outbox keeps the message and tries
    again later; the cause (the SMTP or HTTP error) is chained as ``__cause__``."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"could not deliver notification {key!r}: {reason}")
        self.key = key
        self.reason = reason


class UndeliverableError(NotifierError):
    """Retrying cannot deliver this notification (a recipient with no address, a message
    the mail system cannot build): the outbox makes it a dead letter at once instead of
    spending its attempts. Fix the cause, then ``desk.outbox.requeue`` it."""


class WebhookError(ClosedLoopError):
    """An inbound webhook that cannot be trusted; answer it with a 4xx and record nothing."""


class WebhookSignatureError(WebhookError):
    """The webhook headers are missing or malformed, or no signature matches the body."""


class WebhookPayloadError(WebhookError, ValidationError):
    """A webhook whose signature is good but whose body is not the documented JSON shape
    (both a :class:`WebhookError`, answered with a 4xx, and a :class:`ValidationError`)."""


class EmailFormatError(ValidationError):
    """An inbound email closedloop cannot take: not bytes, or without a usable ``From``."""


class WebhookTimestampError(WebhookError):
    """The webhook was signed outside the tolerated window: a replay, or a skewed clock."""

    def __init__(self, timestamp: int, now: int, tolerance: int) -> None:
        when = "in the future" if timestamp > now else "ago"
        super().__init__(
            f"webhook was signed at unix time {timestamp}, {abs(now - timestamp)} s {when}, "
            f"outside the tolerance of {tolerance} s; refuse it (a replay?) or, if the "
            f"sender's clock is off, fix its clock"
        )
        self.timestamp = timestamp
        self.now = now
        self.tolerance = tolerance


class StorageError(ClosedLoopError):
    """The store cannot do what was asked (a broken file, a missing table, ...)."""


class ErasurePendingError(StorageError):
    """A customer's records were erased, but the store could not yet clear their old bytes
    from its files (a SQLite reader still held older pages of the write-ahead log)."""

    def __init__(self, where: str) -> None:
        super().__init__(
            f"the customer's records are erased, but another connection to {where} is still "
            "reading older pages, so their bytes stay in the write-ahead log until it "
            "finishes; call store.checkpoint() (or erase again) once it has"
        )
        self.where = where


class UnreadableRecordError(StorageError):
    """A stored record cannot be read back (written by hand, or by a closedloop with a bug).
    Reading it alone raises this; readers of many records leave it out, log a warning on
    the ``closedloop.storage`` logger, and go on (the sweep lists it as ``unreadable``)."""

    def __init__(self, record: str, record_id: str | None, reason: str) -> None:
        which = f"{record} {record_id!r}" if record_id is not None else f"a stored {record}"
        super().__init__(
            f"{which} cannot be read back ({reason}); it is left as it is. "
            "Repair or delete it in the database"
        )
        self.record = record
        self.record_id = record_id
        self.reason = reason


class SchemaVersionError(StorageError):
    """The database was written by a newer closedloop than this one."""

    def __init__(self, found: int, supported: int) -> None:
        super().__init__(
            f"the database schema is version {found}, but this closedloop supports up to "
            f"version {supported}; upgrade closedloop (pip install -U closedloop) to open it"
        )
        self.found = found
        self.supported = supported
