"""Helpers every store shares, so each adapter refuses bad input the same way.

Adapter authors may use them too: they are part of the public API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from closedloop.domain.cases.queues import Queue
from closedloop.domain.change import Change, CustomerChange, InvitationChange, Write
from closedloop.domain.checks import instant
from closedloop.domain.customers.erasure import ERASED_CUSTOMER, Erasure
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import ValidationError
from closedloop.domain.outbox.messages import OutboxMessage

__all__ = [
    "ERASED_CUSTOMER",
    "check_batch",
    "check_customer_batch",
    "check_limit",
    "check_queue",
    "check_tenant",
    "erased_customers",
    "erased_message",
    "instant",
    "split_batch",
]


def check_tenant(tenant: object) -> str:
    """A tenant is a non-empty string."""
    if not isinstance(tenant, str) or not tenant.strip():
        raise ValidationError(f"tenant must be a non-empty string, got {tenant!r}")
    return tenant


def check_limit(limit: object) -> int:
    """A query limit is a positive whole number."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError(f"limit must be a whole number of at least 1, got {limit!r}")
    return limit


def check_queue(queue: object) -> Queue:
    """A work queue is a :class:`~closedloop.Queue`."""
    if not isinstance(queue, Queue):
        names = ", ".join(f"Queue.{q.name}" for q in Queue)
        raise ValidationError(f"queue must be one of {names}, got {queue!r}")
    return queue


def check_batch(changes: Sequence[Write]) -> None:
    """A batch changes each case and each invitation at most once (fold several steps
    into one change), and holds only :class:`Change` and :class:`InvitationChange`."""
    seen: set[tuple[str, str]] = set()
    for change in changes:
        if isinstance(change, Change):
            key = ("case", change.case.id)
        elif isinstance(change, InvitationChange):
            key = ("invitation", change.invitation.id)
        else:
            raise ValidationError(
                f"a store commits Change and InvitationChange objects, got {change!r}"
            )
        if key in seen:
            raise ValidationError(
                f"a batch may change {key[0]} {key[1]!r} only once; "
                f"commit its latest state as one change"
            )
        seen.add(key)


def check_customer_batch(changes: Sequence[CustomerChange]) -> None:
    """Refuse a customer batch that is not a sequence of changes, names a customer twice,
    or gives one handle to two customers."""
    if isinstance(changes, CustomerChange) or not all(
        isinstance(c, CustomerChange) for c in changes
    ):
        raise ValidationError("commit_customers takes a list of CustomerChange")
    ids = [c.customer.id for c in changes]
    if len(set(ids)) != len(ids):
        raise ValidationError("a customer batch must change each customer once")
    handles = [h for c in changes for h in c.customer.handles]
    if len(set(handles)) != len(handles):
        raise ValidationError("a customer batch gives one handle to two customers")


def split_batch(changes: Sequence[Write]) -> tuple[list[Change], list[InvitationChange]]:
    """The case changes and the invitation changes of a batch, each in batch order."""
    cases = [c for c in changes if isinstance(c, Change)]
    invitations = [c for c in changes if isinstance(c, InvitationChange)]
    return cases, invitations


def erased_message(message: OutboxMessage, erasure: Erasure) -> OutboxMessage:
    """``erasure.message(message)``: an outbox message with the customer's details out;
    one still pending *to* the customer becomes a dead letter."""
    return erasure.message(message)


def erased_customers(
    erasure: Erasure,
    at: datetime,
    read: Callable[[str], Customer | None],
    owner_of: Callable[[str], Customer | None],
) -> list[tuple[str, Customer]]:
    """The customer records an erasure rewrites, each with the id it is stored under (a
    record whose id was one of the handles is stored under a new one: remove the old row
    and its handles, then store the new). ``read(id)`` reads a customer or gives None,
    ``owner_of(handle)`` is ``customer_of``; both run inside the store's transaction."""
    found: dict[str, Customer] = {}
    for name in sorted(erasure.handles | {erasure.pseudonym}):
        for customer in (read(name), owner_of(name)):
            if customer is not None:
                found.setdefault(customer.id, customer)
    for key in sorted(erasure.related(found.values())):
        customer = read(key)
        if customer is not None:
            found.setdefault(key, customer)
    return erasure.customers(found.values(), at)
