"""The AgentStorage role in SQLite: agents' availability, the open cases each agent owns
(an index the unit of work keeps with every commit), and the teams' rotations, advanced in
the ``BEGIN IMMEDIATE`` transaction that commits the case they picked an owner for."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

from closedloop.adapters.agent_rows import check_after, check_turn, owned_rows
from closedloop.adapters.common import check_batch, check_key, check_keys, check_limit
from closedloop.adapters.rows import us
from closedloop.adapters.sqlite.connection import CHUNK, TenantView, run
from closedloop.codec import dump_datetime, load_datetime
from closedloop.domain.change import Change, Write
from closedloop.domain.checks import require_aware
from closedloop.domain.errors import ConcurrencyError

__all__ = ["AGENTS", "SQLiteAgents", "fill_agent_cases", "write_owners"]

#: The migration that adds the role's tables (appended to ``schema.MIGRATIONS``).
AGENTS: Final[tuple[str, ...]] = (
    # A row per agent marked away; away_us NULL: until they are back.
    """
    CREATE TABLE agents (
        tenant  TEXT NOT NULL,
        agent   TEXT NOT NULL,
        away_us INTEGER,
        away_at TEXT,
        PRIMARY KEY (tenant, agent)
    ) WITHOUT ROWID
    """,
    # A row per active case with an owner: "least open" counts it, "away" pages through it.
    """
    CREATE TABLE agent_cases (
        tenant  TEXT NOT NULL,
        case_id TEXT NOT NULL,
        owner   TEXT NOT NULL,
        PRIMARY KEY (tenant, case_id)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX agent_cases_owner ON agent_cases (tenant, owner, case_id)",
    """
    CREATE TABLE team_rotations (
        tenant TEXT    NOT NULL,
        team   TEXT    NOT NULL,
        turn   INTEGER NOT NULL,
        last   TEXT    NOT NULL,
        PRIMARY KEY (tenant, team)
    ) WITHOUT ROWID
    """,
)

_HELD = (
    "INSERT INTO agent_cases (tenant, case_id, owner) VALUES (?, ?, ?)"
    " ON CONFLICT (tenant, case_id) DO UPDATE SET owner = excluded.owner"
)
_DROPPED = "DELETE FROM agent_cases WHERE tenant = ? AND case_id = ?"


def write_owners(db: sqlite3.Connection, tenant: str, changes: Sequence[Change]) -> None:
    """Keep ``agent_cases`` in step with a commit's cases (in its transaction)."""
    held, dropped = owned_rows(changes)
    run(db, _HELD, [(tenant, case_id, owner) for case_id, owner in held])
    run(db, _DROPPED, [(tenant, case_id) for case_id in dropped])


def fill_agent_cases(db: sqlite3.Connection) -> None:
    """Index the owned open cases of an older database, by replaying them."""
    from closedloop.adapters.sqlite.backfill import replayed_in_chunks

    for tenant, cases in replayed_in_chunks(db, open_only=True):
        run(
            db,
            _HELD,
            [(tenant, c.id, c.owner) for c in cases if c.owner is not None and c.is_active],
        )


class SQLiteAgents(TenantView):
    """Availability and rotations in their tables; owned open cases from their index."""

    def _commit_in(self, db: sqlite3.Connection, changes: Sequence[Write]) -> None: ...

    def set_away(self, agent: str, until: datetime | None) -> None:
        """Mark ``agent`` away until ``until`` (None: until they are back)."""
        check_key("agent", agent)
        row = (None, None) if until is None else (us(require_aware("until", until)),
                                                   dump_datetime(until))  # fmt: skip
        with self._write() as db:
            db.execute(
                "INSERT INTO agents (tenant, agent, away_us, away_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (tenant, agent) DO UPDATE SET away_us = excluded.away_us,"
                " away_at = excluded.away_at",
                (self._tenant, agent, *row),
            )

    def set_back(self, agent: str) -> None:
        """Mark ``agent`` available again."""
        check_key("agent", agent)
        with self._write() as db:
            db.execute("DELETE FROM agents WHERE tenant = ? AND agent = ?", (self._tenant, agent))

    def away(self, agents: Sequence[str]) -> Mapping[str, datetime | None]:
        """Those of ``agents`` marked away, with when they are back."""
        names = check_keys("agents", agents)
        found: dict[str, datetime | None] = {}
        for start in range(0, len(names), CHUNK):
            some = names[start : start + CHUNK]
            for agent, at in self._read(
                f"SELECT agent, away_at FROM agents WHERE tenant = ? AND agent IN"
                f" ({', '.join('?' * len(some))})",
                (self._tenant, *some),
            ):
                found[agent] = None if at is None else load_datetime(at)
        return found

    def open_cases_of(self, owner: str, after: str = "", limit: int = 100) -> Sequence[str]:
        """The ids of the active cases ``owner`` owns, after ``after``, in code-point order."""
        rows = self._read(
            "SELECT case_id FROM agent_cases WHERE tenant = ? AND owner = ? AND case_id > ?"
            " ORDER BY case_id LIMIT ?",
            (self._tenant, check_key("owner", owner), check_after(after), check_limit(limit)),
        )
        return [row[0] for row in rows]

    def open_counts(self, owners: Sequence[str]) -> Mapping[str, int]:
        """How many active cases each of ``owners`` owns: a count over the owner index."""
        names = check_keys("owners", owners)
        counts = dict.fromkeys(names, 0)
        for start in range(0, len(names), CHUNK):
            some = names[start : start + CHUNK]
            counts.update(
                self._read(
                    "SELECT owner, count(*) FROM agent_cases WHERE tenant = ? AND owner IN"
                    f" ({', '.join('?' * len(some))}) GROUP BY owner",
                    (self._tenant, *some),
                )
            )
        return counts

    def rotation(self, team: str) -> tuple[int, str | None]:
        """How many turns the team's rotation has taken, and who was picked last."""
        rows = self._read(
            "SELECT turn, last FROM team_rotations WHERE tenant = ? AND team = ?",
            (self._tenant, check_key("team", team)),
        )
        return (rows[0][0], rows[0][1]) if rows else (0, None)

    def commit_turn(self, team: str, turn: int, owner: str, change: Write) -> None:
        """Commit ``change`` and advance the team's rotation from ``turn``, in one
        transaction (``BEGIN IMMEDIATE`` holds every other writer off until it ends)."""
        check_turn(team, turn, owner)
        check_batch((change,), "change")
        with self._write() as db:
            row = db.execute(
                "SELECT turn FROM team_rotations WHERE tenant = ? AND team = ?",
                (self._tenant, team),
            ).fetchone()
            at = 0 if row is None else row[0]
            if at != turn:
                raise ConcurrencyError(team, turn, at, record="rotation")
            db.execute(
                "INSERT INTO team_rotations (tenant, team, turn, last) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (tenant, team) DO UPDATE SET turn = excluded.turn,"
                " last = excluded.last",
                (self._tenant, team, turn + 1, owner),
            )
            self._commit_in(db, (change,))
