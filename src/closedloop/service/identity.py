"""Use cases for who is who: handles linked to customers, merges and unmerges."""

from __future__ import annotations

from collections.abc import Sequence

from closedloop.domain.cases.case import Case
from closedloop.domain.change import CustomerChange
from closedloop.domain.checks import instant, require_key
from closedloop.domain.customers import identity
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import CustomerNotFoundError, ValidationError
from closedloop.domain.surveys.invitation import Invitation
from closedloop.service.context import Context

__all__ = ["cases_of_customer", "handles_of", "link", "merge", "unlink", "unmerge"]


def link(ctx: Context, handles: Sequence[str], customer_id: str | None, by: str) -> Customer:
    """Link ``handles`` to ``customer_id`` (made if new), or to the customer one of them
    already belongs to, or to a new customer."""
    if not handles:
        raise ValidationError("link() needs at least one handle")
    for handle in handles:
        require_key("handles", handle)
    if customer_id is not None:
        require_key("customer", customer_id)
    now = ctx.clock.now()
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
    if current is None:
        made = identity.link(customer_id or ctx.new_id(), handles, at=now, by=by)
        ctx.commit_customers([CustomerChange(made, 0)])
        return made
    updated = identity.link(current, handles, at=now, by=by)
    if updated is not current:
        ctx.commit_customers([CustomerChange(updated, current.version)])
    return updated


def unlink(ctx: Context, customer_id: str, handle: str, by: str) -> Customer:
    """The customer without ``handle``."""
    current = ctx.store.customer(customer_id)
    updated = identity.unlink(current, handle, at=ctx.clock.now(), by=by)
    ctx.commit_customers([CustomerChange(updated, current.version)])
    return updated


def merge(ctx: Context, into: str, other: str, by: str) -> Customer:
    """``into`` after taking every handle of ``other`` (one commit)."""
    a, b = _two(ctx, into, other)
    merged, emptied = identity.merge(a, b, at=ctx.clock.now(), by=by)
    ctx.commit_customers([CustomerChange(merged, a.version), CustomerChange(emptied, b.version)])
    return merged


def unmerge(ctx: Context, into: str, other: str, by: str) -> tuple[Customer, Customer]:
    """Undo the merge of ``other`` into ``into``: both customers after (one commit)."""
    a, b = _two(ctx, into, other)
    kept, restored = identity.unmerge(a, b, at=ctx.clock.now(), by=by)
    ctx.commit_customers([CustomerChange(kept, a.version), CustomerChange(restored, b.version)])
    return kept, restored


def _two(ctx: Context, into: str, other: str) -> tuple[Customer, Customer]:
    return (
        ctx.store.customer(require_key("into", into)),
        ctx.store.customer(require_key("other", other)),
    )


def handles_of(ctx: Context, handle: str) -> frozenset[str]:
    """Every handle of the customer ``handle`` belongs to (just itself if unlinked)."""
    found = ctx.store.customer_of(handle)
    return frozenset({handle}) if found is None else found.handles | {handle}


def _handles(ctx: Context, customer_or_handle: str) -> frozenset[str]:
    try:
        return ctx.store.customer(customer_or_handle).handles
    except CustomerNotFoundError:
        return handles_of(ctx, customer_or_handle)


def cases_of_customer(ctx: Context, customer_or_handle: str) -> list[Case]:
    """Every case of every handle of a customer (by customer id, or by any handle),
    oldest first."""
    cases = [c for h in sorted(_handles(ctx, customer_or_handle)) for c in ctx.store.cases_of(h)]
    return sorted(cases, key=lambda c: (instant(c.opened_at), c.id))


def invitations_of_customer(ctx: Context, customer_or_handle: str) -> list[Invitation]:
    """Every survey invitation of every handle of a customer (by customer id, or by any
    handle), oldest first: cooldowns count them all."""
    handles = sorted(_handles(ctx, customer_or_handle))
    found = [i for h in handles for i in ctx.store.invitations_of(h)]
    return sorted(found, key=lambda i: (instant(i.created_at), i.id))
