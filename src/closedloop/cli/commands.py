"""What the ``closedloop`` commands do, once their arguments are parsed: each opens the
application's database and runs one job on it."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

if TYPE_CHECKING:
    from closedloop import Policy, SQLiteStore
    from closedloop.ports import Clock, Notifier

__all__ = [
    "FixedClock",
    "clock_from",
    "demo",
    "dispatch",
    "dry_run",
    "load_notifier",
    "load_policy",
    "open_store",
    "report",
    "sweep",
    "when",
]


class FixedClock:
    """The instant given by ``--now``."""

    def __init__(self, instant: datetime) -> None:
        self._instant = instant

    def now(self) -> datetime:
        return self._instant


def clock_from(args: argparse.Namespace) -> Clock | None:
    """``--now`` as a clock, or None for the system clock."""
    return FixedClock(when(args.now, "--now")) if args.now else None


def open_store(db: Path) -> SQLiteStore:
    """An existing closedloop database; anything else is a clear error, never a new file
    or new tables written into someone else's database."""
    import sqlite3

    from closedloop import SQLiteStore, StorageError

    if not db.is_file():
        raise StorageError(f"no database at {db}; give the file your application writes to")
    try:
        probe = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            (version,) = probe.execute("PRAGMA user_version").fetchone()
            tables = {n for (n,) in probe.execute("SELECT name FROM sqlite_master")}
        finally:
            probe.close()
    except sqlite3.DatabaseError:
        raise StorageError(f"{db} is not a SQLite database") from None
    if not version or "events" not in tables:
        raise StorageError(
            f"{db} is a SQLite database but not a closedloop one; give the file your "
            "application's SQLiteStore writes to"
        )
    return SQLiteStore(db)


def demo(db: Path, days: int, seed: int, out: TextIO) -> int:
    from closedloop import StorageError
    from closedloop.cli.demo import run_demo
    from closedloop.insights import compute, render_html, render_text

    if db.exists():
        open_store(db).close()  # refuses to replace anything but a closedloop database
        for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            stale.unlink(missing_ok=True)
    if not db.parent.is_dir():
        raise StorageError(f"cannot write {db}: the folder {db.parent} does not exist")

    def progress(day: int, total: int, cases: int) -> None:
        print(f"\rday {day}/{total}: {cases} cases", end="", file=sys.stderr, flush=True)

    run = run_demo(db, days=days, seed=seed, progress=progress if sys.stderr.isatty() else None)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    with open_store(db) as store:
        insights = compute(store, run.since, run.until)
    html = db.with_suffix(".html")
    html.write_text(render_html(insights, title="Harbour & Pine: closedloop demo"), "utf-8")
    out.write(render_text(insights))
    print(
        f"\nSimulated {days} days at Harbour & Pine: {run.cases} pieces of feedback, "
        f"{run.notifications} notifications delivered, {run.escalations} escalation alerts, "
        f"{run.surveys} survey invitations.\n"
        f"Database: {db}\nHTML report: {html}\n"
        f"Next: closedloop report --db {db} --since {run.since.date()} --until "
        f"{run.until.date()} --format html --out report.html",
        file=out,
    )
    return 0


def sweep(db: Path, batch: int, policy: str | None, clock: Clock | None, out: TextIO) -> int:
    from closedloop import Desk
    from closedloop.adapters.notify.log import LogNotifier

    chosen = load_policy(policy) if policy else None
    with open_store(db) as store:
        report = Desk(store, LogNotifier(out), clock=clock, policy=chosen).sweep(batch)
    print(report, file=out)
    for case_id, level in report.escalated:
        print(f"  escalated {case_id} to level {level}", file=out)
    return 0


def dispatch(db: Path, limit: int, spec: str, clock: Clock | None, out: TextIO) -> int:
    from closedloop import Desk

    notifier = load_notifier(spec)
    sent = retrying = dead = 0
    with open_store(db) as store:
        desk = Desk(store, notifier, clock=clock)
        while True:
            report = desk.outbox.dispatch(limit=limit)
            sent, retrying = sent + len(report.sent), retrying + len(report.retrying)
            dead += len(report.dead)
            if len(report.sent) + len(report.failed) + len(report.skipped) < limit:
                break
    print(f"{sent} sent, {retrying} to retry, {dead} given up", file=out)
    return 0


def dry_run(db: Path, limit: int, clock: Clock | None, out: TextIO) -> int:
    from closedloop.adapters.notify.log import LogNotifier

    now = clock.now() if clock is not None else datetime.now(UTC)
    show = LogNotifier(out)
    with open_store(db) as store:
        ready = store.outbox_ready(now, limit)
    for message in ready:
        show.send(message.notification)
    print(f"{len(ready)} ready (at most {limit} shown); nothing was sent or marked", file=out)
    return 0


def load_notifier(spec: str) -> Notifier:
    """The Notifier named ``module:attribute``: the object, or what calling it returns."""
    from closedloop import ValidationError

    found = load_object(spec, "notifier")
    if not callable(getattr(found, "send", None)) and callable(found):
        found = found()
    if not callable(getattr(found, "send", None)):
        raise ValidationError(
            f"{spec!r} ({type(found).__name__}) is not a Notifier: give an object with a "
            "send(notification) method, or a function that returns one"
        )
    return cast("Notifier", found)


def report(args: argparse.Namespace, out: TextIO) -> int:
    from closedloop.insights import compute, render_html, render_text, to_json

    clock = clock_from(args)
    now = clock.now() if clock is not None else datetime.now(UTC)
    until = when(args.until, "--until") if args.until else now
    since = when(args.since, "--since") if args.since else until - timedelta(days=30)
    chosen = load_policy(args.policy) if args.policy else None
    with open_store(args.db) as store:
        insights = compute(
            store, since, until, standards=chosen.standards if chosen is not None else None
        )
    text = {"text": render_text, "json": to_json, "html": render_html}[args.format](insights)
    if args.out is not None:
        args.out.write_text(text if text.endswith("\n") else text + "\n", "utf-8")
        print(f"wrote {args.out}", file=out)
    else:
        out.write(text if text.endswith("\n") else text + "\n")
    return 0


def when(text: str, option: str) -> datetime:
    from closedloop import ValidationError

    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{option} {text!r} is not a date: give YYYY-MM-DD or an ISO 8601 time with a zone"
        ) from None
    if value.tzinfo is None:
        raise ValidationError(f"{option} {text!r} has no time zone: add one, e.g. {text}+00:00")
    return value


def load_object(spec: str, what: str, default: str = "") -> object:
    """The attribute named by ``module:attribute`` (the module importable from here)."""
    import importlib

    from closedloop import ValidationError

    module_name, _, attribute = spec.partition(":")
    if not attribute and not default:
        raise ValidationError(f"name the {what} as MODULE:NAME, got {spec!r}")
    try:
        found: object = getattr(importlib.import_module(module_name), attribute or default)
    except (ImportError, AttributeError) as exc:
        raise ValidationError(f"cannot load the {what} {spec!r}: {exc}") from None
    return found


def load_policy(spec: str) -> Policy:
    """The Policy object named ``module:attribute``."""

    from closedloop import Policy, ValidationError

    found = load_object(spec, "policy", default="POLICY")
    if not isinstance(found, Policy):
        raise ValidationError(f"{spec!r} is a {type(found).__name__}, not a closedloop Policy")
    return found
