"""The optional store roles for running closedloop in production: the figures of
``desk.health()`` and the tenants a store holds. Re-exported by :mod:`closedloop.ports`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from closedloop.domain.health import HealthFigures

__all__ = ["HealthStorage", "StoreOverview"]


@runtime_checkable
class HealthStorage(Protocol):
    """Optional: the figures of ``desk.health()`` counted from indexes (``SQLiteStore``,
    ``PostgresStore`` and ``InMemoryStore`` have it). Without it the Desk reads them
    through the other roles, which is slower: it reads every pending message, dead letter
    and due case.

    An implementor guarantees (``docs/storage.md``), R13: the figures of the store's tenant
    at ``now``, equal to what the other roles say (the conformance kit compares them), each
    counted without reading the records themselves.
    """

    def health_figures(self, now: datetime) -> HealthFigures:
        """The outbox backlog and its most overdue attempt, the dead letters, the oldest
        unanswered case, and the cases due before ``now`` with the earliest deadline."""
        ...


@runtime_checkable
class StoreOverview(Protocol):
    """Optional: what a database holds, at a glance: its tenants, for jobs that run over
    every tenant (``closedloop sweep --all-tenants``), and the span of a tenant's activity,
    for a report's default period (``SQLiteStore``, ``PostgresStore`` and ``InMemoryStore``
    have it).

    An implementor guarantees (``docs/storage.md``), R14: both answer like the in-memory
    store, from indexes.
    """

    def tenants(self) -> Sequence[str]:
        """Every tenant holding a case, an invitation, a customer or an outbox message, in
        code-point order, whichever tenant this store is bound to. (Under PostgreSQL
        row-level security, only those the database lets this role see.)"""
        ...

    def activity(self) -> tuple[datetime, datetime] | None:
        """When this tenant's activity began and last happened: the earliest ``opened_at``
        of its cases and the latest time of any of their events; None if it has no case."""
        ...
