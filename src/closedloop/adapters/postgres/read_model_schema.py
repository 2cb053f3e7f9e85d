"""The PostgreSQL tables of reports' read model (docs/insights.md): each case's facts,
written with every commit. An older database's cases are marked missing (basis ''), so
reports replay them until ``closedloop facts`` back-fills them."""

from __future__ import annotations

from typing import Final

__all__ = ["ATTRIBUTION", "PROMISES_ANNOUNCED", "READ_MODEL"]

#: The migration step adding the read model; ``{s}`` is the schema.
READ_MODEL: Final[tuple[str, ...]] = (
    """
    CREATE TABLE {s}.case_facts (
        tenant text COLLATE "C" NOT NULL, case_id text COLLATE "C" NOT NULL,
        basis text NOT NULL, opened_us bigint NOT NULL, last_us bigint NOT NULL,
        merged integer NOT NULL, channel text NOT NULL, priority text NOT NULL,
        kind text NOT NULL, closed integer NOT NULL, ever_closed integer NOT NULL,
        reopened integer NOT NULL, by_time integer NOT NULL, by_customer integer NOT NULL,
        avoidable integer NOT NULL, hand_offs integer NOT NULL,
        channel_switches integer NOT NULL, repeat_contacts integer NOT NULL,
        repeats integer NOT NULL, ack_bucket integer, waiting integer NOT NULL,
        customer text COLLATE "C", subject text, opened_at text,
        PRIMARY KEY (tenant, case_id)
    )
    """,
    "CREATE INDEX case_facts_last ON {s}.case_facts (tenant, basis, last_us)",
    """
    CREATE INDEX case_facts_opened
        ON {s}.case_facts (tenant, opened_us, case_id, last_us, basis)
    """,
    """
    CREATE INDEX case_facts_waiting ON {s}.case_facts (tenant, opened_us, case_id)
        WHERE waiting = 1
    """,
    """
    CREATE TABLE {s}.fact_steps (
        tenant text COLLATE "C" NOT NULL, case_id text COLLATE "C" NOT NULL,
        basis text NOT NULL, last_us bigint NOT NULL, at_us bigint NOT NULL,
        channel text NOT NULL, priority text NOT NULL, kind text NOT NULL,
        target text NOT NULL, label text NOT NULL, met integer NOT NULL, took integer,
        seq integer NOT NULL
    )
    """,
    "CREATE INDEX fact_steps_at ON {s}.fact_steps (tenant, at_us)",
    "CREATE INDEX fact_steps_case ON {s}.fact_steps (tenant, case_id)",
    """
    CREATE TABLE {s}.fact_causes (
        tenant text COLLATE "C" NOT NULL, case_id text COLLATE "C" NOT NULL,
        seq integer NOT NULL, basis text NOT NULL, last_us bigint NOT NULL,
        opened_us bigint NOT NULL, at_us bigint NOT NULL, cause text NOT NULL, kano text,
        PRIMARY KEY (tenant, case_id, seq)
    )
    """,
    "CREATE INDEX fact_causes_at ON {s}.fact_causes (tenant, at_us)",
    """
    CREATE TABLE {s}.fact_promises (
        tenant text COLLATE "C" NOT NULL, case_id text COLLATE "C" NOT NULL,
        seq integer NOT NULL, basis text NOT NULL, last_us bigint NOT NULL,
        due_us bigint NOT NULL, kept_on_time integer NOT NULL, kept integer NOT NULL,
        PRIMARY KEY (tenant, case_id, seq)
    )
    """,
    "CREATE INDEX fact_promises_due ON {s}.fact_promises (tenant, due_us)",
    """
    CREATE TABLE {s}.fact_declines (
        tenant text COLLATE "C" NOT NULL, case_id text COLLATE "C" NOT NULL,
        seq integer NOT NULL, basis text NOT NULL, last_us bigint NOT NULL,
        at_us bigint NOT NULL, category text NOT NULL, asked text NOT NULL,
        reason text NOT NULL, by_whom text NOT NULL, at text NOT NULL,
        PRIMARY KEY (tenant, case_id, seq)
    )
    """,
    "CREATE INDEX fact_declines_at ON {s}.fact_declines (tenant, at_us)",
    """
    INSERT INTO {s}.case_facts
    SELECT tenant, id, '', opened_us, COALESCE((SELECT MAX(at_us) FROM {s}.events AS e
            WHERE e.tenant = c.tenant AND e.case_id = c.id), opened_us),
        0, '', '', '', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0, NULL, NULL, NULL
    FROM {s}.cases AS c
    """,
)

#: Whether the customer was told a missed promise was late (``Policy.lateness``): a later
#: migration. Promises recorded before it were never announced, so 0 is right for them.
PROMISES_ANNOUNCED: Final[tuple[str, ...]] = (
    "ALTER TABLE {s}.fact_promises ADD COLUMN announced integer NOT NULL DEFAULT 0",
)

#: Whom each case counts for in the KPIs per agent, team and tag (issue 19): the owner and
#: team on the case's facts and its steps ('' for none), its tags in ``fact_tags``. Facts
#: written before it lack them, so every case's facts are marked missing (reports replay
#: the cases, right but slower, until ``closedloop facts`` back-fills them).
ATTRIBUTION: Final[tuple[str, ...]] = (
    "ALTER TABLE {s}.case_facts ADD COLUMN owner text COLLATE \"C\" NOT NULL DEFAULT ''",
    "ALTER TABLE {s}.case_facts ADD COLUMN team text COLLATE \"C\" NOT NULL DEFAULT ''",
    "ALTER TABLE {s}.fact_steps ADD COLUMN owner text COLLATE \"C\" NOT NULL DEFAULT ''",
    "ALTER TABLE {s}.fact_steps ADD COLUMN team text COLLATE \"C\" NOT NULL DEFAULT ''",
    """
    CREATE TABLE {s}.fact_tags (
        tenant text COLLATE "C" NOT NULL, case_id text COLLATE "C" NOT NULL,
        tag text COLLATE "C" NOT NULL, basis text NOT NULL, last_us bigint NOT NULL,
        PRIMARY KEY (tenant, case_id, tag)
    )
    """,
    "CREATE INDEX fact_tags_last ON {s}.fact_tags (tenant, last_us)",
    "DELETE FROM {s}.fact_steps",
    "DELETE FROM {s}.fact_causes",
    "DELETE FROM {s}.fact_promises",
    "DELETE FROM {s}.fact_declines",
    "UPDATE {s}.case_facts SET basis = ''",
)
