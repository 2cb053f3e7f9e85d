"""The read model in SQL, shared by the SQLite and PostgreSQL stores (the ReportStorage
role): the rows a case's facts become, and the ``GROUP BY`` queries a report runs.

Statements use ``?`` placeholders (PostgreSQL's adapter swaps them for ``%s``). Every case
has a ``case_facts`` row; ``basis`` '' marks its facts missing (a change without facts, an
erased case, a database migrated before back-filling). The child tables repeat the case's
``last_us`` and ``basis`` so a report reads each table once, without joins (the figures
per tag join ``fact_tags`` to the case's rows). An owner or team of none is stored as ''.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from closedloop.adapters.common import totals_for
from closedloop.adapters.rows import us
from closedloop.codec import dump_datetime, load_datetime
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.events import Kano
from closedloop.domain.customers.nolog import NoLogEntry
from closedloop.domain.reports.facts import AGE_BUCKETS, CaseFacts
from closedloop.domain.reports.totals import (
    CAUSE_EXAMPLES,
    NAMED_UNSETTLED,
    KpiTally,
    Totals,
    Waiter,
)
from closedloop.domain.standards.standard import Target

__all__ = [
    "CHILD_TABLES",
    "FACT_INSERTS",
    "Read",
    "Rows",
    "Stream",
    "fact_rows",
    "marker_rows",
    "missing_rows",
    "report_totals",
    "rows_for",
]

Rows = list[tuple[object, ...]]
#: Runs one query, returns its rows.
Read = Callable[[str, Sequence[object]], list[Any]]
#: Runs one query, yields its rows.
Stream = Callable[[str, Sequence[object]], Iterable[Any]]

CHILD_TABLES = ("fact_steps", "fact_causes", "fact_promises", "fact_declines", "fact_tags")
_CASE_COLUMNS = (
    "tenant, case_id, basis, opened_us, last_us, merged, channel, priority, kind, closed,"
    " ever_closed, reopened, by_time, by_customer, avoidable, hand_offs, channel_switches,"
    " repeat_contacts, repeats, ack_bucket, waiting, customer, subject, opened_at, owner, team"
)
#: The insert of each table, in the order :func:`fact_rows` returns their rows.
FACT_INSERTS = (
    f"INSERT INTO case_facts ({_CASE_COLUMNS}) VALUES ({', '.join('?' * 26)})",
    "INSERT INTO fact_steps (tenant, case_id, basis, last_us, at_us, seq, channel, priority,"
    " kind, target, label, met, took, owner, team)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO fact_causes (tenant, case_id, seq, basis, last_us, opened_us, at_us, cause,"
    " kano) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO fact_promises (tenant, case_id, seq, basis, last_us, due_us, kept_on_time,"
    " kept, announced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO fact_declines (tenant, case_id, seq, basis, last_us, at_us, category, asked,"
    " reason, by_whom, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO fact_tags (tenant, case_id, tag, basis, last_us) VALUES (?, ?, ?, ?, ?)",
)


def fact_rows(tenant: str, f: CaseFacts) -> tuple[Rows, ...]:
    """The rows of each table (``FACT_INSERTS``' order) holding the facts ``f``."""
    t, cid, b, last = tenant, f.case_id, f.basis, us(f.last_at)
    owner, team = f.attribution.owner or "", f.attribution.team or ""
    case: tuple[object, ...] = (
        t, cid, b, us(f.opened_at), last, int(f.merged), f.channel, f.priority, f.kind,
        int(f.closed), int(f.ever_closed), int(f.reopened), int(f.by_time),
        int(f.by_customer), int(f.avoidable), f.hand_offs, f.channel_switches,
        f.repeat_contacts, f.repeats, f.ack_bucket, int(f.waiting), f.customer, f.subject,
        dump_datetime(f.opened_at), owner, team,
    )  # fmt: skip
    # A merged case counts only for promises and the no log (as the fold does).
    steps: Rows = [
        (t, cid, b, last, us(m.at), n, f.channel, f.priority, f.kind, m.target.value, m.label,
         int(m.met), m.took, owner, team)
        for n, m in enumerate(() if f.merged else f.measurements)
    ]  # fmt: skip
    opened = us(f.opened_at)
    causes: Rows = [
        (t, cid, n, b, last, opened, us(c.at), c.cause, None if c.kano is None else c.kano.value)
        for n, c in enumerate(() if f.merged else f.causes)
    ]
    promises: Rows = [
        (t, cid, n, b, last, us(p.due_by), int(p.kept_on_time), int(p.kept), int(p.announced))
        for n, p in enumerate(f.promises)
    ]
    declines: Rows = [
        (t, cid, n, b, last, us(d.at), d.category, d.asked, d.reason, d.by, dump_datetime(d.at))
        for n, d in enumerate(f.declines)
    ]
    tags: Rows = [(t, cid, tag, b, last) for tag in f.attribution.tags]
    return [case], steps, causes, promises, declines, tags


def rows_for(tenant: str, case: Case, facts: CaseFacts | None) -> tuple[Rows, ...]:
    """The rows of ``case``'s ``facts``, or the rows marking them missing (None)."""
    return missing_rows(tenant, case) if facts is None else fact_rows(tenant, facts)


def missing_rows(tenant: str, case: Case) -> tuple[Rows, ...]:
    """The rows marking ``case``'s facts missing: a ``case_facts`` row of basis ''."""
    return marker_rows(tenant, case.id, us(case.opened_at), us(case.events[-1].at))


def marker_rows(tenant: str, case_id: str, opened_us: int, last_us: int) -> tuple[Rows, ...]:
    """The rows marking a case's facts missing, from its id and instants."""
    row = (
        tenant, case_id, "", opened_us, last_us, 0, "", "", "",
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, 0, None, None, None, "", "",
    )  # fmt: skip
    return [row], [], [], [], [], []


_K = TypeVar("_K")
_US = timedelta(microseconds=1)
_SETTLED = "tenant = ? AND basis = ? AND last_us < ?"
_ACTIVE = _SETTLED + " AND last_us >= ?"
# The case sections and the owners' and teams' at once: one pass over the period's cases
# (an owner is nearly always in one team, so hardly more rows than without them).
_CASES = f"""
    SELECT channel, priority, kind, o, ack_bucket, age, owner, team, COUNT(*), SUM(closed),
        SUM(ever_closed), SUM(reopened), SUM(CASE WHEN by_time + by_customer > 0 THEN 1 ELSE 0
        END), SUM(by_time), SUM(by_customer), SUM(avoidable), SUM(hand_offs),
        SUM(channel_switches), SUM(repeat_contacts), SUM(repeats)
    FROM (
        SELECT channel, priority, kind, owner, team, closed, ever_closed, reopened, by_time,
            by_customer, avoidable, hand_offs, channel_switches, repeat_contacts, repeats,
            CASE WHEN opened_us >= ? THEN 1 ELSE 0 END AS o,
            CASE WHEN opened_us >= ? THEN ack_bucket END AS ack_bucket,
            CASE WHEN waiting = 0 THEN NULL WHEN opened_us > ? THEN 0 WHEN opened_us > ? THEN 1
                WHEN opened_us > ? THEN 2 WHEN opened_us > ? THEN 3 ELSE 4 END AS age
        FROM case_facts WHERE {_ACTIVE} AND merged = 0
    ) AS active
    GROUP BY channel, priority, kind, o, ack_bucket, age, owner, team
"""
_WAITERS = f"""
    SELECT case_id, channel, customer, subject, opened_at, opened_us FROM case_facts
    WHERE waiting = 1 AND {_ACTIVE} AND merged = 0 ORDER BY opened_us, case_id LIMIT ?
"""
# Sorting the period's steps is the costly part of a report. They are sorted once, grouped
# by channel, priority and kind together (a CTE used three times is computed once, on
# SQLite and PostgreSQL alike); each kind of section regroups those groups, about a third as
# many rows. Handed to Python instead, the groups would be nearly a row per step: times
# spread over the histogram's thousands of buckets. The overall section is the sum of the
# channels' (each step has one channel). (PostgreSQL sums bigints as numeric: the casts keep
# them integers.)
_STEPS = f"""
    WITH grouped AS (
        SELECT took, channel, priority, kind, target, label, COUNT(*) AS n, SUM(met) AS met
        FROM fact_steps WHERE {_ACTIVE} AND at_us >= ? AND at_us < ?
        GROUP BY took, channel, priority, kind, target, label
    )
""" + " UNION ALL ".join(
    f"""
    SELECT '{group}', {group}, target, label, took, CAST(SUM(n) AS BIGINT),
        CAST(SUM(met) AS BIGINT)
    FROM grouped
    GROUP BY took, {group}, target, label
    """
    for group in ("channel", "priority", "kind")
)
# A case's tags, from its fact_tags rows (they repeat its basis and last_us).
_TAGGED = "t.tenant = ? AND t.basis = ? AND t.last_us < ? AND t.last_us >= ?"
_TAGS = f"""
    SELECT tag, o, COUNT(*), SUM(closed), SUM(ever_closed), SUM(reopened),
        SUM(CASE WHEN by_time + by_customer > 0 THEN 1 ELSE 0 END), SUM(by_time),
        SUM(by_customer), SUM(avoidable), SUM(hand_offs), SUM(channel_switches),
        SUM(repeat_contacts), SUM(repeats)
    FROM (
        SELECT t.tag, f.closed, f.ever_closed, f.reopened, f.by_time, f.by_customer,
            f.avoidable, f.hand_offs, f.channel_switches, f.repeat_contacts, f.repeats,
            CASE WHEN f.opened_us >= ? THEN 1 ELSE 0 END AS o
        FROM fact_tags AS t JOIN case_facts AS f
            ON f.tenant = t.tenant AND f.case_id = t.case_id
        WHERE {_TAGGED} AND f.merged = 0
    ) AS tagged
    GROUP BY tag, o
"""
# Steps by owner and team at once: an owner is nearly always in one team, so this returns
# hardly more rows than by owner alone, in one pass.
_PEOPLE_STEPS = f"""
    SELECT owner, team, target, label, took, COUNT(*), SUM(met) FROM fact_steps
    WHERE {_ACTIVE} AND at_us >= ? AND at_us < ? GROUP BY took, owner, team, target, label
"""
# From the period's tags to their cases' steps, in that order (SQLite keeps a CROSS JOIN's
# order): left to itself, without statistics, SQLite may walk every step of the period
# and look up its tags instead.
_TAG_STEPS = f"""
    SELECT t.tag, s.target, s.label, s.took, COUNT(*), SUM(s.met)
    FROM fact_tags AS t CROSS JOIN fact_steps AS s
    WHERE {_TAGGED} AND s.tenant = t.tenant AND s.case_id = t.case_id
        AND s.at_us >= ? AND s.at_us < ?
    GROUP BY s.took, t.tag, s.target, s.label
"""
_CAUSES = f"""
    SELECT cause, n, first, latest, case_id, opened_us, seq, kano FROM (
        SELECT cause, COUNT(*) OVER (PARTITION BY cause) AS n,
            ROW_NUMBER() OVER (PARTITION BY cause ORDER BY opened_us, case_id, seq) AS first,
            ROW_NUMBER() OVER (PARTITION BY cause, kano IS NULL
                ORDER BY opened_us DESC, case_id DESC, seq DESC) AS latest,
            case_id, opened_us, seq, kano
        FROM fact_causes WHERE {_ACTIVE} AND at_us >= ? AND at_us < ?
    ) AS named
    WHERE first <= ? OR (latest = 1 AND kano IS NOT NULL)
"""
_PROMISES = f"""
    SELECT COUNT(*), SUM(kept_on_time), SUM(kept - kept_on_time), SUM(1 - kept),
        SUM(announced * (1 - kept_on_time))
    FROM fact_promises WHERE {_SETTLED} AND due_us >= ? AND due_us < ?
"""
_DECLINES = f"""
    SELECT category, n, case_id, seq, at_us, asked, reason, by_whom, at FROM (
        SELECT category, COUNT(*) OVER (PARTITION BY category) AS n,
            ROW_NUMBER() OVER (PARTITION BY category ORDER BY at_us, case_id, seq) AS first,
            case_id, seq, at_us, asked, reason, by_whom, at
        FROM fact_declines WHERE {_SETTLED} AND at_us >= ? AND at_us < ?
    ) AS declined
    WHERE first <= ?
"""


# Every unsettled case at once, in the totals' snapshot: a case that changes while a report
# runs is then counted once, from its facts or replayed, never both.
_UNSETTLED_IDS = """
    SELECT case_id FROM case_facts
    WHERE tenant = ? AND opened_us < ? AND (last_us >= ? OR basis <> ?)
    ORDER BY opened_us, case_id LIMIT ?
"""


def report_totals(
    read: Read, stream: Stream, tenant: str, since: datetime, until: datetime, basis: str,
    oldest: int, examples: int,
) -> Totals:  # fmt: skip
    """The totals of ``[since, until)`` over the settled cases, from SQL aggregates (case
    ids order by code point: PostgreSQL's columns are ``COLLATE "C"``), with the ids of the
    unsettled ones read alongside; ``stream`` runs the queries whose rows may be many,
    handing them over as they come."""
    totals = totals_for(since, until, basis, oldest, examples)
    low, high = totals.low, totals.high
    active = (tenant, basis, high, low)
    ages = [high - below // _US for _, below in AGE_BUCKETS if below is not None]

    cases: dict[tuple[str, str, str], list[int]] = {}
    people: dict[tuple[str, str], list[int]] = {}
    for row in read(_CASES, (low, low, *ages, *active)):
        channel, priority, kind, o, ack, age, owner, team, n, *sums = row
        counts = [o * n, *(o * s for s in sums)]
        _sum_into(cases, (channel, priority, kind), counts)
        _sum_into(people, (owner, team), counts)
        if ack is not None:
            totals.add_ack(ack, n)
        if age is not None:
            totals.add_waiting(age, channel, n)
    for (channel, priority, kind), counts in cases.items():
        totals.add_sections(channel, priority, kind, counts)
    for (owner, team), counts in people.items():
        totals.add_section_to(("owner", owner), counts)
        totals.add_section_to(("team", team), counts)
    for case_id, channel, customer, subject, opened_at, opened_us in read(
        _WAITERS, (*active, oldest)
    ):
        waiter = Waiter(case_id, channel, customer, subject, load_datetime(opened_at))
        totals.add_waiter(opened_us, waiter)
    kpis = _Kpis(totals)
    for group, name, target, label, took, n, met in stream(_STEPS, (*active, low, high)):
        kpis.add(group, name, target, label, took, n, met)
        if group == "channel":
            kpis.add("", "", target, label, took, n, met)
    _attributed(read, stream, totals, active, kpis)
    for cause, n, first, latest, case_id, opened, seq, kano in read(
        _CAUSES, (*active, low, high, CAUSE_EXAMPLES)
    ):
        if cause not in totals.causes:
            totals.add_cause(cause, n)
        if first <= CAUSE_EXAMPLES:
            totals.add_cause_example(cause, (opened, case_id, seq), case_id)
        if latest == 1 and kano is not None:
            totals.add_cause_kano(cause, (opened, case_id, seq), Kano(kano))
    (due, on_time, late, still_open, told), *_ = read(_PROMISES, (tenant, basis, high, low, high))
    totals.add_promises(due, on_time or 0, late or 0, still_open or 0, told or 0)
    for category, n, case_id, seq, at_us, asked, reason, by, at in read(
        _DECLINES, (tenant, basis, high, low, high, examples)
    ):
        if category not in totals.declines:
            totals.add_declines(category, n)
        entry = NoLogEntry(case_id, asked, reason, load_datetime(at), by)
        totals.add_decline_example(category, (at_us, case_id, seq), entry)
    named = read(_UNSETTLED_IDS, (tenant, high, high, basis, NAMED_UNSETTLED + 1))
    totals.unsettled = [case_id for (case_id,) in named] if len(named) <= NAMED_UNSETTLED else None
    return totals


def _sum_into(sums: dict[_K, list[int]], key: _K, counts: list[int]) -> None:
    found = sums.setdefault(key, [0] * len(counts))
    for i, n in enumerate(counts):
        found[i] += n


def _attributed(
    read: Read, stream: Stream, totals: Totals, active: tuple[object, ...], kpis: _Kpis
) -> None:
    """The sections per tag, and the KPIs per owner, team and tag (see ``attributed``)."""
    low, high = totals.low, totals.high
    for tag, o, n, *sums in read(_TAGS, (low, *active)):
        totals.add_section_to(("tag", tag), [o * n, *(o * s for s in sums)])
    pairs: dict[tuple[str, str, str, str], tuple[KpiTally, KpiTally]] = {}
    for owner, team, target, label, took, n, met in stream(_PEOPLE_STEPS, (*active, low, high)):
        pair = pairs.get((owner, team, target, label))
        if pair is None:
            pair = pairs[owner, team, target, label] = (
                kpis.tally("owner", owner, target, label),
                kpis.tally("team", team, target, label),
            )
        for found in pair:
            found.measured += n
            found.met += met
            if took is not None:
                found.times.add_bucket(took, n)
    for tag, target, label, took, n, met in stream(_TAG_STEPS, (*active, low, high)):
        kpis.add("tag", tag, target, label, took, n, met)


class _Kpis:
    """Adds step rows to a report's tallies. Rows may be many (one per section, standard
    and minute taken), so the tallies are found by plain strings here, not through
    ``Totals.add_kpi_to``'s key holding an enum."""

    def __init__(self, totals: Totals) -> None:
        self.totals = totals
        self.targets = {t.value: t for t in Target}
        self.tallies: dict[tuple[str, str, str, str], KpiTally] = {}

    def tally(self, group: str, name: str, target: str, label: str) -> KpiTally:
        """The tally of a standard (by its target's value and label) in section (group,
        name)."""
        found = self.tallies.get((group, name, target, label))
        if found is None:
            found = self.tallies[group, name, target, label] = self.totals.tally(
                (group, name), self.targets[target], label
            )
        return found

    def add(
        self, group: str, name: str, target: str, label: str, took: int | None, n: int, met: int
    ) -> None:
        """Add ``n`` steps (``met`` of them met) of a standard to section (group, name)."""
        found = self.tally(group, name, target, label)
        found.measured += n
        found.met += met
        if took is not None:
            found.times.add_bucket(took, n)
