"""Use cases for who is who: handles linked to customers, merges and unmerges."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.change import CustomerChange
from closedloop.domain.checks import instant, require_key, require_new_key, shown
from closedloop.domain.customers import identity
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import CustomerNotFoundError, ValidationError
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.surveys.eligibility import Contact, SurveyRules
from closedloop.domain.surveys.invitation import Invitation
from closedloop.service.context import Context, not_before
from closedloop.service.lifecycle import retried

__all__ = [
    "asked_meanwhile",
    "cases_of_customer",
    "erased_recipient",
    "free_key",
    "handles_of",
    "handles_to_erase",
    "is_erased",
    "link",
    "merge",
    "require_handle",
    "survey_history",
    "unlink",
    "unmerge",
]


def link(ctx: Context, handles: Sequence[str], customer_id: str | None, by: str) -> Customer:
    """Link ``handles`` to ``customer_id`` (made if new), or to the customer one of them
    already belongs to, or to a new customer; read again and retried when another writer
    changed that customer meanwhile."""
    if not handles:
        raise ValidationError.of("handles", "link() needs at least one handle")
    for handle in handles:
        require_new_key("handles", require_key("handles", handle))
    if customer_id is not None:
        require_key("customer", customer_id)
    return retried(lambda: _link_once(ctx, handles, customer_id, by), _LINK_TRIES)


#: How often a link is read again and retried while other writers change the customer.
_LINK_TRIES = 20


def _link_once(ctx: Context, handles: Sequence[str], customer_id: str | None, by: str) -> Customer:
    current: Customer | None = None
    if customer_id is not None:
        try:
            current = ctx.store.customer(customer_id)
        except CustomerNotFoundError:
            current = None
    else:
        current = next(
            (c for c in (ctx.store.customer_of(h) for h in handles) if c is not None), None
        )
    now = identity.not_before(ctx.clock.now(), current)
    if current is None:
        made = identity.link(customer_id or ctx.new_id(), handles, at=now, by=by)
        ctx.commit_customers([CustomerChange(made, 0)])
        return made
    updated = identity.link(current, handles, at=now, by=by)
    if updated is not current:
        ctx.commit_customers([CustomerChange(updated, current.version)])
    return updated


def unlink(ctx: Context, customer_id: str, handle: str, by: str) -> Customer:
    """The customer without ``handle``, stamped no earlier than their record's last change
    nor the last event on their cases: what they wrote from it before the unlink stays
    theirs on their status page, whatever the clock did."""
    current = ctx.store.customer(require_key("customer", customer_id))
    now = not_before(identity.not_before(ctx.clock.now(), current),
                     *cases_of_customer(ctx, customer_id))  # fmt: skip
    updated = identity.unlink(current, handle, at=now, by=by)
    ctx.commit_customers([CustomerChange(updated, current.version)])
    return updated


def merge(ctx: Context, into: str, other: str, by: str) -> Customer:
    """``into`` after taking every handle of ``other`` (one commit)."""
    a, b = _two(ctx, into, other)
    merged, emptied = identity.merge(a, b, at=identity.not_before(ctx.clock.now(), a, b), by=by)
    ctx.commit_customers([CustomerChange(merged, a.version), CustomerChange(emptied, b.version)])
    return merged


def unmerge(ctx: Context, into: str, other: str, by: str) -> tuple[Customer, Customer]:
    """Undo the merge of ``other`` into ``into``: both customers after (one commit)."""
    a, b = _two(ctx, into, other)
    kept, restored = identity.unmerge(a, b, at=identity.not_before(ctx.clock.now(), a, b), by=by)
    ctx.commit_customers([CustomerChange(kept, a.version), CustomerChange(restored, b.version)])
    return kept, restored


def _two(ctx: Context, into: str, other: str) -> tuple[Customer, Customer]:
    return (
        ctx.store.customer(require_key("into", into)),
        ctx.store.customer(require_key("other", other)),
    )


def handles_of(ctx: Context, handle: str) -> frozenset[str]:
    """Every handle of the customer ``handle`` belongs to (just itself if unlinked)."""
    return handles_with(handle, ctx.store.customer_of(handle))


def handles_with(handle: str, found: Customer | None) -> frozenset[str]:
    """``handle`` and every handle of ``found``, the customer it belongs to (if any)."""
    return frozenset({handle}) if found is None else found.handles | {handle}


def handles_to_erase(ctx: Context, given: Sequence[str]) -> frozenset[str]:
    """The handles an erasure of ``given`` (handles, or customer ids) takes: those, every
    handle of their customers, and the handles unlinked from those customers that no other
    customer holds now."""
    if not all(isinstance(h, str) and h.strip() for h in given):
        raise ValidationError.of(
            "handles", f"erase() takes handles or customer ids (strings); got {given!r}"
        )
    records: dict[str, Customer] = {}
    for name in given:
        for found in (ctx.store.customer_of(name), _customer(ctx, name)):
            if found is not None:
                records[found.id] = found
                if found.merged_into is not None:  # its handles went there
                    into = _customer(ctx, found.merged_into)
                    records.update({} if into is None else {into.id: into})
    handles = set(given).union(*(c.handles for c in records.values()))
    for past in sorted({h for c in records.values() for e in c.events for h in e.handles}):
        owner = ctx.store.customer_of(past)
        if past not in handles and (owner is None or owner.id in records):
            handles.add(past)
    return frozenset(handles)


def erased_recipient(ctx: Context, notification: Notification) -> str | None:
    """Why a notification must not go out: it is addressed to the pseudonym of an erased
    customer (nobody is behind it). An outbox hook."""
    return "the customer was erased" if is_erased(ctx, notification.to) else None


def is_erased(ctx: Context, handle: str) -> bool:
    """True if ``handle`` is the pseudonym of an erased customer."""
    owner = ctx.store.customer_of(handle)
    return owner is not None and owner.is_erased(handle)


def require_handle(ctx: Context, customer: str) -> str:
    """``customer``, refused when it is a customer's id rather than one of their handles:
    no customer holds it as a handle, but one has it as id. (A handle may equal an id, as
    when a CRM keys customers by email address: then it is the handle.)"""
    if ctx.store.customer_of(customer) is None and _customer(ctx, customer) is not None:
        raise ValidationError.of(
            "customer",
            f"customer {shown(customer)} is a customer id, not a handle: give one of their "
            f"handles (desk.customers.get({shown(customer)}).handles lists them)",
        )
    return customer


def _customer(ctx: Context, customer_id: str) -> Customer | None:
    try:
        return ctx.store.customer(customer_id)
    except CustomerNotFoundError:
        return None


def _handles(ctx: Context, customer_or_handle: str) -> frozenset[str]:
    require_key("customer", customer_or_handle)  # every caller's argument is ``customer``
    try:
        return ctx.store.customer(customer_or_handle).handles
    except CustomerNotFoundError:
        return handles_of(ctx, customer_or_handle)


def cases_of_customer(ctx: Context, customer_or_handle: str) -> list[Case]:
    """Every case of every handle of a customer (by customer id, or by any handle),
    oldest first."""
    cases = [c for h in sorted(_handles(ctx, customer_or_handle)) for c in ctx.store.cases_of(h)]
    return sorted(cases, key=lambda c: (instant(c.opened_at), c.id))


def survey_history(ctx: Context, customer: str, contact: Contact | None = None) -> Contact:
    """The customer's survey history from the invitations of all their handles, merged
    with what the host knows (``contact``: opt-outs, snoozes, staff, other tools' surveys)."""
    base = contact if contact is not None else Contact()
    invited = dict(base.invited)
    answered = dict(base.answered)
    for i in invitations_of_customer(ctx, customer):
        name = i.survey.name
        if i.token_digests and i.reached_customer:
            invited[name] = _later(invited.get(name), i.created_at)
        if i.response is not None:
            answered[name] = _later(answered.get(name), i.response.received_at)
    return attrs.evolve(base, invited=invited, answered=answered)


def asked_meanwhile(ctx: Context, ours: Invitation, rules: SurveyRules) -> Invitation | None:
    """Another invitation that asks ``ours``'s customer within the cooldowns, stored since
    ``invite`` read their history (it checked the cooldowns then): of invitations committed
    at the same instant, each sees the others once all are stored, so none goes out twice
    (at worst both step back)."""
    now = instant(ours.created_at)
    for other in invitations_of_customer(ctx, ours.customer):
        if other.id == ours.id or not (other.token_digests and other.reached_customer):
            continue
        wait = rules.survey_cooldown if other.survey.name == ours.survey.name else rules.cooldown
        if abs(now - instant(other.created_at)) < wait:
            return other
    return None


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or instant(b) > instant(a) else a


def invitations_of_customer(ctx: Context, customer_or_handle: str) -> list[Invitation]:
    """Every survey invitation of every handle of a customer (by customer id, or by any
    handle), oldest first: cooldowns count them all."""
    handles = sorted(_handles(ctx, customer_or_handle))
    found = [i for h in handles for i in ctx.store.invitations_of(h)]
    return sorted(found, key=lambda i: (instant(i.created_at), i.id))


def free_key(
    ctx: Context, key_of: Callable[[int], str], handles: frozenset[str], known: Iterable[Case]
) -> str:
    """The key a customer's new case claims (one customer's writers racing to open the same
    case make the same): the first of ``key_of(0)``, ``key_of(1)``... that no case holds,
    or that a case of this customer (``handles``) holds which is not among ``known``
    (their cases as read), one a racing writer opened. A key another customer's case keeps
    (made of a handle since unlinked), or one of ``known`` keeps, is passed over."""
    seen = {c.id for c in known}
    n = 0
    while True:
        key = key_of(n)
        holder = ctx.store.find_by_external_id(key)
        if holder is None or (holder.customer in handles and holder.id not in seen):
            return key
        n += 1
