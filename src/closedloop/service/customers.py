"""Customers (``desk.customers``): one person behind many handles, and erasure."""

from __future__ import annotations

import secrets

from closedloop.domain.cases.case import Case
from closedloop.domain.checks import require_key
from closedloop.domain.customers.erasure import Erasure, pseudonym_for
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import ValidationError
from closedloop.service import identity
from closedloop.service.context import Context
from closedloop.service.logs import customers as log

__all__ = ["Customers"]


class Customers:
    """The people behind the handles (email addresses, phone numbers, social handles, CRM
    ids), reached as ``desk.customers``. Every change is recorded in the customer's
    history; a merge can be undone."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def link(self, *handles: str, customer: str | None = None, by: str) -> Customer:
        """Link handles to one customer: ``customer`` (your own id; made if new), else the
        customer one of them already belongs to, else a new one. Feedback from any linked
        handle reaches the same customer. A handle of another customer raises
        :class:`~closedloop.HandleTakenError`: merge the two instead."""
        linked = identity.link(self._ctx, handles, customer, by)
        log.debug("%d handles linked to a customer", len(handles), extra=self._about(linked))
        return linked

    def unlink(self, customer: str, handle: str, *, by: str) -> Customer:
        """Take ``handle`` away from ``customer``."""
        return identity.unlink(self._ctx, customer, handle, by)

    def merge(self, into: str, other: str, *, by: str) -> Customer:
        """Two records were one person: ``into`` takes every handle of ``other`` (which
        keeps its history, marked merged). :meth:`unmerge` undoes it."""
        merged = identity.merge(self._ctx, into, other, by)
        log.info("two customers merged", extra=self._about(merged))
        return merged

    def unmerge(self, into: str, other: str, *, by: str) -> tuple[Customer, Customer]:
        """Undo a merge: ``other`` gets back the handles the merge moved."""
        kept, restored = identity.unmerge(self._ctx, into, other, by)
        log.info("a merge undone", extra=self._about(restored))
        return kept, restored

    def get(self, customer: str) -> Customer:
        """A customer by id; raises :class:`~closedloop.CustomerNotFoundError`."""
        return self._ctx.store.customer(require_key("customer", customer))

    def of_handle(self, handle: str) -> Customer | None:
        """The customer ``handle`` is linked to, if any."""
        return self._ctx.store.customer_of(handle)

    def cases(self, customer: str) -> list[Case]:
        """Every case of every handle of a customer (by id, or by any of their handles),
        oldest first."""
        return identity.cases_of_customer(self._ctx, customer)

    def erase(self, *handles: str, pseudonym: str | None = None) -> Erasure:
        """Erase a customer: every handle given (their email addresses, phone numbers, or
        customer id), every handle linked to the same customer, and the handles unlinked
        from them that nobody else holds, and what they wrote, go from every record that
        names them, replaced by a pseudonym; counts and timings stay, so reports do not
        change. Nothing is sent to the pseudonym, and their open survey invitations are
        withdrawn. Other customers' records are left as they are, except a message the
        customer wrote that was added or merged into another's case. The default
        pseudonym is salted with 128 random bits, so it cannot be recomputed from a known
        address (nor from the Desk's ids, which a host may make sequential). Returns the
        erasure done (its pseudonym included).

        See docs/customers.md, "Erasure", for exactly what goes and what stays."""
        ctx = self._ctx
        if not handles:
            raise ValidationError.of("handles", "customers.erase() needs at least one handle")
        for handle in handles:
            require_key("handles", handle)
        everyone = identity.handles_to_erase(ctx, handles)
        if pseudonym is None:
            pseudonym = pseudonym_for(handles[0], salt=_salt())
        erasure = Erasure(everyone, pseudonym)
        require_key("pseudonym", erasure.pseudonym)  # the store looks it up as a handle
        ctx.store.erase(erasure, ctx.clock.now())
        log.info(
            "a customer erased: %d handles", len(everyone),
            extra={"tenant": ctx.store.tenant, "handles": len(everyone)},
        )  # fmt: skip
        return erasure

    def _about(self, customer: Customer) -> dict[str, object]:
        # Not the customer's id: a host may use an address as its customer ids.
        return {"tenant": self._ctx.store.tenant, "handles": len(customer.handles)}


def _salt() -> str:
    return secrets.token_hex(16)
