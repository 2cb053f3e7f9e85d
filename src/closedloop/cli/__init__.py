"""The ``closedloop`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

__all__ = ["main"]

_EXIT_CODES = (
    "Exit codes: 0 success; 1 an error closedloop explained on stderr (a missing file, a file "
    "that is not a closedloop database, a newer schema, a bad date); 2 a usage error; "
    "'closedloop health' only: 3 a figure past its warning threshold, 4 past its failure "
    "threshold. Output cut short by a closed pipe (| head) ends the command quietly."
)


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line on stderr (exit code 2), pointing to ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``closedloop``."""
    from closedloop import __version__

    parser = _Parser(
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
    demo.add_argument(
        "--days", type=_count(3650), default=30, help="days to simulate (default 30, at most 3650)"
    )
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
    sweep.add_argument(
        "--batch", type=_count(_MOST), default=500, help="cases read per query (default 500)"
    )
    _policy(sweep)
    _events(sweep)
    _now(sweep)

    dispatch = commands.add_parser(
        "dispatch",
        help="deliver the notifications waiting in the outbox",
        description=(
            "Deliver every notification that is ready in the outbox (acknowledgements, "
            "replies, thanks, explanations, alerts, survey invitations) through your "
            "application's notifier; a failed delivery is retried later. Run it from cron "
            "every minute or so. It will not run without a notifier: nothing is marked sent "
            "that was not handed to one."
        ),
        epilog=_EXIT_CODES,
    )
    _database(dispatch)
    how = dispatch.add_mutually_exclusive_group(required=True)
    how.add_argument(
        "--notifier",
        metavar="MODULE:NAME",
        help="your application's Notifier (an object with send(notification), or a "
        "function or class that makes one), e.g. myapp.mail:NOTIFIER; its module must be "
        "importable where closedloop runs (installed, or on PYTHONPATH). If it also has "
        "handle_event(event) and no --events is given, it receives the host events too "
        "(every type, no personal data)",
    )
    how.add_argument(
        "--dry-run",
        action="store_true",
        help="print the notifications that are ready, one line each (with the recipient's "
        "address and the subject: personal data, keep it out of shared logs), and mark nothing",
    )
    dispatch.add_argument(
        "--limit", type=_count(_MOST), default=100, help="messages per batch (default 100)"
    )
    _policy(dispatch, "its retry policy: how often a failed delivery is tried")
    _events(dispatch)
    _now(dispatch)

    report = commands.add_parser(
        "report",
        help="the insights of a period: standards, queue, surveys, promises, the no log",
        description=(
            "Report on a period: every standard as a KPI with its RAG status, the unanswered "
            "queue, loop closure, reopen and escalation rates, effort, promises, the no log, "
            "NPS, CSAT, CES and recovery, and the top root causes. Dates are YYYY-MM-DD (UTC "
            "midnight) or ISO 8601 times with a zone. Without --since and --until the period "
            "is the last 30 days of the stored activity: from 30 days before the end of the "
            "day of the latest event (or from the day the first case opened, if later) to "
            "the end of that day; with --until only, the 30 days before it; with --since "
            "only, up to now; with --now only, the 30 days before --now."
        ),
        epilog=_EXIT_CODES,
    )
    _database(report)
    report.add_argument("--format", choices=("text", "json", "html"), default="text")
    report.add_argument("--since", help="start of the period (inclusive)")
    report.add_argument("--until", help="end of the period (exclusive)")
    report.add_argument("--out", type=Path, help="write to this file instead of stdout")
    _policy(report)
    _now(report)

    facts = commands.add_parser(
        "facts",
        help="back-fill the report facts of an older database (reports are faster after)",
        description=(
            "Compute the facts reports read (docs/insights.md) for every case whose facts "
            "are missing or were measured under other standards: a database written before "
            "the read model, or after changing the policy's standards. Reports are right "
            "without it, replaying those cases; after it they read the facts. Shows progress."
        ),
        epilog=_EXIT_CODES,
    )
    _database(facts)
    _policy(facts)

    health = commands.add_parser(
        "health",
        help="is the desk keeping up: outbox backlog and lag, dead letters, sweep lag",
        description=(
            "Print the health figures of desk.health(): the outbox backlog and how late its "
            "most overdue message is, dead letters, the oldest unanswered case, cases past "
            "their deadline and not swept, and how late the sweep is; with a status (ok, "
            "warn, fail) and its reasons. Exits 3 on warn and 4 on fail, for a monitor."
        ),
        epilog=_EXIT_CODES,
    )
    _database(health)
    health.add_argument("--json", action="store_true", help="print the figures as JSON")
    health.add_argument(
        "--thresholds",
        metavar="MODULE:NAME",
        help="your application's HealthThresholds, e.g. myapp.ops:THRESHOLDS; without it "
        "the defaults apply (docs/health.md)",
    )
    _now(health)
    return parser


def _database(command: argparse.ArgumentParser, tenants: bool = True) -> None:
    from closedloop.cli.stores import add_store_options, add_tenant_options

    add_store_options(command)
    if tenants:
        add_tenant_options(command)
    command.set_defaults(parser=command)


def _policy(
    command: argparse.ArgumentParser, what: str = "its standards and escalation ladder"
) -> None:
    command.add_argument(
        "--policy",
        metavar="MODULE:NAME",
        help=(
            f"your application's Policy ({what}), e.g. myapp.support:POLICY; without it "
            "the defaults apply"
        ),
    )


def _events(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--events",
        metavar="MODULE:NAME",
        help=(
            "your application's host event subscription, the Subscribe(...) its Desk is "
            "given, e.g. myapp.crm:EVENTS (or an event handler, taken as Subscribe(handler): "
            "every type, no personal data); without it no host event is queued or delivered "
            "by this command (docs/events.md)"
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


# A batch is read into memory at once; past this it is a typo, not a tuning choice.
_MOST = 100_000


def _count(most: int) -> Callable[[str], int]:
    """An argparse type: a whole number from 1 to ``most``."""

    def count(text: str) -> int:
        digits = text.strip()
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 12:
            shown = text if len(text) <= 20 else text[:20] + "..."
            raise argparse.ArgumentTypeError(f"{shown!r} is not a whole number from 1 to {most}")
        value = int(digits)
        if not 1 <= value <= most:
            raise argparse.ArgumentTypeError(f"must be from 1 to {most}, got {value}")
        return value

    return count


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    out = out if out is not None else sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(out)
        return 0
    from closedloop.cli.stores import check_store_options

    if args.command != "demo":
        check_store_options(args.parser, args)
    try:
        code = _run(args, out)
        out.flush()
    except BrokenPipeError:
        _quiet(out)
        return 0
    return code


def _run(args: argparse.Namespace, out: TextIO) -> int:
    from closedloop import ClosedLoopError
    from closedloop.cli import commands
    from closedloop.cli.health import health
    from closedloop.cli.stores import checked_tenant

    try:
        checked_tenant(args)  # before any database is opened
        if args.command == "demo":
            return commands.demo(args.db, args.days, args.seed, out)
        if args.command == "sweep":
            return commands.sweep(args, out)
        if args.command == "dispatch":
            return commands.dry_run(args, out) if args.dry_run else commands.dispatch(args, out)
        if args.command == "report":
            return commands.report(args, out)
        if args.command == "facts":
            return commands.facts(args, out)
        if args.command == "health":
            return health(args, out)
    except BrokenPipeError:
        raise
    except (ClosedLoopError, OSError) as error:
        print(f"closedloop {args.command}: {error}", file=sys.stderr)
        return 1
    return 2  # pragma: no cover - argparse refuses unknown commands


def _quiet(out: TextIO) -> None:
    """After a closed pipe: point the stream at /dev/null, so that Python's own flush at
    exit does not report the pipe again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (a test's StringIO)
        pass
