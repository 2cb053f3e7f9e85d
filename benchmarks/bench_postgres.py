"""PostgresStore against raw psycopg doing the same work on the same schema, in the same run.

Needs CLOSEDLOOP_TEST_POSTGRES_DSN (skipped with a message otherwise). Each side gets its own
fresh schema; the raw side's parameters are serialised outside the timing, so the ratios
show everything closedloop adds. Sweep throughput runs 1, 2 and 4 worker processes over the
same number of overdue cases.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pg_recording
from bench_sqlite import (
    NOW,
    acknowledged,
    dumps,
    feedback,
    get_figures,
    opened,
    print_get,
    us,
    with_history,
)

from closedloop import Desk
from closedloop.adapters.postgres import PostgresStore
from closedloop.codec import dump_datetime, dump_event, dump_notification
from closedloop.domain.change import Change
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier

TENANT = "default"


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def schema() -> str:
    return f"closedloop_bench_{uuid.uuid4().hex[:10]}"


def drop(dsn: str, *schemas: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in schemas:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def bench_step(dsn: str, quick: bool) -> None:
    import psycopg

    n = 300 if quick else 2_000
    cases = opened(n)
    changes = [acknowledged(c) for c in cases]
    ours_schema, raw_schema, desk_schema = schema(), schema(), schema()
    try:
        stores = [PostgresStore(dsn, schema=s) for s in (ours_schema, raw_schema, desk_schema)]
        for store in stores:
            store.commit_many([Change(c, 0) for c in cases])
        ours, _, desk_store = stores
        raw = psycopg.connect(dsn, autocommit=True)
        s = f'"{raw_schema}"'
        params = []
        for change in changes:
            case, note = change.case, change.notifications[0]
            e = case.events[-1]
            params.append(
                (
                    (case.version, case.stage.value, us(case.due_at) if case.due_at else None,
                     True, False, "in_progress", us(case.opened_at), TENANT, case.id,
                     change.expected_version),
                    (TENANT, case.id, e.version, type(e).__name__, us(e.at), dumps(dump_event(e))),
                    (TENANT, note.key, note.case_id, note.to, us(note.created_at),
                     dump_datetime(note.created_at), us(note.created_at),
                     dumps(dump_notification(note))),
                )
            )  # fmt: skip

        def raw_commit(p: tuple[tuple[object, ...], ...]) -> None:
            update, event, outbox = p
            with raw.transaction():
                cur = raw.execute(
                    f"UPDATE {s}.cases SET version = %s, stage = %s, due_us = %s,"
                    " acknowledged = %s, closed = %s, queue = %s, queue_us = %s"
                    " WHERE tenant = %s AND id = %s AND version = %s",
                    update,
                )
                assert cur.rowcount == 1
                raw.execute(
                    f"INSERT INTO {s}.events (tenant, case_id, version, type, at_us, body)"
                    " VALUES (%s, %s, %s, %s, %s, %s)",
                    event,
                )
                raw.execute(
                    f"INSERT INTO {s}.outbox (tenant, key, case_id, recipient, status, attempts,"
                    " next_attempt_us, next_attempt_at, created_us, body)"
                    " VALUES (%s, %s, %s, %s, 'pending', 0, %s, %s, %s, %s)"
                    " ON CONFLICT (tenant, key) DO NOTHING",
                    outbox,
                )

        ours_s = raw_s = 0.0
        rounds = 4
        size = n // rounds
        for r in range(rounds):  # interleaved, so noise hits both alike
            part = slice(r * size, (r + 1) * size)
            ours_s += timed(lambda p=part: [ours.commit(c) for c in changes[p]])  # type: ignore[misc]
            raw_s += timed(lambda p=part: [raw_commit(x) for x in params[p]])  # type: ignore[misc]
        done = size * rounds
        desk = Desk(desk_store, RecordingNotifier(), clock=ManualClock(NOW))
        desk_s = timed(lambda: [desk.acknowledge(c.id, by="amy") for c in cases[:done]])
        raw.close()
        for store in stores:
            store.close()
        plain_s, piped_s = same_writes(dsn, cases, changes[:done])
    finally:
        drop(dsn, ours_schema, raw_schema, desk_schema)
    base, mine = done / raw_s, done / ours_s
    print(f"PostgreSQL: one step per transaction, {done}")
    print(f"  raw psycopg, update case + event + outbox row: {base:8.0f} commits/s")
    print(f"  PostgresStore.commit(change):                  {mine:8.0f} commits/s")
    print(f"  ratio ours / raw: {mine / base:.2f}  (target >= 0.7)")
    print("  raw psycopg running the very statements each commit sends (recorded; built")
    print(
        f"  beforehand, untimed): one after another {done / plain_s:8.0f} commits/s, ratio"
        f" {plain_s / ours_s:.2f} (target >= 0.7); pipelined as ours are"
        f" {done / piped_s:8.0f} commits/s, ratio {piped_s / ours_s:.2f}"
    )
    print(f"  full Desk.acknowledge step (get + domain + commit): {done / desk_s:8.0f} steps/s")


def same_writes(dsn: str, cases: list[Any], changes: list[Change]) -> tuple[float, float]:
    """Seconds raw psycopg takes to replay what each of ``changes`` wrote, recorded once,
    in a transaction per change: plainly, then pipelined (a fresh schema each)."""
    recorded = schema()
    try:
        with PostgresStore(dsn, schema=recorded) as store:
            store.commit_many([Change(c, 0) for c in cases])
            commits = []
            for change in changes:
                with pg_recording.recording() as writes:
                    store.commit(change)
                commits.append(writes)
        seconds = []
        for pipelined in (False, True):
            drop(dsn, recorded)
            with PostgresStore(dsn, schema=recorded) as store:
                store.commit_many([Change(c, 0) for c in cases])
            seconds.append(pg_recording.replay_each(dsn, commits, pipelined=pipelined))
    finally:
        drop(dsn, recorded)
    return seconds[0], seconds[1]


def raw_insert(
    raw: Any, s: str, rows: list[tuple[object, ...]], events: list[tuple[object, ...]],
    externals: list[tuple[object, ...]],
) -> None:  # fmt: skip
    """The rows of new cases, by executemany in one transaction."""
    with raw.transaction(), raw.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {s}.cases (tenant, id, version, customer, stage,"
            " opened_us, due_us, acknowledged, closed, queue, queue_us)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
        cur.executemany(
            f"INSERT INTO {s}.events (tenant, case_id, version, type, at_us, body)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            events,
        )
        cur.executemany(
            f"INSERT INTO {s}.external_ids (tenant, external_id, case_id) VALUES (%s, %s, %s)",
            externals,
        )


def case_row(
    case_id: str, customer: str, opened_at: datetime, due_at: datetime
) -> tuple[object, ...]:
    return (TENANT, case_id, 1, customer, "listened", us(opened_at), us(due_at), False, False,
            "unanswered", us(opened_at))  # fmt: skip


def bench_get(dsn: str, quick: bool) -> None:
    import json

    import psycopg

    n = 200 if quick else 1_000
    short, long = with_history(5), with_history(500)
    name = schema()
    try:
        with PostgresStore(dsn, schema=name) as store, psycopg.connect(dsn) as raw:
            store.commit_many([Change(short, 0), Change(long, 0)])
            raw.autocommit = True
            sql = f'SELECT snapshot FROM "{name}".cases WHERE tenant = %s AND id = %s'

            def raw_get(case_id: str) -> object:
                row = raw.execute(sql, (TENANT, case_id)).fetchone()
                assert row is not None
                return json.loads(row[0])

            figures = get_figures(store.get, raw_get, short, long, n)
    finally:
        drop(dsn, name)
    print_get("PostgreSQL", *figures, "see the SQLite figures (the same decoding)")


def bench_intake(dsn: str, quick: bool) -> None:
    import psycopg

    n, rounds = (2_000, 2) if quick else (10_000, 3)
    items = [feedback(i) for i in range(n)]
    cases = [c for c in opened(n) if c.due_at is not None]
    rows = [case_row(c.id, c.customer, c.opened_at, c.due_at) for c in cases if c.due_at]
    events = [
        (TENANT, c.id, 1, "CaseOpened", us(c.opened_at), dumps(dump_event(c.events[0])))
        for c in cases
    ]
    externals = [(TENANT, c.messages[0].external_id, c.id) for c in cases]
    plain = [
        (c.id, c.customer, c.messages[0].text, c.messages[0].external_id, c.opened_at, c.due_at)
        for c in cases
    ]

    def by_hand(raw: Any, s: str) -> None:
        """As a hand-written app would: build each row and a plain JSON body, timed."""
        rows, events, externals = [], [], []
        for case_id, customer, text, external_id, opened_at, due_at in plain:
            assert due_at is not None
            stamp = opened_at.isoformat()
            rows.append(case_row(case_id, customer, opened_at, due_at))
            body = {"customer": customer, "channel": "email", "received_at": stamp,
                    "text": text, "external_id": external_id, "kind": "complaint"}  # fmt: skip
            events.append((TENANT, case_id, 1, "CaseOpened", us(opened_at), dumps(body)))
            externals.append((TENANT, external_id, case_id))
        raw_insert(raw, s, rows, events, externals)

    listen_s, raw_s, hand_s, same_s = [], [], [], []
    for _ in range(rounds):  # each side on a fresh schema each round; the best of each
        listen_schema, raw_schema, hand_schema = schema(), schema(), schema()
        same_schema = schema()
        try:
            for name in (raw_schema, hand_schema):
                PostgresStore(dsn, schema=name).migrate()
            with PostgresStore(dsn, schema=listen_schema) as store:
                store.migrate()
                desk = Desk(store, RecordingNotifier(), clock=ManualClock(NOW))
                listen_s.append(timed(lambda: desk.listen_many(items)))  # noqa: B023
            with PostgresStore(dsn, schema=same_schema) as store:  # recorded, then replayed
                store.migrate()
                desk = Desk(store, RecordingNotifier(), clock=ManualClock(NOW))
                with pg_recording.recording() as writes:
                    desk.listen_many(items)
            drop(dsn, same_schema)
            PostgresStore(dsn, schema=same_schema).migrate()
            same_s.append(pg_recording.replay(dsn, writes))
            with psycopg.connect(dsn, autocommit=True) as raw:
                raw_s.append(
                    timed(lambda: raw_insert(raw, f'"{raw_schema}"', rows, events, externals))  # noqa: B023
                )
                hand_s.append(timed(lambda: by_hand(raw, f'"{hand_schema}"')))  # noqa: B023
        finally:
            drop(dsn, listen_schema, raw_schema, hand_schema, same_schema)
    base, hand, mine = n / min(raw_s), n / min(hand_s), n / min(listen_s)
    same = n / min(same_s)
    print(f"PostgreSQL: batched intake of {n} feedback items in one transaction (best of {rounds})")
    print(f"  raw executemany (case + event + external id rows): {base:9.0f} items/s")
    print(f"  raw executemany, building rows and JSON bodies:    {hand:9.0f} items/s")
    print(f"  Desk.listen_many(feedback):                        {mine:9.0f} items/s")
    print(f"  ratio listen_many / raw: {mine / base:.2f}")
    print(f"  ratio listen_many / raw that serialises: {mine / hand:.2f}  (target >= 0.5)")
    print("  raw psycopg running the very statements and parameters listen_many sends (recorded;")
    print(
        f"  built beforehand, untimed): {same:9.0f} items/s; ratio listen_many / raw:"
        f" {mine / same:.2f}  (target >= 0.5)"
    )


#: Cases a sweep commits at once: desk.sweep()'s default page, on both sides of the ratio.
PAGE = 500
#: One worker's rate on main before sweeps were batched (one transaction per case).
BEFORE = 574

SWEEPER = """
import sys
from datetime import datetime
from closedloop import Desk
from closedloop.adapters.postgres import PostgresStore
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier

store = PostgresStore(sys.argv[1], schema=sys.argv[2])
desk = Desk(store, RecordingNotifier(), clock=ManualClock(datetime.fromisoformat(sys.argv[3])))
store.due(datetime.fromisoformat(sys.argv[3]), 1)  # connect and check the schema first
print("ready", flush=True)
sys.stdin.readline()
print(len(desk.sweep(batch=int(sys.argv[4])).escalated), flush=True)
"""


def opened_schema(dsn: str, n: int) -> str:
    """A fresh schema holding ``n`` open cases, all late four hours after NOW."""
    name = schema()
    with PostgresStore(dsn, schema=name) as store:
        desk = Desk(store, RecordingNotifier(), clock=ManualClock(NOW))
        for start in range(0, n, 2_000):
            desk.listen_many(feedback(i) for i in range(start, min(n, start + 2_000)))
    return name


def escalation_bodies(late: datetime) -> tuple[str, str]:
    """The JSON of a real escalation event and of its alert, for the raw side to write."""
    store = InMemoryStore()
    Desk(store, RecordingNotifier(), clock=ManualClock(NOW)).listen(feedback(0))
    desk = Desk(store, RecordingNotifier(), clock=ManualClock(late))
    (case_id, _), *_ = desk.sweep().escalated
    event = store.get(case_id).events[-1]
    (alert, *_) = store.outbox_claim(late, limit=10)
    return dumps(dump_event(event)), dumps(dump_notification(alert.notification))


def raw_sweep(dsn: str, name: str, late: datetime) -> int:
    """What the sweep writes, by raw psycopg in the same pages: claim a page of due cases
    (with PostgresStore.claim_due, so the claim is the same on both sides), then in one
    transaction move each case on a version, and insert its event, its escalation row and
    its alert. No reading, no domain."""
    import psycopg

    event_body, alert_body = escalation_bodies(late)
    s, at = f'"{name}"', us(late)
    done = 0
    with psycopg.connect(dsn, autocommit=True) as raw, PostgresStore(dsn, schema=name) as store:
        while True:
            page = [(due.id, due.version) for due in store.claim_due(late, PAGE)]
            if not page:
                return done
            with raw.transaction(), raw.cursor() as cur:
                cur.executemany(
                    f"UPDATE {s}.cases SET version = %s, due_us = %s"
                    " WHERE tenant = %s AND id = %s AND version = %s",
                    [(v + 1, at + 3_600_000_000, TENANT, i, v) for i, v in page],
                )
                cur.executemany(
                    f"INSERT INTO {s}.events (tenant, case_id, version, type, at_us, body)"
                    " VALUES (%s, %s, %s, 'Escalated', %s, %s)",
                    [(TENANT, i, v + 1, at, event_body) for i, v in page],
                )
                cur.executemany(
                    f"INSERT INTO {s}.escalations (tenant, case_id, level, promise_id)"
                    " VALUES (%s, %s, 1, '')",
                    [(TENANT, i) for i, _ in page],
                )
                cur.executemany(
                    f"INSERT INTO {s}.outbox (tenant, key, case_id, recipient, status,"
                    " attempts, next_attempt_us, next_attempt_at, created_us, body)"
                    " VALUES (%s, %s, %s, %s, 'pending', 0, %s, %s, %s, %s)"
                    " ON CONFLICT (tenant, key) DO NOTHING",
                    [
                        (TENANT, f"{i}/{v + 1}/escalation/lead", i, "lead@example.com", at,
                         dump_datetime(late), at, alert_body)
                        for i, v in page
                    ],
                )  # fmt: skip
            done += len(page)


def bench_sweep(dsn: str, quick: bool) -> None:
    n = 1_000 if quick else 4_000
    late = NOW + timedelta(hours=4, seconds=1)
    rates: dict[int, float] = {}
    for workers in (1, 2, 4):
        rates[workers] = sweepers(dsn, n, late, workers, PAGE)
    name = opened_schema(dsn, n)
    try:
        started = time.perf_counter()
        assert raw_sweep(dsn, name, late) == n
        raw = n / (time.perf_counter() - started)
    finally:
        drop(dsn, name)
    one = rates[1]
    print(f"PostgreSQL: sweep of {n} overdue cases by worker processes (claim_due, SKIP LOCKED),"
          f" {PAGE} cases a transaction")  # fmt: skip
    for workers, rate in rates.items():
        print(f"  {workers} worker(s): {rate:8.0f} cases escalated/s  ({rate / one:.2f}x one)")
    print(f"  2 workers / 1: {rates[2] / one:.2f}  (target >= 1.6; this machine has "
          f"{os.cpu_count()} cores, shared with the server)")  # fmt: skip
    print(f"  raw psycopg, the same writes in the same pages, no reads: {raw:8.0f} cases/s")
    print(f"  one worker / raw psycopg: {one / raw:.2f}")
    print(f"  one worker / {BEFORE}/s (main, one transaction a case, an idle machine):"
          f" {one / BEFORE:.2f}x  (target >= 3x)")  # fmt: skip


def sweepers(dsn: str, n: int, late: datetime, workers: int, batch: int) -> float:
    """Cases escalated a second by ``workers`` sweeper processes over ``n`` late cases."""
    name = opened_schema(dsn, n)
    try:
        children = [
            subprocess.Popen(
                [sys.executable, "-c", SWEEPER, dsn, name, late.isoformat(), str(batch)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(workers)
        ]
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
        started = time.perf_counter()
        outputs = [child.communicate("go\n", timeout=600)[0] for child in children]
        elapsed = time.perf_counter() - started
        assert sum(int(o) for o in outputs) == n, outputs
    finally:
        drop(dsn, name)
    return n / elapsed


def run(quick: bool = False) -> None:
    dsn = os.environ.get("CLOSEDLOOP_TEST_POSTGRES_DSN")
    if not dsn:
        print("PostgreSQL: skipped (set CLOSEDLOOP_TEST_POSTGRES_DSN to run it)")
        return
    bench_step(dsn, quick)
    bench_intake(dsn, quick)
    bench_sweep(dsn, quick)
    bench_get(dsn, quick)


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
