"""What a case's history records, read from its events: the channels the matter used, the
external ids of its own messages, and the requests declined on it and on the cases merged
into it (``Case.channels``, ``Case.external_ids`` and ``Case.declines``), which a split
hands on with the messages they belong to (:func:`carried`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set

from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.contact import MessageReceived
from closedloop.domain.cases.declines import Decline
from closedloop.domain.cases.events import (
    CaseOpened,
    CasesMerged,
    ChannelMoved,
    Declined,
    Event,
    MessageAdded,
    SplitOff,
)
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.checks import instant

__all__ = ["carried", "channels_in", "declines_in", "external_ids_in"]


def channels_in(events: Iterable[Event]) -> tuple[Channel, ...]:
    """Every channel the customer wrote on or the conversation was moved to, first use first."""
    used: dict[Channel, None] = {}
    for event in events:
        if isinstance(event, CaseOpened | MessageAdded | MessageReceived):
            used.setdefault(event.feedback.channel)
        elif isinstance(event, CasesMerged):
            for message in event.messages:
                used.setdefault(message.channel)
        elif isinstance(event, ChannelMoved):
            used.setdefault(event.channel)
    return tuple(used)


def external_ids_in(events: Iterable[Event]) -> tuple[str, ...]:
    """The external ids of the deliveries that made the case's own messages, and the key it
    claimed when it opened, each once. Messages a split brought keep theirs with the case
    they arrived on (``CaseOpened.brought``), as messages a merge brought do."""
    found: list[str | None] = []
    brought = 0  # messages still to come that a split brought
    for event in events:
        if isinstance(event, CaseOpened | MessageAdded | MessageReceived):
            if isinstance(event, CaseOpened):
                found.append(event.claim)
                brought = event.brought
            if brought:
                brought -= 1
            else:
                found.append(event.feedback.external_id)
    return tuple(dict.fromkeys(x for x in found if x is not None))


def declines_in(case_id: str, customer: str, events: Iterable[Event]) -> tuple[Decline, ...]:
    """The requests declined on case ``case_id`` (of ``customer``) and those a merge (or
    the split that opened it) brought as records, less those a split took on, oldest
    first."""
    found: list[Decline] = []
    for event in events:
        if isinstance(event, Declined):
            found.append(Decline(case_id, customer, event.at, event.by, event.reason,
                                 event.category, event.asked))  # fmt: skip
        elif isinstance(event, CasesMerged | CaseOpened):
            found.extend(event.declines)
        elif isinstance(event, SplitOff) and event.declines:
            gone = set(event.declines)
            found = [no for no in found if no not in gone]
    return tuple(sorted(found, key=lambda no: instant(no.at)))


def carried(
    case_id: str, declines: Iterable[Decline], messages: Sequence[Feedback], moved: Set[int]
) -> tuple[Decline, ...]:
    """The records of ``declines`` (of case ``case_id``) that go with the messages at
    positions ``moved`` when they are split off: those brought from other cases and said
    to a customer who wrote one of them and none of the messages that stay. The case's
    own declines are its steps, and stay."""
    staying = {m.customer for n, m in enumerate(messages) if n not in moved}
    going = {m.customer for n, m in enumerate(messages) if n in moved} - staying
    return tuple(no for no in declines if no.case_id != case_id and no.customer in going)
