"""The pure domain: cases, channels, feedback and the LATTE lifecycle. No I/O, no clock."""

from closedloop.domain.case import Case, replay
from closedloop.domain.change import Change
from closedloop.domain.channel import Channel
from closedloop.domain.events import (
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
from closedloop.domain.feedback import Feedback, FeedbackKind
from closedloop.domain.lifecycle import LATTE, Lifecycle, Stage, Step, Transition
from closedloop.domain.notification import Notification
from closedloop.domain.priority import Priority

__all__ = [
    "LATTE",
    "Acknowledged",
    "ActionTaken",
    "Assigned",
    "Case",
    "CaseOpened",
    "Change",
    "Channel",
    "Declined",
    "Event",
    "Explained",
    "Feedback",
    "FeedbackKind",
    "Lifecycle",
    "Notification",
    "Priority",
    "Reopened",
    "Stage",
    "Step",
    "StepEvent",
    "Thanked",
    "Transition",
    "replay",
]
