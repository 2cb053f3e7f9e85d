"""The pure domain: cases, channels, feedback and the LATTE lifecycle. No I/O, no clock."""

from closedloop.domain.cases.case import Case, replay
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.declines import Decline
from closedloop.domain.cases.effort import Effort
from closedloop.domain.cases.events import (
    Acknowledged,
    ActionTaken,
    Assigned,
    CaseOpened,
    Declined,
    Event,
    Explained,
    Reopened,
    StepEvent,
    Thanked,
)
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle, Transition
from closedloop.domain.cases.priority import Priority
from closedloop.domain.cases.promises import Promise
from closedloop.domain.change import Change
from closedloop.domain.latte import Stage, Step
from closedloop.domain.outbox.notification import Notification

__all__ = [
    "LATTE",
    "Acknowledged",
    "ActionTaken",
    "Assigned",
    "Case",
    "CaseOpened",
    "Change",
    "Channel",
    "Decline",
    "Declined",
    "Effort",
    "Event",
    "Explained",
    "Feedback",
    "FeedbackKind",
    "Lifecycle",
    "Notification",
    "Priority",
    "Promise",
    "Reopened",
    "Stage",
    "Step",
    "StepEvent",
    "Thanked",
    "Transition",
    "replay",
]
