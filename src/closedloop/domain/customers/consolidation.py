"""Consolidation: when new feedback joins a customer's open case instead of opening one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.cases.queues import Queue
from closedloop.domain.checks import instant, is_a, positive_duration

__all__ = ["Consolidation", "matching_case", "matter_of"]


@attrs.frozen
class Consolidation:
    """When feedback joins an open case of the same customer as a new message.

    By default only feedback carrying a ``matter_key`` joins: the open case whose messages
    carry the same key, if the customer last wrote on it less than ``within`` ago (7 days),
    or whenever it comes while the case waits for the customer's answer, or while the
    customer still waits for ours (a case nobody answered is never left behind).
    ``without_key=True`` also lets feedback with no key join the customer's one open case
    of the same kind, when there is exactly one (a looser rule: two different matters may
    then share a case, which a merge cannot undo as cleanly as a split).
    """

    within: timedelta = attrs.field(default=timedelta(days=7), validator=positive_duration)
    """How long after the customer last wrote on a case new feedback may still join it."""
    without_key: bool = attrs.field(default=False, validator=is_a(bool))
    """Whether feedback without a `matter_key` may join the customer's one open case of its kind."""

    def applies(self, feedback: Feedback) -> bool:
        """Whether ``feedback`` may join a case at all under this rule."""
        return feedback.matter_key is not None or self.without_key


#: Queues of a case whose customer still waits for our answer.
_OWED = frozenset({Queue.UNANSWERED, Queue.AWAITING_REPLY})


def _recent(case: Case, feedback: Feedback, within: timedelta) -> bool:
    # Either way round: of two messages sent at once, the later-stamped may be read first.
    last = max(instant(m.received_at) for m in case.messages)
    return abs(instant(feedback.received_at) - last) < within


def matching_case(
    feedback: Feedback, open_cases: Iterable[Case], rule: Consolidation
) -> Case | None:
    """The open case ``feedback`` joins under ``rule``, if any (the most recent match)."""
    key = feedback.matter_key
    live: list[Case] = []  # written on lately, or waiting for the customer
    owed: list[Case] = []  # otherwise still owed our answer
    for c in open_cases:
        if not c.is_active:
            continue
        if c.awaiting_customer or _recent(c, feedback, rule.within):
            live.append(c)
        elif c.queue in _OWED:
            owed.append(c)
    if key is not None:  # the matter still owed our answer, however long ago they wrote
        same = [c for c in live + owed if any(m.matter_key == key for m in c.messages)]
        return max(same, key=lambda c: instant(c.opened_at), default=None)
    if rule.without_key:
        same_kind = [c for c in live if c.kind is feedback.kind]
        return same_kind[0] if len(same_kind) == 1 else None
    return None


def matter_of(feedback: Feedback, cases: Iterable[Case], rule: Consolidation) -> tuple[str, int]:
    """The matter ``feedback`` is on under ``rule`` (its key, or with ``without_key`` its
    kind), and how many of ``cases`` were on it: what the key a new case for it claims is
    made of (see ``docs/customers.md``), so that two writers that read the same cases make
    the same key."""
    key = feedback.matter_key
    if key is not None or not rule.without_key:
        return f"key={key}", sum(1 for c in cases if any(m.matter_key == key for m in c.messages))
    return f"kind={feedback.kind.value}", sum(1 for c in cases if c.kind is feedback.kind)
