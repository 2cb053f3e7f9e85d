"""DjangoStore against closedloop's own store on the same database engine, in the same run.

One LATTE step (``Desk.acknowledge``: read the case, move it, commit it with its outbox
row) through a Desk on DjangoStore, and the same through a Desk on SQLiteStore (files in
WAL mode, ``synchronous=FULL`` on both sides: Django's SQLite leaves SQLite's default, FULL)
and with ``synchronous=OFF`` on both (no fsync: what each adds in CPU), and, when
CLOSEDLOOP_TEST_POSTGRES_DSN is set, on PostgresStore (DjangoStore in a database
of its own on that server, PostgresStore in a schema there). The two sides run in
interleaved rounds so that machine noise hits both alike. Target: DjangoStore within 1.5x
of the store it shares its SQL with.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bench_sqlite import NOW, opened

from closedloop import Desk
from closedloop.domain.cases.case import Case
from closedloop.domain.change import Change
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier

ROUNDS = 5


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def configure(databases: dict[str, dict[str, object]]) -> None:
    """Set Django up with closedloop's app and ``databases`` (once per process)."""
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["closedloop.contrib.django"],
        DATABASES=databases,
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()


def steps_per_second(
    stores: dict[str, CaseStore], cases: Sequence[Case], alias: str
) -> dict[str, float]:
    """Each store's rate of ``Desk.acknowledge`` over the same cases, round by round; on
    the DjangoStore (named "django") half of each round's steps are taken inside the
    host's own ``atomic()`` block (rate "django in atomic")."""
    from django.db import transaction

    clock = ManualClock(NOW)
    desks = {name: Desk(s, RecordingNotifier(), clock=clock) for name, s in stores.items()}
    for store in stores.values():
        store.commit_many([Change(c, 0) for c in cases])
    spent = dict.fromkeys([*stores, "django in atomic"], 0.0)
    steps = dict.fromkeys(spent, 0)

    def plain(desk: Desk, some: Sequence[Case]) -> None:
        for c in some:
            desk.acknowledge(c.id, by="amy")

    def in_atomic(desk: Desk, some: Sequence[Case]) -> None:
        for c in some:
            with transaction.atomic(using=alias):
                desk.acknowledge(c.id, by="amy")

    size = len(cases) // ROUNDS
    for r in range(ROUNDS):
        part = cases[r * size : (r + 1) * size]
        for name, desk in desks.items():
            work = [(name, plain, part)]
            if name == "django":
                half = len(part) // 2
                work = [(name, plain, part[:half]), ("django in atomic", in_atomic, part[half:])]
            for key, step, some in work:
                spent[key] += timed(lambda f=step, d=desk, s=some: f(d, s))  # type: ignore[misc]
                steps[key] += len(some)
    return {name: steps[name] / spent[name] for name in spent}


def report(engine: str, base_name: str, rates: dict[str, float], n: int) -> None:
    base, ours, inside = rates[base_name], rates["django"], rates["django in atomic"]
    print(f"Django on {engine}: one step (Desk.acknowledge: get + domain + commit), {n} cases")
    print(f"  {base_name + ':':<44}{base:8.0f} steps/s")
    print(f"  {'DjangoStore:':<44}{ours:8.0f} steps/s")
    print(f"  {'DjangoStore, each step in atomic():':<44}{inside:8.0f} steps/s")
    print(f"  time ratio DjangoStore / {base_name}: {base / ours:.2f}x  (target within 1.5x)")
    print(f"  time ratio in atomic() / {base_name}: {base / inside:.2f}x")


@contextmanager
def postgres_database(dsn: str) -> Iterator[dict[str, object]]:
    """A database of its own on the server of ``dsn``, as Django settings; dropped after."""
    import psycopg

    name = f"closedloop_bench_{uuid.uuid4().hex[:10]}"
    url = urlsplit(dsn)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(url.username or ""),
            "PASSWORD": unquote(url.password or ""),
            "HOST": url.hostname or "",
            "PORT": str(url.port or ""),
        }
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(quick: bool = False) -> None:
    from closedloop.adapters.sqlite import SQLiteStore
    from closedloop.contrib.django import DjangoStore

    n = 500 if quick else 3_000
    dsn = os.environ.get("CLOSEDLOOP_TEST_POSTGRES_DSN")
    with (
        tempfile.TemporaryDirectory(prefix="closedloop-bench-django-") as folder,
        _maybe(dsn) as pg,
    ):
        databases: dict[str, dict[str, object]] = {
            alias: {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(Path(folder) / f"{alias}.db"),
                "OPTIONS": {
                    "timeout": 30,
                    "init_command": f"PRAGMA journal_mode = WAL; PRAGMA synchronous = {mode}",
                },
            }
            for alias, mode in (("default", "FULL"), ("nosync", "OFF"))
        }
        if pg is not None:
            databases["pg"] = pg
        configure(databases)
        from django.core.management import call_command

        for alias in databases:
            call_command("migrate", database=alias, verbosity=0)
        for alias, mode in (("default", "FULL"), ("nosync", "OFF")):
            with SQLiteStore(Path(folder) / f"closedloop-{alias}.db", synchronous=mode) as sqlite:
                stores: dict[str, CaseStore] = {"SQLiteStore": sqlite, "django": DjangoStore(alias)}
                engine = f"SQLite, synchronous={mode}" + (
                    " (no fsync: CPU cost only)" if mode == "OFF" else ""
                )
                report(engine, "SQLiteStore", steps_per_second(stores, opened(n), alias), n)
                print()
        if pg is None or dsn is None:
            print("  PostgreSQL: skipped (set CLOSEDLOOP_TEST_POSTGRES_DSN to run it)")
            return
        from closedloop.adapters.postgres import PostgresStore

        # PostgresStore in a schema of its own in the same database.
        same_database = urlsplit(dsn)._replace(path=f"/{pg['NAME']}").geturl()
        with PostgresStore(same_database, schema="bench_postgres_store") as ps:
            stores = {"PostgresStore": ps, "django": DjangoStore("pg")}
            report("PostgreSQL", "PostgresStore", steps_per_second(stores, opened(n), "pg"), n)


@contextmanager
def _maybe(dsn: str | None) -> Iterator[dict[str, object] | None]:
    if not dsn:
        yield None
        return
    with postgres_database(dsn) as settings:
        yield settings


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
