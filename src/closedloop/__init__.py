"""closedloop: make helpdesks, CRMs and survey tools close the loop on customer feedback.

Start with :class:`Desk`; read ``docs/`` for the concepts.
"""

import logging as _logging
from importlib import import_module as _import_module
from typing import TYPE_CHECKING as _TYPE_CHECKING

from closedloop.adapters.notify.signatures import WebhookDelivery, sign_webhook, verify_webhook
from closedloop.adapters.notify.webhook_feedback import feedback_from_webhook
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.contact import Pause, PausedSpan, WaitingOn
from closedloop.domain.cases.due import DueCase
from closedloop.domain.cases.events import Kano, Origin, OriginKind
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.cases.labels import FieldValue
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
    EmailFormatError,
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
    StatusLinkError,
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
from closedloop.domain.hostevents.envelope import HostEvent
from closedloop.domain.inbound import Attachment, Bounce, InboundEmail, Receipt, Received
from closedloop.domain.latte import Stage, Step
from closedloop.domain.limits import Limits
from closedloop.domain.outbox.messages import Delivery, OutboxMessage, RetryPolicy
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.portal import (
    CustomerView,
    ShowOwner,
    StatusEntry,
    StatusLinks,
    StatusPromise,
)
from closedloop.domain.queues.query import CasePage, CaseQuery, Order
from closedloop.domain.queues.rag import RagTimes
from closedloop.domain.queues.summary import CaseSummary, SummaryPage
from closedloop.domain.standards.calendar import BusinessCalendar, Window
from closedloop.domain.standards.escalation import TEAM_LEAD, Ladder, Rung
from closedloop.domain.standards.lateness import LateMode, Lateness
from closedloop.domain.standards.pauses import Silence
from closedloop.domain.standards.standard import Deadline, Rag, Standard, Standards, Target
from closedloop.domain.surveys.eligibility import Contact, Decision, Reason, SurveyRules
from closedloop.domain.surveys.invitation import Invitation, InvitationStatus, Response
from closedloop.domain.surveys.survey import Answer, Survey, SurveyKind
from closedloop.domain.teams.team import Assignment, AssignmentRule, Availability, Team
from closedloop.ports import CaseStore, Clock, Notifier
from closedloop.service.desk import Desk
from closedloop.service.dispatch import DispatchReport
from closedloop.service.invitations import Invited
from closedloop.service.policy import Policy
from closedloop.service.recovery import RecoveryReport
from closedloop.service.standards import SweepReport
from closedloop.service.subscription import EventHandler, Subscribe
from closedloop.service.templates import DateWords, Templates

if _TYPE_CHECKING:
    from closedloop.adapters.mail import feedback_from_email, read_email
    from closedloop.adapters.notify.router import NotifierRouter
    from closedloop.adapters.notify.smtp import SmtpNotifier
    from closedloop.adapters.notify.webhooks import WebhookNotifier
    from closedloop.adapters.postgres import PostgresStore
    from closedloop.adapters.sqlite import SQLiteStore

    __version__: str

#: Public names imported on first use, by the module that defines them: psycopg is an optional
#: extra, and a host that sends no e-mail, calls no webhook or keeps no SQLite file should not
#: pay for importing smtplib, email, ssl, urllib.request or sqlite3 (docs/operations.md).
_LAZY = {
    "PostgresStore": "closedloop.adapters.postgres",
    "SQLiteStore": "closedloop.adapters.sqlite",
    "SmtpNotifier": "closedloop.adapters.notify.smtp",
    "WebhookNotifier": "closedloop.adapters.notify.webhooks",
    "NotifierRouter": "closedloop.adapters.notify.router",
    "feedback_from_email": "closedloop.adapters.mail",
    "read_email": "closedloop.adapters.mail",
}


def __getattr__(name: str) -> object:
    if name == "__version__":  # importlib.metadata (and with it email) only when asked
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("closedloop")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            found = "0+unknown"
        globals()[name] = found
        return found
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module 'closedloop' has no attribute {name!r}")
    value = getattr(_import_module(home), name)
    globals()[name] = value  # the next lookup finds it without this function
    return value


# A library's loggers say nothing until the host configures logging (docs/operations.md).
_logging.getLogger("closedloop").addHandler(_logging.NullHandler())

__all__ = [
    "TEAM_LEAD",
    "AlreadyAnsweredError",
    "Answer",
    "Assignment",
    "AssignmentRule",
    "Attachment",
    "Availability",
    "Bounce",
    "BusinessCalendar",
    "Case",
    "CaseNotFoundError",
    "CasePage",
    "CaseQuery",
    "CaseStore",
    "CaseSummary",
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
    "CustomerView",
    "DateWords",
    "Deadline",
    "Decision",
    "Delivery",
    "Desk",
    "DispatchReport",
    "DueCase",
    "DuplicateExternalIdError",
    "EmailFormatError",
    "Erasure",
    "ErasurePendingError",
    "EventHandler",
    "Feedback",
    "FeedbackKind",
    "FieldValue",
    "HandleTakenError",
    "Health",
    "HealthFigures",
    "HealthStatus",
    "HealthThresholds",
    "HostEvent",
    "IdentityChange",
    "InboundEmail",
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
    "LateMode",
    "Lateness",
    "LifecycleDefinitionError",
    "LifecycleError",
    "Limits",
    "MessageNotFoundError",
    "NaiveDatetimeError",
    "NotFoundError",
    "Notification",
    "Notifier",
    "NotifierError",
    "NotifierRouter",
    "Order",
    "Origin",
    "OriginKind",
    "OutboxMessage",
    "Pause",
    "PausedSpan",
    "Policy",
    "PostgresStore",
    "Priority",
    "Queue",
    "Rag",
    "RagTimes",
    "Reason",
    "Receipt",
    "Received",
    "RecoveryReport",
    "Response",
    "RetryPolicy",
    "Rung",
    "SQLiteStore",
    "SchemaVersionError",
    "ScoreError",
    "ShowOwner",
    "Silence",
    "SmtpNotifier",
    "Stage",
    "Standard",
    "Standards",
    "StatusEntry",
    "StatusLinkError",
    "StatusLinks",
    "StatusPromise",
    "Step",
    "StepNotAllowedError",
    "StepRefusedError",
    "StorageError",
    "Subscribe",
    "SummaryPage",
    "Survey",
    "SurveyKind",
    "SurveyRules",
    "SurveyTokenError",
    "SweepReport",
    "Target",
    "Team",
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
    "feedback_from_email",
    "feedback_from_webhook",
    "pseudonym_for",
    "read_email",
    "sign_webhook",
    "verify_webhook",
]
