"""Customer effort: what a matter cost the customer, counted from its history."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.contact import ContactLogged, MessageReceived, Paused, Replied
from closedloop.domain.cases.events import (
    Acknowledged,
    ActionTaken,
    Assigned,
    AwaitingCustomer,
    CaseOpened,
    ChannelMoved,
    CustomerReplied,
    Declined,
    Event,
    Explained,
    MessageAdded,
    Thanked,
)
from closedloop.domain.cases.feedback import Feedback

__all__ = ["Effort", "EffortCount", "effort_of"]


@attrs.frozen
class Effort:
    """Effort signals of one case, counted from its history."""

    hand_offs: int = 0
    """Times the case moved from one owner to another."""
    channel_switches: int = 0
    """Times the conversation changed channel (the customer writing on another channel, or
    the case moved)."""
    repeat_contacts: int = 0
    """Times the customer wrote again before anyone answered."""
    repeats: int = 0
    """Messages the host flagged as the customer repeating themselves."""


# Staff spoke to the customer (a template or their own words).
_STAFF_CONTACT = (
    Acknowledged, ActionTaken, Declined, Thanked, Explained, AwaitingCustomer, Paused, Replied,
    ContactLogged,
)  # fmt: skip


@attrs.frozen
class EffortCount:
    """:func:`effort_of` as a fold over a case's events: the counts so far, and what the
    next event is judged against (the last owner, the conversation's channel, whether the
    customer's last word is unanswered)."""

    hand_offs: int = 0
    channel_switches: int = 0
    repeat_contacts: int = 0
    owner: str | None = None
    channel: Channel | None = None
    waiting: bool = False

    def after(self, events: Iterable[Event]) -> EffortCount:
        """The count once ``events`` followed the ones counted so far."""
        hand_offs, switches, repeat_contacts = (
            self.hand_offs, self.channel_switches, self.repeat_contacts,
        )  # fmt: skip
        owner, channel, waiting = self.owner, self.channel, self.waiting
        for event in events:
            if isinstance(event, CaseOpened):
                owner, channel, waiting = event.owner, event.feedback.channel, True
            elif isinstance(event, Assigned):  # back to the team's queue is no hand-off yet
                if event.owner is not None:
                    hand_offs += owner is not None and event.owner != owner
                    owner = event.owner
            elif isinstance(event, Acknowledged) and owner is None:
                owner = event.by
            elif isinstance(event, MessageAdded | MessageReceived | ChannelMoved):
                moved_to = (
                    event.channel if isinstance(event, ChannelMoved) else event.feedback.channel
                )
                switches += moved_to != channel
                channel = moved_to
                if isinstance(event, MessageAdded | MessageReceived):
                    repeat_contacts += waiting
                    waiting = True
            elif isinstance(event, CustomerReplied):
                waiting = True
            if isinstance(event, _STAFF_CONTACT):
                waiting = False
        return EffortCount(hand_offs, switches, repeat_contacts, owner, channel, waiting)

    def effort(self, messages: Iterable[Feedback]) -> Effort:
        """The effort signals counted, for a case with these messages."""
        return Effort(
            hand_offs=self.hand_offs,
            channel_switches=self.channel_switches,
            repeat_contacts=self.repeat_contacts,
            repeats=sum(1 for m in messages if m.repeated),
        )


def effort_of(events: Iterable[Event], messages: Iterable[Feedback]) -> Effort:
    """The effort signals of a case with these events and messages."""
    return EffortCount().after(events).effort(messages)
