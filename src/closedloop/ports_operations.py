"""The optional store roles for running closedloop in production: the figures of
``desk.health()``, the tenants a store holds, and finding cases for work queues.
Re-exported by :mod:`closedloop.ports`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from closedloop.domain.health import HealthFigures
from closedloop.domain.queues.query import CasePage, CaseQuery
from closedloop.domain.queues.rag import RagTimes
from closedloop.domain.queues.summary import SummaryPage

__all__ = ["HealthStorage", "SearchesCases", "StoreOverview", "SummarisesCases"]


@runtime_checkable
class HealthStorage(Protocol):
    """Optional: the figures of ``desk.health()`` counted from indexes (``SQLiteStore``,
    ``PostgresStore`` and ``InMemoryStore`` have it). Without it the Desk reads them
    through the other roles, which is slower: it reads every pending message, dead letter
    and due case.

    An implementor guarantees (``docs/storage.md``), R13: the figures of the store's tenant
    at ``now``, equal to what the other roles say (the conformance kit compares them), each
    counted without reading the records themselves. R18: ``outbox_retrying`` and
    ``retrying_since``, the messages whose last delivery failed and the earliest time one
    was first due; a store that leaves them None (written before them) still works: the
    Desk then reads them through the outbox.
    """

    def health_figures(self, now: datetime) -> HealthFigures:
        """The outbox backlog and its most overdue attempt, the messages waiting for a
        retry, the dead letters, the oldest unanswered case, and the cases due before
        ``now`` with the earliest deadline."""
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


@runtime_checkable
class SearchesCases(Protocol):
    """Optional: finding cases by any mix of filters, in a named order, a page at a time
    (``desk.queues.find``; ``SQLiteStore``, ``PostgresStore`` and ``InMemoryStore`` have
    it). Without it ``desk.queues.find`` raises ``StorageError``: it never loads every case.

    An implementor guarantees (``docs/storage.md``), R15: the page the in-memory reference
    gives (``closedloop.domain.queues.matching``: the same cases in the same order, and the
    same ``next`` cursor), read from indexes; a change's ``rag`` instants are kept with the
    case (erasure keeps them) and its tags, fields and owner follow every commit.
    """

    def find_cases(
        self, query: CaseQuery, now: datetime, limit: int = 50, after: str | None = None
    ) -> CasePage:
        """The first ``limit`` cases ``query`` lists at ``now`` (its RAG filter is read at
        ``now``) in its order, after the case whose key cursor ``after`` carries."""
        ...

    def put_rag(self, times: Sequence[tuple[str, int, RagTimes | None]]) -> int:
        """Store ``(case_id, version, rag)`` outside a commit (a recomputation), each only
        if its case is still at ``version``; returns how many were stored."""
        ...


@runtime_checkable
class SummarisesCases(Protocol):
    """Optional, beside :class:`SearchesCases`: a page of a case list as summaries, read
    without decoding the cases (``desk.queues.summaries``; ``SQLiteStore``,
    ``PostgresStore`` and ``InMemoryStore`` have it). Without it the Desk summarises the
    cases ``find_cases`` returns, which decodes each one.

    An implementor guarantees (``docs/storage.md``), R17: the page of ``find_cases`` for
    the same arguments, each case as ``closedloop.domain.queues.summary.summarise`` gives
    it under the RAG instants the store keeps, with the same ``next`` cursor.
    """

    def find_summaries(
        self, query: CaseQuery, now: datetime, limit: int = 50, after: str | None = None
    ) -> SummaryPage:
        """The page ``find_cases`` would return, as summaries read at ``now``."""
        ...
