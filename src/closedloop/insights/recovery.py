"""Recovery figures read from a store, one customer across their linked handles."""

from __future__ import annotations

import functools
from datetime import datetime

from closedloop.domain.standards.standard import Standards
from closedloop.domain.surveys.invitation import Invitation
from closedloop.domain.surveys.recovery import RecoveryFigures, recovery_figures
from closedloop.ports import CaseStore

__all__ = ["stored_recovery"]


def stored_recovery(
    store: CaseStore, since: datetime, until: datetime, standards: Standards
) -> RecoveryFigures:
    """The recovery figures of the answers received in ``[since, until)``: a detractor is
    a customer, whichever of their linked handles they answered from, and so is the next
    answer that wins them back."""

    @functools.cache
    def handles(handle: str) -> tuple[str, frozenset[str]]:
        customer = store.customer_of(handle)
        if customer is None:
            return handle, frozenset({handle})
        return f"customer:{customer.id}", customer.handles | {handle}

    def later(answer: Invitation) -> list[Invitation]:
        return [
            i
            for h in sorted(handles(answer.customer)[1])
            for i in store.invitations_of(h)
            if i.response is not None
        ]

    return recovery_figures(
        store.responses(since, until),
        case=store.get,
        later_answers=later,
        standards=standards,
        person=lambda handle: handles(handle)[0],
    )
