"""closedloop: make helpdesks, CRMs and survey tools close the loop on customer feedback.

Start with :class:`Desk`; read ``docs/`` for the concepts.
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version
from typing import TYPE_CHECKING as _TYPE_CHECKING

from closedloop.adapters.notify.signatures import WebhookDelivery, sign_webhook, verify_webhook
from closedloop.adapters.notify.smtp import SmtpNotifier
from closedloop.adapters.notify.webhook_feedback import feedback_from_webhook
from closedloop.adapters.notify.webhooks import WebhookNotifier
from closedloop.adapters.sqlite import SQLiteStore
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.contact import Pause, WaitingOn
from closedloop.domain.cases.due import DueCase
from closedloop.domain.cases.events import Kano, Origin, OriginKind
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.cases.priority import Priority
from closedloop.domain.cases.queues import Queue
from closedloop.domain.change import Change, CustomerChange, InvitationChange
from closedloop.domain.customers.consolidation import Consolidation
from closedloop.domain.customers.erasure import Erasure, pseudonym_for
from closedloop.domain.customers.identity import Customer, CustomerEvent, IdentityChange
from closedloop.domain.errors import (
    AlreadyAnsweredError,
    CaseNotFoundError,
    ClosedLoopError,
    ConcurrencyError,
    CustomerNotFoundError,
    DuplicateExternalIdError,
    ErasurePendingError,
    HandleTakenError,
    InvalidTokenError,
    InvitationExpiredError,
    InvitationNotFoundError,
    InvitationWithdrawnError,
    LifecycleDefinitionError,
    LifecycleError,
    MessageNotFoundError,
    NaiveDatetimeError,
    NotFoundError,
    NotifierError,
    SchemaVersionError,
    ScoreError,
    StepNotAllowedError,
    StepRefusedError,
    StorageError,
    SurveyTokenError,
    UndeliverableError,
    UnknownChannelError,
    UnreadableRecordError,
    ValidationError,
    WebhookError,
    WebhookPayloadError,
    WebhookSignatureError,
    WebhookTimestampError,
)
from closedloop.domain.health import (
    Health,
    HealthFigures,
    HealthStatus,
    HealthThresholds,
    Threshold,
)
from closedloop.domain.latte import Stage, Step
from closedloop.domain.limits import Limits
from closedloop.domain.outbox.messages import Delivery, OutboxMessage, RetryPolicy
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.standards.calendar import BusinessCalendar, Window
from closedloop.domain.standards.escalation import Ladder, Rung
from closedloop.domain.standards.pauses import Silence
from closedloop.domain.standards.standard import Deadline, Rag, Standard, Standards, Target
from closedloop.domain.surveys.eligibility import Contact, Decision, Reason, SurveyRules
from closedloop.domain.surveys.invitation import Invitation, InvitationStatus, Response
from closedloop.domain.surveys.survey import Answer, Survey, SurveyKind
from closedloop.ports import CaseStore, Clock, Notifier
from closedloop.service.desk import Desk
from closedloop.service.dispatch import DispatchReport
from closedloop.service.invitations import Invited
from closedloop.service.policy import Policy
from closedloop.service.recovery import RecoveryReport
from closedloop.service.standards import SweepReport
from closedloop.service.templates import Templates

if _TYPE_CHECKING:
    from closedloop.adapters.postgres import PostgresStore

#: Public names imported on first use (their dependencies are optional extras).
_LAZY = ("PostgresStore",)


def __getattr__(name: str) -> object:
    # PostgresStore is public, but psycopg is an optional extra: import it on first use.
    if name == "PostgresStore":
        from closedloop.adapters.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module 'closedloop' has no attribute {name!r}")


try:
    __version__ = _version("closedloop")
except _PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "AlreadyAnsweredError",
    "Answer",
    "BusinessCalendar",
    "Case",
    "CaseNotFoundError",
    "CaseStore",
    "Change",
    "Channel",
    "Clock",
    "ClosedLoopError",
    "ConcurrencyError",
    "Consolidation",
    "Contact",
    "Customer",
    "CustomerChange",
    "CustomerEvent",
    "CustomerNotFoundError",
    "Deadline",
    "Decision",
    "Delivery",
    "Desk",
    "DispatchReport",
    "DueCase",
    "DuplicateExternalIdError",
    "Erasure",
    "ErasurePendingError",
    "Feedback",
    "FeedbackKind",
    "HandleTakenError",
    "Health",
    "HealthFigures",
    "HealthStatus",
    "HealthThresholds",
    "IdentityChange",
    "InvalidTokenError",
    "Invitation",
    "InvitationChange",
    "InvitationExpiredError",
    "InvitationNotFoundError",
    "InvitationStatus",
    "InvitationWithdrawnError",
    "Invited",
    "Kano",
    "Ladder",
    "LifecycleDefinitionError",
    "LifecycleError",
    "Limits",
    "MessageNotFoundError",
    "NaiveDatetimeError",
    "NotFoundError",
    "Notification",
    "Notifier",
    "NotifierError",
    "Origin",
    "OriginKind",
    "OutboxMessage",
    "Pause",
    "Policy",
    "PostgresStore",
    "Priority",
    "Queue",
    "Rag",
    "Reason",
    "RecoveryReport",
    "Response",
    "RetryPolicy",
    "Rung",
    "SQLiteStore",
    "SchemaVersionError",
    "ScoreError",
    "Silence",
    "SmtpNotifier",
    "Stage",
    "Standard",
    "Standards",
    "Step",
    "StepNotAllowedError",
    "StepRefusedError",
    "StorageError",
    "Survey",
    "SurveyKind",
    "SurveyRules",
    "SurveyTokenError",
    "SweepReport",
    "Target",
    "Templates",
    "Threshold",
    "UndeliverableError",
    "UnknownChannelError",
    "UnreadableRecordError",
    "ValidationError",
    "WaitingOn",
    "WebhookDelivery",
    "WebhookError",
    "WebhookNotifier",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "WebhookTimestampError",
    "Window",
    "__version__",
    "feedback_from_webhook",
    "pseudonym_for",
    "sign_webhook",
    "verify_webhook",
]
