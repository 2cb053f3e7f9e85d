"""The ``closedloop`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from closedloop import Policy, SQLiteStore
    from closedloop.ports import Clock

__all__ = ["main"]

_EXIT_CODES = (
    "Exit codes: 0 success; 1 an error closedloop explained on stderr (a missing file, a file "
    "that is not a closedloop database, a newer schema, a bad date); 2 a usage error."
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``closedloop``."""
    from closedloop import __version__

    parser = argparse.ArgumentParser(
        prog="closedloop",
        description=(
            "closedloop keeps customer feedback from being dropped: every complaint, "
            "question, suggestion and compliment becomes a case that goes through the "
            "LATTE steps (Listen, Acknowledge, Take action, Thank, Explain) until the loop "
            "is closed. This command runs its jobs; the library is what your app imports. "
            "Start with 'closedloop demo'."
        ),
        epilog=_EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"closedloop {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="simulate a month of feedback at a made-up retailer and report on it",
        description=(
            "Simulate N days of feedback at Harbour & Pine, a made-up furniture retailer "
            "whose agents sometimes miss their standards: late acknowledgements, a social "
            "media complaint moved to email, promises, declined requests, detractors, "
            "'contact me' boxes, customer escalations. Sweeps, dispatches and surveys run "
            "as simulated time passes, on SQLite. Prints the report and writes it as HTML "
            "next to the database. The same seed gives the same month."
        ),
        epilog=_EXIT_CODES,
    )
    demo.add_argument(
        "--db",
        type=Path,
        default=Path("closedloop-demo.db"),
        help="the SQLite file to write (default ./closedloop-demo.db; replaced if it exists)",
    )
    demo.add_argument("--days", type=_positive, default=30, help="days to simulate (default 30)")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    sweep = commands.add_parser(
        "sweep",
        help="escalate every case past its deadline (run it from cron every few minutes)",
        description=(
            "Escalate every open case whose deadline has passed one rung up the escalation "
            "ladder, queueing alerts in the outbox (deliver them with 'closedloop dispatch'). "
            "Safe to run from several machines at once: each case is escalated once."
        ),
        epilog=_EXIT_CODES,
    )
    _database(sweep)
    sweep.add_argument("--batch", type=_positive, default=500, help="cases read per query")
    _policy(sweep)
    _now(sweep)

    dispatch = commands.add_parser(
        "dispatch",
        help="deliver the notifications waiting in the outbox",
        description=(
            "Deliver every notification that is ready in the outbox (acknowledgements, "
            "thanks, explanations, alerts, survey invitations) through a notifier; a failed "
            "delivery is retried later. Run it from cron every minute or so."
        ),
        epilog=_EXIT_CODES,
    )
    _database(dispatch)
    dispatch.add_argument(
        "--notifier",
        choices=("log",),
        default="log",
        help="how to deliver: 'log' prints one line per notification to stdout (default); "
        "your application delivers for real with its own Notifier",
    )
    dispatch.add_argument("--limit", type=_positive, default=100, help="messages per batch")
    _now(dispatch)

    report = commands.add_parser(
        "report",
        help="the insights of a period: standards, queue, surveys, promises, the no log",
        description=(
            "Report on a period: every standard as a KPI with its RAG status, the unanswered "
            "queue, loop closure, reopen and escalation rates, effort, promises, the no log, "
            "NPS, CSAT, CES and recovery, and the top root causes. Dates are YYYY-MM-DD (UTC "
            "midnight) or ISO 8601 times with a zone; by default the last 30 days."
        ),
        epilog=_EXIT_CODES,
    )
    _database(report)
    report.add_argument("--format", choices=("text", "json", "html"), default="text")
    report.add_argument("--since", help="start of the period (inclusive)")
    report.add_argument("--until", help="end of the period (exclusive; default now)")
    report.add_argument("--out", type=Path, help="write to this file instead of stdout")
    _policy(report)
    _now(report)
    return parser


def _database(command: argparse.ArgumentParser) -> None:
    command.add_argument("--db", required=True, type=Path, help="the SQLite database file")


def _policy(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--policy",
        metavar="MODULE:NAME",
        help=(
            "your application's Policy (its standards and escalation ladder), e.g. "
            "myapp.support:POLICY; without it the default standards and ladder apply"
        ),
    )


def _now(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--now",
        metavar="TIME",
        help=(
            "act as if it were this instant (ISO 8601 with a zone, or YYYY-MM-DD for UTC "
            "midnight), to replay a past run or test a schedule; default the system clock"
        ),
    )


class _FixedClock:
    """The instant given by ``--now``."""

    def __init__(self, instant: datetime) -> None:
        self._instant = instant

    def now(self) -> datetime:
        return self._instant


def _clock(args: argparse.Namespace) -> Clock | None:
    """``--now`` as a clock, or None for the system clock."""
    return _FixedClock(_when(args.now, "--now")) if args.now else None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    out = out if out is not None else sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(out)
        return 0
    from closedloop import ClosedLoopError

    try:
        if args.command == "demo":
            return _demo(args.db, args.days, args.seed, out)
        if args.command == "sweep":
            return _sweep(args.db, args.batch, args.policy, _clock(args), out)
        if args.command == "dispatch":
            return _dispatch(args.db, args.limit, _clock(args), out)
        if args.command == "report":
            return _report(args, out)
    except ClosedLoopError as error:
        print(f"closedloop {args.command}: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"closedloop {args.command}: {error}", file=sys.stderr)
        return 1
    return 2  # pragma: no cover - argparse refuses unknown commands


def _open(db: Path) -> SQLiteStore:
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


def _demo(db: Path, days: int, seed: int, out: TextIO) -> int:
    from closedloop import StorageError
    from closedloop.cli.demo import run_demo
    from closedloop.insights import compute, render_html, render_text

    if db.exists():
        _open(db).close()  # refuses to replace anything but a closedloop database
        for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            stale.unlink(missing_ok=True)
    if not db.parent.is_dir():
        raise StorageError(f"cannot write {db}: the folder {db.parent} does not exist")

    def progress(day: int, total: int, cases: int) -> None:
        print(f"\rday {day}/{total}: {cases} cases", end="", file=sys.stderr, flush=True)

    run = run_demo(db, days=days, seed=seed, progress=progress if sys.stderr.isatty() else None)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    with _open(db) as store:
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


def _sweep(db: Path, batch: int, policy: str | None, clock: Clock | None, out: TextIO) -> int:
    from closedloop import Desk
    from closedloop.adapters.notify.log import LogNotifier

    chosen = _load_policy(policy) if policy else None
    with _open(db) as store:
        report = Desk(store, LogNotifier(out), clock=clock, policy=chosen).sweep(batch)
    print(report, file=out)
    for case_id, level in report.escalated:
        print(f"  escalated {case_id} to level {level}", file=out)
    return 0


def _dispatch(db: Path, limit: int, clock: Clock | None, out: TextIO) -> int:
    from closedloop import Desk
    from closedloop.adapters.notify.log import LogNotifier

    sent = retrying = dead = 0
    with _open(db) as store:
        desk = Desk(store, LogNotifier(out), clock=clock)
        while True:
            report = desk.outbox.dispatch(limit=limit)
            sent, retrying = sent + len(report.sent), retrying + len(report.retrying)
            dead += len(report.dead)
            if len(report.sent) + len(report.failed) + len(report.skipped) < limit:
                break
    print(f"{sent} sent, {retrying} to retry, {dead} given up", file=out)
    return 0


def _report(args: argparse.Namespace, out: TextIO) -> int:
    from closedloop.insights import compute, render_html, render_text, to_json

    clock = _clock(args)
    now = clock.now() if clock is not None else datetime.now(UTC)
    until = _when(args.until, "--until") if args.until else now
    since = _when(args.since, "--since") if args.since else until - timedelta(days=30)
    chosen = _load_policy(args.policy) if args.policy else None
    with _open(args.db) as store:
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


def _when(text: str, option: str) -> datetime:
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


def _load_policy(spec: str) -> Policy:
    """The Policy object named ``module:attribute``."""
    import importlib

    from closedloop import Policy, ValidationError

    module_name, _, attribute = spec.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), attribute or "POLICY")
    except (ImportError, AttributeError) as exc:
        raise ValidationError(f"cannot load the policy {spec!r}: {exc}") from None
    if not isinstance(found, Policy):
        raise ValidationError(f"{spec!r} is a {type(found).__name__}, not a closedloop Policy")
    return found
