"""desk.queues.find over a big table: "list 50 open cases of one team, red first" through
``SQLiteStore.find_cases`` (and ``PostgresStore.find_cases`` when
CLOSEDLOOP_TEST_POSTGRES_DSN is set) against, as the baseline measured in the same run, the
raw indexed SQL query returning the same 50 rows, and that query with its snapshots decoded
into cases as ``find_cases`` does.

Builds N cases (half closed; 20 teams, 200 agents, 1% of the open ones red at NOW) straight
into closedloop's schema, each with the search columns a commit writes, then times the
first page and a later page (by cursor), and the same page as summaries
(``find_summaries``, what ``desk.queues.summaries`` calls). Target: within 2x of the raw
query; the summaries are also compared with the raw SQL of the very columns they read.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from bench_sqlite import NOW, TENANT, feedback

from closedloop.adapters.rows import us
from closedloop.adapters.sqlite import SQLiteStore
from closedloop.codec import dump_datetime, dump_snapshot, load_snapshot
from closedloop.domain.cases import steps as latte
from closedloop.domain.queues.query import CaseQuery, Order
from closedloop.domain.queues.rag import NO_DEADLINE

TEAM = "team-07"
_COLUMNS = (
    "tenant, id, version, customer, stage, opened_us, opened_at, due_us, due_at, acknowledged,"
    " closed, queue, queue_us, snapshot, owner, team, urgency, kind, channel, updated_us,"
    " amber_us, due_key, subject, tags"
)
_RAW = (
    "SELECT due_key, id, snapshot FROM {cases} {hint} WHERE tenant = {p} AND team = {p}"
    " AND closed = {no} ORDER BY due_key, id LIMIT 51"
)

#: The raw SQL of the columns a page of summaries reads (what SQL alone costs for them).
_RAW_COLUMNS = (
    "SELECT due_key, id, version, customer, stage, kind, urgency, channel, owner, team,"
    " opened_us, updated_us, amber_us, subject, tags FROM {cases} {hint}"
    " WHERE tenant = {p} AND team = {p} AND closed = {no} ORDER BY due_key, id LIMIT 51"
)


def _rows(n: int, seed: int = 7) -> Iterator[list[tuple[Any, ...]]]:
    """The ``cases`` rows, 100,000 at a time (ids ascending)."""
    template = latte.open_case("@ID@", feedback(0), at=NOW, due_at=NOW)
    snapshot = json.dumps(dump_snapshot(template))
    assert snapshot.count("@ID@") == 1
    head, tail = snapshot.split("@ID@")
    opened_at, rng, now = dump_datetime(NOW), random.Random(seed), us(NOW)
    hour = 3_600_000_000
    for start in range(0, n, 100_000):
        rows = []
        for i in range(start, min(start + 100_000, n)):
            case_id = f"{i:08d}{rng.getrandbits(64):016x}"
            closed = rng.random() < 0.5
            red = now - rng.randrange(1, 30 * 24) * hour
            later = now + rng.randrange(1, 30 * 24) * hour
            due = NO_DEADLINE if closed else red if rng.random() < 0.01 else later
            owner = None if rng.random() < 0.3 else f"agent-{rng.randrange(200)}"
            rows.append(
                (TENANT, case_id, 1, f"cust-{rng.randrange(50_000)}",
                 "closed" if closed else "listened", now, opened_at, None, None, 0, int(closed),
                 None if closed else "unanswered", None if closed else now,
                 head + case_id + tail, owner, f"team-{rng.randrange(20):02d}",
                 rng.randrange(4), "complaint", "email", now,
                 None if closed else due - hour, due, template.subject, "")
            )  # fmt: skip
        yield rows


def build_sqlite(path: Path, n: int) -> None:
    SQLiteStore(path).close()  # the schema
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = MEMORY")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -500000")
    db.execute("BEGIN IMMEDIATE")
    marks = ", ".join("?" * len(_COLUMNS.split(",")))
    for rows in _rows(n):
        db.executemany(f"INSERT INTO cases ({_COLUMNS}) VALUES ({marks})", rows)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def _decoded(rows: Sequence[tuple[Any, ...]]) -> list[Any]:
    """The rows' snapshots as cases (their histories never read), as find_cases does."""
    return [load_snapshot(json.loads(r[2]), lambda v: ()) for r in rows[:50]]


def _report(name: str, n: int, repeats: int, times: dict[str, float]) -> None:
    raw, decoded, ours = times["raw"], times["decoded"], times["find"]
    listed, raw_columns = times["summaries"], times["raw_columns"]
    print(f"queues ({name}): list 50 open cases of one team, red first, of {n:,} cases"
          f" (median of {repeats})")  # fmt: skip
    print(f"  baseline: raw indexed SQL, 50 rows        {raw * 1e3:9.3f} ms")
    print(f"  raw SQL + decoding the 50 snapshots        {decoded * 1e3:9.3f} ms")
    print(f"  raw SQL of the summaries' columns          {raw_columns * 1e3:9.3f} ms")
    print(f"  store.find_cases(team=..., RED_FIRST)      {ours * 1e3:9.3f} ms")
    print(f"  the same, a later page by cursor           {times['later'] * 1e3:9.3f} ms")
    print(f"  store.find_summaries (desk.queues.summaries) {listed * 1e3:7.3f} ms")
    print(
        f"  figure: summaries / raw SQL {listed / raw:.2f}x  (target within 2x);"
        f" summaries / raw SQL of the same columns {listed / raw_columns:.2f}x"
    )
    print(
        f"  figure: find (decoded cases) / raw SQL {ours / raw:.2f}x;"
        f" find / raw SQL + decoding {ours / decoded:.2f}x"
    )


def _times(
    store: Any, fetch: Callable[[], Any], fetch_columns: Callable[[], Any], after: str | None,
    repeats: int,
) -> dict[str, float]:  # fmt: skip
    """Each figure's median; interleaved, so that all meet the same cache and machine load."""
    query = CaseQuery(team=TEAM, order=Order.RED_FIRST)
    work = {
        "raw": fetch,
        "decoded": lambda: _decoded(fetch()),
        "raw_columns": fetch_columns,
        "find": lambda: store.find_cases(query, NOW, 50),
        "later": lambda: store.find_cases(query, NOW, 50, after),
        "summaries": lambda: store.find_summaries(query, NOW, 50),
    }
    runs: dict[str, list[float]] = {name: [] for name in work}
    for _ in range(repeats):
        for name, call in work.items():
            started = time.perf_counter()
            call()
            runs[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in runs.items()}


def bench_sqlite(quick: bool) -> None:
    n = 100_000 if quick else 1_000_000
    repeats = 5 if quick else 9
    query = CaseQuery(team=TEAM, order=Order.RED_FIRST)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "queues.db"
        started = time.perf_counter()
        build_sqlite(path, n)
        print(f"(built {n:,} cases in {time.perf_counter() - started:.0f} s)")
        raw_sql = _RAW.format(cases="cases", hint="INDEXED BY cases_find_team", p="?", no="0")
        raw = sqlite3.connect(path)
        fetch = lambda: raw.execute(raw_sql, (TENANT, TEAM)).fetchall()  # noqa: E731
        with SQLiteStore(path) as store:
            page = store.find_cases(query, NOW, 50)
            assert [c.id for c in page.cases] == [r[1] for r in fetch()[:50]]
            assert page.next is not None
            second = store.find_cases(query, NOW, 50, page.next)
            assert len(second.cases) == 50
            listed = store.find_summaries(query, NOW, 50)
            assert [s.id for s in listed.summaries] == [c.id for c in page.cases]
            columns_sql = _RAW_COLUMNS.format(
                cases="cases", hint="INDEXED BY cases_find_team", p="?", no="0"
            )
            fetch_columns = lambda: raw.execute(columns_sql, (TENANT, TEAM)).fetchall()  # noqa: E731
            times = _times(store, fetch, fetch_columns, page.next, repeats)
        raw.close()
    _report("SQLite", n, repeats, times)


def bench_postgres(dsn: str, quick: bool) -> None:
    import psycopg

    from closedloop.adapters.postgres import PostgresStore

    n = 100_000 if quick else 1_000_000
    repeats = 5 if quick else 9
    schema = f"bench_queues_{uuid.uuid4().hex[:8]}"
    query = CaseQuery(team=TEAM, order=Order.RED_FIRST)
    try:
        with PostgresStore(dsn, schema=schema) as made:
            made.migrate()  # the schema
        started = time.perf_counter()
        with psycopg.connect(dsn) as conn, conn.cursor() as cur:
            cols = _COLUMNS.replace(" ", "").split(",")
            keep = [i for i, c in enumerate(cols) if c not in ("opened_at", "due_at")]
            names = ", ".join(cols[i] for i in keep)
            flags = {cols.index("closed"), cols.index("acknowledged")}
            with cur.copy(f'COPY "{schema}".cases ({names}) FROM STDIN') as copy:
                for rows in _rows(n):
                    for row in rows:
                        copy.write_row([bool(row[i]) if i in flags else row[i] for i in keep])
            conn.commit()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'ANALYZE "{schema}".cases')
        print(f"(built {n:,} cases in PostgreSQL in {time.perf_counter() - started:.0f} s)")
        raw_sql = _RAW.format(cases=f'"{schema}".cases', hint="", p="%s", no="false")
        with PostgresStore(dsn, schema=schema) as store, psycopg.connect(dsn) as raw:
            fetch = lambda: raw.execute(raw_sql, (TENANT, TEAM)).fetchall()  # noqa: E731
            page = store.find_cases(query, NOW, 50)
            assert [c.id for c in page.cases] == [r[1] for r in fetch()[:50]]
            columns_sql = _RAW_COLUMNS.format(
                cases=f'"{schema}".cases', hint="", p="%s", no="false"
            )
            fetch_columns = lambda: raw.execute(columns_sql, (TENANT, TEAM)).fetchall()  # noqa: E731
            times = _times(store, fetch, fetch_columns, page.next, repeats)
        _report("PostgreSQL", n, repeats, times)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def run(quick: bool = False) -> None:
    bench_sqlite(quick)
    dsn = os.environ.get("CLOSEDLOOP_TEST_POSTGRES_DSN")
    if dsn:
        print()
        bench_postgres(dsn, quick)
    else:
        print("queues (PostgreSQL): skipped, set CLOSEDLOOP_TEST_POSTGRES_DSN to run it")
