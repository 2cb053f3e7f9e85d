"""The optional store role for teams (``desk.teams``): agents' availability, the open
cases each agent owns, and each team's round-robin rotation, advanced in the same
transaction as the case it picked an owner for. Re-exported by :mod:`closedloop.ports`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from closedloop.domain.change import Write

__all__ = ["AgentStorage"]


@runtime_checkable
class AgentStorage(Protocol):
    """Optional: what teams and assignment rules need from a store (``SQLiteStore``,
    ``PostgresStore`` and ``InMemoryStore`` have it). Without it the Desk refuses automatic
    assignment rules and ``desk.teams.away``.

    An implementor guarantees (``docs/storage.md``), R16: availability reads back as set;
    ``open_cases_of`` and ``open_counts`` answer from the committed cases (an owned case
    counts while it is active: not closed, not merged), from an index, never by reading
    every case; ``commit_turn`` commits its change and advances the team's rotation from
    ``turn`` in one transaction, or raises ``ConcurrencyError`` and stores nothing — so the
    owners of a team's commits follow the rotation in commit order; all of it per tenant.
    """

    def set_away(self, agent: str, until: datetime | None) -> None:
        """Mark ``agent`` away until ``until`` (None: until :meth:`set_back`)."""
        ...

    def set_back(self, agent: str) -> None:
        """Mark ``agent`` available again (nothing happens if they were not away)."""
        ...

    def away(self, agents: Sequence[str]) -> Mapping[str, datetime | None]:
        """Those of ``agents`` marked away, each with when they are back (None: until they
        say so); an agent never marked away, or back, is left out."""
        ...

    def open_cases_of(self, owner: str, after: str = "", limit: int = 100) -> Sequence[str]:
        """The ids of the active cases ``owner`` owns, in code-point order, from the first
        after ``after``: a page of at most ``limit``."""
        ...

    def open_counts(self, owners: Sequence[str]) -> Mapping[str, int]:
        """How many active cases each of ``owners`` owns (0 for none)."""
        ...

    def rotation(self, team: str) -> tuple[int, str | None]:
        """The team's rotation: how many turns it has taken, and who was picked last
        (``(0, None)`` for a team never picked for)."""
        ...

    def commit_turn(self, team: str, turn: int, owner: str, change: Write) -> None:
        """Commit ``change`` (as :meth:`~closedloop.ports.UnitOfWork.commit`) and advance
        the team's rotation to ``turn + 1`` with ``owner`` picked last, in one transaction,
        if the rotation is still at ``turn``; otherwise raise
        :class:`~closedloop.ConcurrencyError` and store nothing."""
        ...
