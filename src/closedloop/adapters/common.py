"""Helpers every store shares, so each adapter refuses bad input the same way.

Adapter authors may use them too: they are part of the public API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from closedloop.domain.cases.queues import Queue
from closedloop.domain.change import Change, CustomerChange, InvitationChange, Write
from closedloop.domain.checks import (
    MAX_LIMIT,
    instant,
    require_aware,
    require_count,
    require_duration,
    require_key,
    require_text,
    shown,
)
from closedloop.domain.customers.erasure import ERASED_CUSTOMER, Erasure
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import ValidationError
from closedloop.domain.limits import MAX_NOTIFICATION_KEY_BYTES
from closedloop.domain.outbox.messages import OutboxMessage
from closedloop.domain.reports.facts import CaseFacts
from closedloop.domain.reports.totals import Totals

__all__ = [
    "ERASED_CUSTOMER",
    "MAX_TENANT",
    "check_basis",
    "check_batch",
    "check_customer_batch",
    "check_error",
    "check_facts",
    "check_instant",
    "check_key",
    "check_keys",
    "check_lease",
    "check_limit",
    "check_message_key",
    "check_queue",
    "check_tenant",
    "erased_customers",
    "erased_message",
    "instant",
    "split_batch",
    "totals_for",
]

#: The longest tenant name: PostgreSQL indexes it with every key.
MAX_TENANT = 64


def check_tenant(tenant: object) -> str:
    """A tenant is one line of text, at most :data:`MAX_TENANT` characters."""
    return require_key("tenant", tenant, MAX_TENANT)


def check_limit(limit: object) -> int:
    """A query limit is a whole number from 1 to 100 000."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError.of(
            "limit",
            f"limit must be a whole number of at least 1 and at most {MAX_LIMIT}, got "
            f"{shown(limit)}; page through larger sets",
        )
    return limit


def check_key(field: str, value: object) -> str:
    """An id, a handle or an external id to look up: one line, at most 256 characters."""
    return require_key(field, value)


def check_keys(field: str, values: object) -> list[str]:
    """Ids to look up together, each checked like :func:`check_key`, repeats dropped."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ValidationError.of(field, f"{field} must be a list of ids, got {shown(values)}")
    return list(dict.fromkeys(check_key(field, value) for value in values))


def check_message_key(key: object) -> str:
    """An outbox message's key (a case id, a version, a purpose, maybe a recipient)."""
    return require_key("key", key, MAX_NOTIFICATION_KEY_BYTES)


def check_instant(field: str, value: object) -> datetime:
    """An aware datetime in the years closedloop takes (see ``require_aware``)."""
    return require_aware(field, value)


def check_lease(lease: object) -> timedelta:
    """A lease is a timedelta longer than zero and at most ten years."""
    return require_duration("lease", lease)


def check_error(error: object) -> str:
    """A delivery's last error: text every store keeps (no NUL, which PostgreSQL refuses)."""
    text = require_text("error", error)
    if "\x00" in text:
        raise ValidationError.of("error", "error holds a NUL character; remove it first")
    return text


def check_queue(queue: object) -> Queue:
    """A work queue is a :class:`~closedloop.Queue`."""
    if not isinstance(queue, Queue):
        names = ", ".join(f"Queue.{q.name}" for q in Queue)
        raise ValidationError.of("queue", f"queue must be one of {names}, got {queue!r}")
    return queue


def check_batch(changes: Sequence[Write], field: str = "changes") -> None:
    """A batch changes each case and each invitation at most once (fold several steps
    into one change), and holds only :class:`Change` and :class:`InvitationChange`
    (``field``: the argument that held them, ``change`` for a commit of one)."""
    if not isinstance(changes, Sequence) or isinstance(changes, str):
        raise ValidationError.of(
            "changes", f"a store commits a list of changes, got {shown(changes)}"
        )
    seen: set[tuple[str, str]] = set()
    for change in changes:
        if isinstance(change, Change):
            key = ("case", change.case.id)
        elif isinstance(change, InvitationChange):
            key = ("invitation", change.invitation.id)
        else:
            raise ValidationError.of(
                field,
                f"a store commits changes (Change and InvitationChange objects), got "
                f"{shown(change)}",
            )
        if key in seen:
            raise ValidationError.of(
                "changes",
                f"a batch may change {key[0]} {key[1]!r} only once; "
                f"commit its latest state as one change",
            )
        seen.add(key)


def check_customer_batch(changes: Sequence[CustomerChange]) -> None:
    """Refuse a customer batch that is not a sequence of changes, names a customer twice,
    or gives one handle to two customers."""
    if (
        not isinstance(changes, Sequence)
        or isinstance(changes, str)
        or not all(isinstance(c, CustomerChange) for c in changes)
    ):
        raise ValidationError.of("changes", "commit_customers takes a list of CustomerChange")
    ids = [c.customer.id for c in changes]
    if len(set(ids)) != len(ids):
        raise ValidationError.of("changes", "a customer batch must change each customer once")
    handles = [h for c in changes for h in c.customer.handles]
    if len(set(handles)) != len(handles):
        raise ValidationError.of("changes", "a customer batch gives one handle to two customers")


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


def totals_for(since: datetime, until: datetime, basis: str, oldest: int, examples: int) -> Totals:
    """Empty totals for a report, its arguments checked."""
    check_instant("since", since)
    check_instant("until", until)
    check_basis(basis)
    require_count("oldest", oldest)
    require_count("examples", examples)
    return Totals(since, until, oldest, examples)


def check_basis(basis: object) -> str:
    """``basis``, if it is text."""
    if not isinstance(basis, str):
        raise ValidationError.of("basis", f"basis must be text, got {type(basis).__name__}")
    return basis


def check_facts(facts: object) -> Sequence[CaseFacts]:
    """``facts``, if it is a sequence of CaseFacts."""
    if not isinstance(facts, list | tuple) or not all(isinstance(f, CaseFacts) for f in facts):
        raise ValidationError.of("facts", "facts must be a sequence of CaseFacts")
    return facts
