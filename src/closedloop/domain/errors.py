"""Every error closedloop raises.

One root, so a host can catch everything with ``except ClosedLoopError``. Where an
error is also a kind of built-in error, it subclasses that too, so ``except
ValueError`` or ``except LookupError`` keeps working::

    ClosedLoopError
    ├── ValidationError (ValueError)            bad input, nothing was stored
    │   ├── NaiveDatetimeError                  a datetime without a time zone
    │   ├── ScoreError                          a score that is not an integer in range
    │   ├── UnknownChannelError (LookupError)   a channel the desk does not know
    │   ├── EmailFormatError                    an inbound email without a usable From
    │   └── WebhookPayloadError                 (also a WebhookError, below)
    ├── LifecycleError                          a step the LATTE lifecycle does not allow
    │   ├── StepNotAllowedError                 the step does not follow from the case's stage
    │   └── StepRefusedError                    the step follows, but a guard refused it
    ├── LifecycleDefinitionError                a lifecycle table that cannot work
    ├── NotFoundError (LookupError)
    │   ├── CaseNotFoundError                   no case with that id
    │   ├── CustomerNotFoundError               no customer with that id
    │   ├── MessageNotFoundError                no outbox message with that key
    │   └── InvitationNotFoundError             no survey invitation with that id
    ├── SurveyTokenError                        a survey answer that cannot be taken
    │   ├── InvalidTokenError                   not a token closedloop issued
    │   ├── AlreadyAnsweredError                the token was used already (single use)
    │   ├── InvitationExpiredError              the invitation's time ran out
    │   └── InvitationWithdrawnError            the invitation was withdrawn (reopened, erased)
    ├── ConcurrencyError                        the case changed since it was read
    │   └── DuplicateExternalIdError            that delivery already made another case
    ├── HandleTakenError                        the handle belongs to another customer
    ├── NotifierError                           a notification could not be delivered (retried)
    │   └── UndeliverableError                  retrying cannot help: a dead letter at once
    ├── WebhookError                            an inbound webhook that cannot be trusted
    │   ├── WebhookSignatureError               bad or missing headers, or no signature matches
    │   ├── WebhookTimestampError               signed too long ago (a replay?) or in the future
    │   └── WebhookPayloadError                 signed, but its body is not feedback
    └── StorageError                            the store itself cannot go on
        ├── UnreadableRecordError               one stored record cannot be read back
        ├── SchemaVersionError                  a database written by a newer closedloop
        └── ErasurePendingError                 erased, but old bytes wait in a file

Every message says what was wrong and what to do about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from closedloop.domain.latte import Stage, Step

__all__ = [
    "AlreadyAnsweredError",
    "CaseNotFoundError",
    "ClosedLoopError",
    "ConcurrencyError",
    "CustomerNotFoundError",
    "DuplicateExternalIdError",
    "EmailFormatError",
    "ErasurePendingError",
    "HandleTakenError",
    "InvalidTokenError",
    "InvitationExpiredError",
    "InvitationNotFoundError",
    "InvitationWithdrawnError",
    "LifecycleDefinitionError",
    "LifecycleError",
    "MessageNotFoundError",
    "NaiveDatetimeError",
    "NotFoundError",
    "NotifierError",
    "SchemaVersionError",
    "ScoreError",
    "StepNotAllowedError",
    "StepRefusedError",
    "StorageError",
    "SurveyTokenError",
    "UndeliverableError",
    "UnknownChannelError",
    "UnreadableRecordError",
    "ValidationError",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "WebhookTimestampError",
]


class ClosedLoopError(Exception):
    """The root of every error closedloop raises."""


class ValidationError(ClosedLoopError, ValueError):
    """Input that closedloop cannot accept; nothing was stored. ``field`` names the
    argument or field at fault, where one is."""

    field: str | None = None
    """The argument or field at fault, as the caller wrote it; None if none is."""

    @classmethod
    def of(cls, field: str, message: str) -> Self:
        """The error for ``field``, with ``message`` saying what was wrong and what to do."""
        error = cls(message)
        error.field = field
        return error


class NaiveDatetimeError(ValidationError):
    """A datetime without a time zone was given where an instant is needed."""

    def __init__(self, field: str) -> None:
        super().__init__(
            f"{field} must be timezone-aware, got a naive datetime; "
            f"attach a zone, e.g. datetime(..., tzinfo=timezone.utc) or zoneinfo.ZoneInfo(...)"
        )
        self.field = field


class ScoreError(ValidationError):
    """A score that is not an integer inside its scale."""


class UnknownChannelError(ValidationError, LookupError):
    """A channel that is neither built in nor registered with the desk; ``field`` is the
    argument that held it."""

    def __init__(self, name: str, known: Iterable[str], field: str = "channel") -> None:
        known = sorted(known)
        super().__init__(
            f"unknown channel {name!r}; known channels are {', '.join(known)}. "
            f"Register custom channels with Policy(channels=[Channel.custom({name!r}, ...)])"
        )
        self.name = name
        self.field = field


class LifecycleError(ClosedLoopError):
    """A LATTE step that cannot be taken on this case now; the case is unchanged."""


class StepNotAllowedError(LifecycleError):
    """The step does not follow from the case's current stage."""

    def __init__(
        self, case_id: str, kind: str, stage: Stage, step: Step, allowed: Iterable[Step]
    ) -> None:
        allowed = tuple(allowed)
        now = ", ".join(s.value for s in allowed) if allowed else "none (the loop is closed)"
        super().__init__(
            f"cannot {step.value} case {case_id!r} ({kind}) at stage {stage.value}; "
            f"steps allowed now: {now}"
        )
        self.case_id = case_id
        self.stage = stage
        self.step = step
        self.allowed = allowed


class StepRefusedError(LifecycleError):
    """The step follows from the stage, but one of its guards refused it."""

    def __init__(self, case_id: str, step: Step, reason: str) -> None:
        super().__init__(f"cannot {step.value} case {case_id!r}: {reason}")
        self.case_id = case_id
        self.step = step
        self.reason = reason


class LifecycleDefinitionError(ClosedLoopError):
    """A lifecycle table that would leave cases stuck or unreachable."""


class NotFoundError(ClosedLoopError, LookupError):
    """Something looked up by id does not exist."""


class CaseNotFoundError(NotFoundError):
    """No case with this id exists in the store."""

    def __init__(self, case_id: str) -> None:
        super().__init__(
            f"no case with id {case_id!r}; check the id, or the tenant the store is bound to"
        )
        self.case_id = case_id


class ConcurrencyError(ClosedLoopError):
    """The case (or invitation) was changed by someone else since it was read; nothing
    was written. ``case_id`` is the id of the record that changed."""

    def __init__(
        self, case_id: str, expected: int, actual: int | None, *, record: str = "case"
    ) -> None:
        found = "it does not exist" if actual is None else f"it is at version {actual}"
        super().__init__(
            f"{record} {case_id!r} was expected at version {expected} but {found}; "
            f"read it again and retry"
        )
        self.case_id = case_id
        self.expected = expected
        self.actual = actual


class CustomerNotFoundError(NotFoundError):
    """No customer with this id exists in the store."""

    def __init__(self, customer_id: str) -> None:
        super().__init__(
            f"no customer with id {customer_id!r}; link a handle to create one "
            "(desk.customers.link(handle, customer=...))"
        )
        self.customer_id = customer_id


class HandleTakenError(ClosedLoopError):
    """A handle already belongs to another customer; nothing was written."""

    def __init__(self, handle: str, owner: str) -> None:
        super().__init__(
            f"{handle!r} already belongs to customer {owner!r}; merge the two customers, or "
            "unlink it from that one first"
        )
        self.handle = handle
        self.owner = owner


class MessageNotFoundError(NotFoundError):
    """No outbox message with this key exists in the store."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no outbox message with key {key!r} for this tenant")
        self.key = key


class InvitationNotFoundError(NotFoundError):
    """No survey invitation with this id exists in the store."""

    def __init__(self, invitation_id: str) -> None:
        super().__init__(
            f"no survey invitation with id {invitation_id!r}; check the id, or the tenant "
            "the store is bound to"
        )
        self.invitation_id = invitation_id


class SurveyTokenError(ClosedLoopError):
    """A survey answer that cannot be taken; nothing was recorded."""


class InvalidTokenError(SurveyTokenError):
    """The token is not one closedloop issued (mistyped, truncated or forged)."""

    def __init__(self) -> None:
        super().__init__(
            "this survey token is not valid; use the whole link from the invitation "
            "(a token is the invitation id, a dot, and a secret)"
        )


class AlreadyAnsweredError(SurveyTokenError):
    """The invitation was answered already: a token is good for one answer."""

    def __init__(self, invitation_id: str) -> None:
        super().__init__(
            f"invitation {invitation_id!r} was answered already and a survey token works "
            "once; show the customer a 'thank you, we have your answer' page"
        )
        self.invitation_id = invitation_id


class InvitationExpiredError(SurveyTokenError):
    """The invitation expired before it was answered."""

    def __init__(self, invitation_id: str, expired_at: str) -> None:
        super().__init__(
            f"invitation {invitation_id!r} expired at {expired_at}; an answer after expiry "
            "is not counted (record it with desk.surveys.record_answer() if you must keep it)"
        )
        self.invitation_id = invitation_id


class InvitationWithdrawnError(SurveyTokenError):
    """The invitation was withdrawn (its case reopened, or the host withdrew it)."""

    def __init__(self, invitation_id: str, why: str) -> None:
        super().__init__(
            f"invitation {invitation_id!r} was withdrawn ({why}); the customer may be "
            "invited again once the loop is closed"
        )
        self.invitation_id = invitation_id


class DuplicateExternalIdError(ConcurrencyError):
    """Feedback with this external id already made a different case."""

    def __init__(self, case_id: str, external_id: str) -> None:
        ClosedLoopError.__init__(
            self,
            f"external id {external_id!r} already belongs to another case than {case_id!r}; "
            f"look it up with find_by_external_id() instead of opening a new case",
        )
        self.case_id = case_id
        self.external_id = external_id
        self.expected = 0
        self.actual = None


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
