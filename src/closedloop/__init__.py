"""closedloop: make helpdesks, CRMs and survey tools close the loop on customer feedback.

Start with :class:`Desk`; read ``docs/`` for the concepts.
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from closedloop.domain.case import Case
from closedloop.domain.change import Change
from closedloop.domain.channel import Channel
from closedloop.domain.errors import (
    CaseNotFoundError,
    ClosedLoopError,
    ConcurrencyError,
    LifecycleDefinitionError,
    LifecycleError,
    NaiveDatetimeError,
    NotFoundError,
    ScoreError,
    StepNotAllowedError,
    StepRefusedError,
    UnknownChannelError,
    ValidationError,
)
from closedloop.domain.feedback import Feedback, FeedbackKind
from closedloop.domain.lifecycle import Stage, Step
from closedloop.domain.notification import Notification
from closedloop.domain.priority import Priority
from closedloop.ports import CaseStore, Clock, Notifier
from closedloop.service.desk import Desk
from closedloop.service.dispatch import DispatchReport
from closedloop.service.policy import Policy
from closedloop.service.templates import Templates

try:
    __version__ = _version("closedloop")
except _PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "Case",
    "CaseNotFoundError",
    "CaseStore",
    "Change",
    "Channel",
    "Clock",
    "ClosedLoopError",
    "ConcurrencyError",
    "Desk",
    "DispatchReport",
    "Feedback",
    "FeedbackKind",
    "LifecycleDefinitionError",
    "LifecycleError",
    "NaiveDatetimeError",
    "NotFoundError",
    "Notification",
    "Notifier",
    "Policy",
    "Priority",
    "ScoreError",
    "Stage",
    "Step",
    "StepNotAllowedError",
    "StepRefusedError",
    "Templates",
    "UnknownChannelError",
    "ValidationError",
    "__version__",
]
