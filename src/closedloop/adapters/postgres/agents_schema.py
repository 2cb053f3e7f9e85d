"""The PostgreSQL tables of the AgentStorage role (agents' availability, the owned open
cases, the teams' rotations), filling them for an older schema, and keeping the owned open
cases in step with each commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from closedloop.adapters.agent_rows import AGENT_TABLES, owned_rows
from closedloop.domain.change import Change

if TYPE_CHECKING:
    import psycopg

__all__ = ["AGENTS", "AGENT_TABLES", "fill_agent_cases", "write_owners"]

#: The migration that adds the role's tables (appended to ``schema.MIGRATIONS``).
AGENTS: Final[tuple[str, ...]] = (
    """
    CREATE TABLE {s}.agents (
        tenant  text COLLATE "C" NOT NULL,
        agent   text COLLATE "C" NOT NULL,
        away_us bigint,
        away_at text,
        PRIMARY KEY (tenant, agent)
    )
    """,
    """
    CREATE TABLE {s}.agent_cases (
        tenant  text COLLATE "C" NOT NULL,
        case_id text COLLATE "C" NOT NULL,
        owner   text COLLATE "C" NOT NULL,
        PRIMARY KEY (tenant, case_id)
    )
    """,
    "CREATE INDEX agent_cases_owner ON {s}.agent_cases (tenant, owner, case_id)",
    """
    CREATE TABLE {s}.team_rotations (
        tenant text COLLATE "C" NOT NULL,
        team   text COLLATE "C" NOT NULL,
        turn   integer NOT NULL,
        last   text COLLATE "C" NOT NULL,
        PRIMARY KEY (tenant, team)
    )
    """,
)


def write_owners(cur: psycopg.Cursor[Any], s: str, tenant: str, changes: Sequence[Change]) -> None:
    """Keep ``agent_cases`` in step with a commit's cases (in its transaction)."""
    held, dropped = owned_rows(changes)
    if held:
        cur.executemany(
            f"INSERT INTO {s}.agent_cases (tenant, case_id, owner) VALUES (%s, %s, %s)"
            " ON CONFLICT (tenant, case_id) DO UPDATE SET owner = excluded.owner",
            [(tenant, case_id, owner) for case_id, owner in held],
        )
    if dropped:
        cur.execute(
            f"DELETE FROM {s}.agent_cases WHERE tenant = %s AND case_id = ANY(%b)",
            (tenant, dropped),
        )


def fill_agent_cases(conn: psycopg.Connection[Any], s: str) -> None:
    """Index the owned open cases of an older schema, by replaying them."""
    from closedloop.adapters.postgres.backfill import replayed_in_chunks

    for tenant, cases in replayed_in_chunks(conn, s, open_only=True):
        owned = [(tenant, c.id, c.owner) for c in cases if c.owner is not None and c.is_active]
        if owned:
            conn.cursor().executemany(
                f"INSERT INTO {s}.agent_cases (tenant, case_id, owner) VALUES (%s, %s, %s)",
                owned,
            )
