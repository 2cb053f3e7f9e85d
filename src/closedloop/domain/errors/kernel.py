"""The root error, bad input, lifecycle, lookups and concurrency."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from closedloop.domain.latte import Stage, Step

__all__ = [
    "CaseNotFoundError",
    "ClosedLoopError",
    "ConcurrencyError",
    "CustomerNotFoundError",
    "DuplicateExternalIdError",
    "HandleTakenError",
    "InvitationNotFoundError",
    "LifecycleDefinitionError",
    "LifecycleError",
    "MessageNotFoundError",
    "NaiveDatetimeError",
    "NotFoundError",
    "ScoreError",
    "StepNotAllowedError",
    "StepRefusedError",
    "UnknownChannelError",
    "ValidationError",
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
