"""The SQLite tables of reports' read model (docs/insights.md)."""

from __future__ import annotations

from typing import Final

__all__ = ["ATTRIBUTION", "PROMISES_ANNOUNCED", "READ_MODEL", "TAG_STEPS"]

#: Reports' read model (docs/insights.md): each case's facts, written with every commit.
#: An older database's cases get rows marking their facts missing (``basis`` ''), so
#: reports replay them until ``closedloop facts`` back-fills them. Each table is kept in
#: the order a period reads it (by its instant, WITHOUT ROWID): a report over a year reads
#: the pages in order instead of looking up every row.
READ_MODEL: Final[tuple[str, ...]] = (
    """
    CREATE TABLE case_facts (
        tenant TEXT NOT NULL, case_id TEXT NOT NULL, basis TEXT NOT NULL,
        opened_us INTEGER NOT NULL, last_us INTEGER NOT NULL, merged INTEGER NOT NULL,
        channel TEXT NOT NULL, priority TEXT NOT NULL, kind TEXT NOT NULL,
        closed INTEGER NOT NULL, ever_closed INTEGER NOT NULL, reopened INTEGER NOT NULL,
        by_time INTEGER NOT NULL, by_customer INTEGER NOT NULL, avoidable INTEGER NOT NULL,
        hand_offs INTEGER NOT NULL, channel_switches INTEGER NOT NULL,
        repeat_contacts INTEGER NOT NULL, repeats INTEGER NOT NULL, ack_bucket INTEGER,
        waiting INTEGER NOT NULL, customer TEXT, subject TEXT, opened_at TEXT,
        PRIMARY KEY (tenant, last_us, case_id)
    ) WITHOUT ROWID
    """,
    "CREATE UNIQUE INDEX case_facts_case ON case_facts (tenant, case_id)",
    "CREATE INDEX case_facts_opened ON case_facts (tenant, opened_us, case_id, last_us, basis)",
    """
    CREATE INDEX case_facts_waiting ON case_facts (tenant, opened_us, case_id)
        WHERE waiting = 1
    """,
    """
    CREATE TABLE fact_steps (
        tenant TEXT NOT NULL, case_id TEXT NOT NULL, basis TEXT NOT NULL,
        last_us INTEGER NOT NULL, at_us INTEGER NOT NULL, seq INTEGER NOT NULL,
        channel TEXT NOT NULL, priority TEXT NOT NULL, kind TEXT NOT NULL,
        target TEXT NOT NULL, label TEXT NOT NULL, met INTEGER NOT NULL, took INTEGER,
        PRIMARY KEY (tenant, at_us, case_id, seq)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX fact_steps_case ON fact_steps (tenant, case_id)",
    """
    CREATE TABLE fact_causes (
        tenant TEXT NOT NULL, case_id TEXT NOT NULL, seq INTEGER NOT NULL,
        basis TEXT NOT NULL, last_us INTEGER NOT NULL, opened_us INTEGER NOT NULL,
        at_us INTEGER NOT NULL, cause TEXT NOT NULL, kano TEXT,
        PRIMARY KEY (tenant, at_us, case_id, seq)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX fact_causes_case ON fact_causes (tenant, case_id)",
    """
    CREATE TABLE fact_promises (
        tenant TEXT NOT NULL, case_id TEXT NOT NULL, seq INTEGER NOT NULL,
        basis TEXT NOT NULL, last_us INTEGER NOT NULL, due_us INTEGER NOT NULL,
        kept_on_time INTEGER NOT NULL, kept INTEGER NOT NULL,
        PRIMARY KEY (tenant, due_us, case_id, seq)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX fact_promises_case ON fact_promises (tenant, case_id)",
    """
    CREATE TABLE fact_declines (
        tenant TEXT NOT NULL, case_id TEXT NOT NULL, seq INTEGER NOT NULL,
        basis TEXT NOT NULL, last_us INTEGER NOT NULL, at_us INTEGER NOT NULL,
        category TEXT NOT NULL, asked TEXT NOT NULL, reason TEXT NOT NULL,
        by_whom TEXT NOT NULL, at TEXT NOT NULL,
        PRIMARY KEY (tenant, at_us, case_id, seq)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX fact_declines_case ON fact_declines (tenant, case_id)",
    """
    INSERT INTO case_facts
    SELECT tenant, id, '', opened_us, COALESCE((SELECT MAX(at_us) FROM events
            WHERE events.tenant = cases.tenant AND events.case_id = cases.id), opened_us),
        0, '', '', '', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0, NULL, NULL, NULL
    FROM cases
    """,
)

#: Whether the customer was told a missed promise was late (``Policy.lateness``): a later
#: migration. Promises recorded before it were never announced, so 0 is right for them.
PROMISES_ANNOUNCED: Final[tuple[str, ...]] = (
    "ALTER TABLE fact_promises ADD COLUMN announced INTEGER NOT NULL DEFAULT 0",
)

#: Whom each case counts for in the KPIs per agent, team and tag (issue 19): the owner and
#: team on the case's facts and its steps ('' for none), its tags in ``fact_tags``. Facts
#: written before it lack them, so every case's facts are marked missing (reports replay
#: the cases, right but slower, until ``closedloop facts`` back-fills them).
ATTRIBUTION: Final[tuple[str, ...]] = (
    "ALTER TABLE case_facts ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE case_facts ADD COLUMN team TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE fact_steps ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE fact_steps ADD COLUMN team TEXT NOT NULL DEFAULT ''",
    """
    CREATE TABLE fact_tags (
        tenant TEXT NOT NULL, case_id TEXT NOT NULL, tag TEXT NOT NULL,
        basis TEXT NOT NULL, last_us INTEGER NOT NULL,
        PRIMARY KEY (tenant, last_us, case_id, tag)
    ) WITHOUT ROWID
    """,
    "CREATE UNIQUE INDEX fact_tags_case ON fact_tags (tenant, case_id, tag)",
    "DELETE FROM fact_steps",
    "DELETE FROM fact_causes",
    "DELETE FROM fact_promises",
    "DELETE FROM fact_declines",
    "UPDATE case_facts SET basis = ''",
)

#: A case's steps with what a report per tag reads of them (joined from ``fact_tags``) in the
#: index by case, so the join reads no row of the table: over a year of a million cases,
#: half the time of that query.
TAG_STEPS: Final[tuple[str, ...]] = (
    "DROP INDEX fact_steps_case",
    """
    CREATE INDEX fact_steps_case
        ON fact_steps (tenant, case_id, at_us, target, label, took, met)
    """,
)
