"""The in-memory store's AgentStorage role: availability and rotations in dicts, open
cases counted by looking at every case, under the store's one lock."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, cast

from closedloop.adapters.agent_rows import check_after, check_turn
from closedloop.adapters.common import check_key, check_keys, check_limit
from closedloop.domain.cases.case import Case
from closedloop.domain.change import Write
from closedloop.domain.checks import require_aware
from closedloop.domain.errors import ConcurrencyError
from closedloop.ports import UnitOfWork

__all__ = ["MemoryAgents"]


class _Data(Protocol):
    lock: threading.RLock
    cases: dict[tuple[str, str], Case]
    agents: dict[tuple[str, str], datetime | None]
    rotations: dict[tuple[str, str], tuple[int, str]]


class MemoryAgents:
    """Every case is looked at: the reference the indexed stores are compared with."""

    _tenant: str
    _data: _Data

    def set_away(self, agent: str, until: datetime | None) -> None:
        """Mark ``agent`` away until ``until`` (None: until they are back)."""
        check_key("agent", agent)
        if until is not None:
            require_aware("until", until)
        with self._data.lock:
            self._data.agents[self._tenant, agent] = until

    def set_back(self, agent: str) -> None:
        """Mark ``agent`` available again."""
        check_key("agent", agent)
        with self._data.lock:
            self._data.agents.pop((self._tenant, agent), None)

    def away(self, agents: Sequence[str]) -> Mapping[str, datetime | None]:
        """Those of ``agents`` marked away, with when they are back."""
        names = check_keys("agents", agents)
        with self._data.lock:
            table = self._data.agents
            return {a: table[self._tenant, a] for a in names if (self._tenant, a) in table}

    def open_cases_of(self, owner: str, after: str = "", limit: int = 100) -> Sequence[str]:
        """The ids of the active cases ``owner`` owns, after ``after``, in code-point order."""
        check_key("owner", owner)
        check_limit(limit)
        check_after(after)
        return sorted(c.id for c in self._owned() if c.owner == owner and c.id > after)[:limit]

    def open_counts(self, owners: Sequence[str]) -> Mapping[str, int]:
        """How many active cases each of ``owners`` owns."""
        counts = dict.fromkeys(check_keys("owners", owners), 0)
        for case in self._owned():
            if case.owner in counts:
                counts[case.owner] += 1
        return counts

    def rotation(self, team: str) -> tuple[int, str | None]:
        """How many turns the team's rotation has taken, and who was picked last."""
        check_key("team", team)
        with self._data.lock:
            return self._data.rotations.get((self._tenant, team), (0, None))

    def commit_turn(self, team: str, turn: int, owner: str, change: Write) -> None:
        """Commit ``change`` and advance the team's rotation from ``turn``, atomically."""
        check_turn(team, turn, owner)
        data = self._data
        with data.lock:
            at, _ = data.rotations.get((self._tenant, team), (0, None))
            if at != turn:
                raise ConcurrencyError(team, turn, at, record="rotation")
            cast(UnitOfWork, self).commit_many((change,))  # the store's
            data.rotations[self._tenant, team] = (turn + 1, owner)

    def _owned(self) -> list[Any]:
        with self._data.lock:
            return [
                c
                for (t, _), c in self._data.cases.items()
                if t == self._tenant and c.owner is not None and c.is_active
            ]
