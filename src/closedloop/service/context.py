"""What every use case needs, gathered once by the Desk, and the hooks between areas."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.change import Write
from closedloop.domain.outbox.notification import Notification
from closedloop.ports import CaseStore, Clock, Notifier
from closedloop.service.policy import Policy

__all__ = ["Context", "Hooks"]

#: More writes to commit with a step, from the case before and after it (and the time).
StepHook = Callable[["Context", Case, Case, datetime], Sequence[Write]]
#: Why a claimed notification must not go out (None: it may).
SendHook = Callable[["Context", Notification], str | None]
#: What to record once a notification was delivered.
DeliveredHook = Callable[["Context", Notification], None]


@attrs.frozen
class Hooks:
    """How one area reacts to another's work without importing it.

    The Desk registers them when it is built: surveys withdraw their invitations when a
    step reopens a case (``on_step``), and the outbox asks surveys whether an invitation
    must be withheld (``withhold``) and tells them when it went (``on_delivered``).
    """

    on_step: tuple[StepHook, ...] = ()
    withhold: tuple[SendHook, ...] = ()
    on_delivered: tuple[DeliveredHook, ...] = ()


@attrs.frozen
class Context:
    """The store, notifier, clock, policy, id source and randomness a use case works with."""

    store: CaseStore
    notifier: Notifier
    clock: Clock
    policy: Policy
    new_id: Callable[[], str]
    random: Callable[[], float]
    hooks: Hooks = Hooks()
