"""The AgentStorage role in PostgreSQL: agents' availability, the open cases each agent
owns (an index the unit of work keeps with every commit), and the teams' rotations. A turn
is taken by an ``UPDATE`` of the team's rotation row at the start of the transaction that
commits the case: the row stays locked until that commit, so concurrent intakes for one
team commit one after another, each after the turn before it, and a writer that read a
stale turn finds nothing to update and gets a ``ConcurrencyError``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from closedloop.adapters.agent_rows import check_after, check_turn
from closedloop.adapters.common import check_batch, check_key, check_keys, check_limit
from closedloop.adapters.postgres.connection import PostgresBase
from closedloop.adapters.rows import us
from closedloop.codec import dump_datetime, load_datetime
from closedloop.domain.change import Write
from closedloop.domain.checks import require_aware
from closedloop.domain.errors import ConcurrencyError

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresAgents"]


class PostgresAgents(PostgresBase):
    """Availability and rotations in their tables; owned open cases from their index."""

    def _prepared(self, changes: Sequence[Write]) -> Any: ...  # the unit of work's
    def _commit_in(self, cur: psycopg.Cursor[Any], prepared: Any) -> None: ...

    def set_away(self, agent: str, until: datetime | None) -> None:
        """Mark ``agent`` away until ``until`` (None: until they are back)."""
        check_key("agent", agent)
        row = (None, None) if until is None else (us(require_aware("until", until)),
                                                   dump_datetime(until))  # fmt: skip
        with self._tx() as cur:
            cur.execute(
                f"INSERT INTO {self._s}.agents (tenant, agent, away_us, away_at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (tenant, agent) DO UPDATE"
                " SET away_us = excluded.away_us, away_at = excluded.away_at",
                (self._tenant, agent, *row),
            )

    def set_back(self, agent: str) -> None:
        """Mark ``agent`` available again."""
        check_key("agent", agent)
        with self._tx() as cur:
            cur.execute(
                f"DELETE FROM {self._s}.agents WHERE tenant = %s AND agent = %s",
                (self._tenant, agent),
            )

    def away(self, agents: Sequence[str]) -> Mapping[str, datetime | None]:
        """Those of ``agents`` marked away, with when they are back."""
        names = check_keys("agents", agents)
        if not names:
            return {}
        rows = self._read(
            f"SELECT agent, away_at FROM {self._s}.agents WHERE tenant = %s AND agent = ANY(%b)",
            (self._tenant, names),
        )
        return {agent: None if at is None else load_datetime(at) for agent, at in rows}

    def open_cases_of(self, owner: str, after: str = "", limit: int = 100) -> Sequence[str]:
        """The ids of the active cases ``owner`` owns, after ``after``, in code-point order."""
        rows = self._read(
            f"SELECT case_id FROM {self._s}.agent_cases WHERE tenant = %s AND owner = %s"
            " AND case_id > %s ORDER BY case_id LIMIT %s",
            (self._tenant, check_key("owner", owner), check_after(after), check_limit(limit)),
        )
        return [row[0] for row in rows]

    def open_counts(self, owners: Sequence[str]) -> Mapping[str, int]:
        """How many active cases each of ``owners`` owns: a count over the owner index."""
        names = check_keys("owners", owners)
        counts = dict.fromkeys(names, 0)
        if names:
            counts.update(
                self._read(
                    f"SELECT owner, count(*) FROM {self._s}.agent_cases"
                    " WHERE tenant = %s AND owner = ANY(%b) GROUP BY owner",
                    (self._tenant, names),
                )
            )
        return counts

    def rotation(self, team: str) -> tuple[int, str | None]:
        """How many turns the team's rotation has taken, and who was picked last."""
        rows = self._read(
            f"SELECT turn, last FROM {self._s}.team_rotations WHERE tenant = %s AND team = %s",
            (self._tenant, check_key("team", team)),
        )
        return (rows[0][0], rows[0][1]) if rows else (0, None)

    def commit_turn(self, team: str, turn: int, owner: str, change: Write) -> None:
        """Commit ``change`` and advance the team's rotation from ``turn``, in one
        transaction that takes the rotation row's lock first."""
        check_turn(team, turn, owner)
        check_batch((change,), "change")
        s, t = self._s, self._tenant
        prepared = self._prepared((change,))
        with self._tx(pipelined=True) as cur:
            if turn == 0:
                cur.execute(
                    f"INSERT INTO {s}.team_rotations (tenant, team, turn, last)"
                    " VALUES (%s, %s, 1, %s) ON CONFLICT (tenant, team) DO NOTHING RETURNING turn",
                    (t, team, owner),
                )
            else:
                cur.execute(
                    f"UPDATE {s}.team_rotations SET turn = turn + 1, last = %s"
                    " WHERE tenant = %s AND team = %s AND turn = %s RETURNING turn",
                    (owner, t, team, turn),
                )
            if cur.fetchone() is None:
                row = cur.execute(
                    f"SELECT turn FROM {s}.team_rotations WHERE tenant = %s AND team = %s",
                    (t, team),
                ).fetchone()
                raise ConcurrencyError(
                    team, turn, None if row is None else row[0], record="rotation"
                )
            self._commit_in(cur, prepared)
