"""What every use case needs, gathered once by the Desk."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from closedloop.ports import CaseStore, Clock, Notifier
from closedloop.service.policy import Policy

__all__ = ["Context"]


@attrs.frozen
class Context:
    """The store, notifier, clock, policy, id source and randomness a use case works with."""

    store: CaseStore
    notifier: Notifier
    clock: Clock
    policy: Policy
    new_id: Callable[[], str]
    random: Callable[[], float]
