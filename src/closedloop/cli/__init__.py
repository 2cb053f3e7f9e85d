"""The ``closedloop`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from closedloop import Policy

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``closedloop``."""
    from closedloop import __version__

    parser = argparse.ArgumentParser(
        prog="closedloop",
        description=(
            "closedloop keeps customer feedback from being dropped: every complaint, "
            "question, suggestion and compliment becomes a case that goes through the "
            "LATTE steps (Listen, Acknowledge, Take action, Thank, Explain) until the loop "
            "is closed. This command runs its jobs; the library is what your app imports."
        ),
        epilog="Exit codes: 0 success, 1 an error closedloop explained, 2 a usage error.",
    )
    parser.add_argument("--version", action="version", version=f"closedloop {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    sweep = commands.add_parser(
        "sweep",
        help="escalate every case past its deadline (run it from cron every few minutes)",
        description=(
            "Escalate every open case whose deadline has passed one rung up the escalation "
            "ladder, queueing alerts in the outbox (deliver them with a dispatcher). Safe to "
            "run from several machines at once: each case is escalated once."
        ),
    )
    sweep.add_argument("--db", required=True, type=Path, help="the SQLite database file")
    sweep.add_argument("--batch", type=int, default=500, help="cases read per query (default 500)")
    sweep.add_argument(
        "--policy",
        metavar="MODULE:NAME",
        help=(
            "your application's Policy (its standards and escalation ladder), e.g. "
            "myapp.support:POLICY; without it the default standards and ladder apply"
        ),
    )
    return parser


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
        if args.command == "sweep":
            return _sweep(args.db, args.batch, args.policy, out)
    except ClosedLoopError as error:
        print(f"closedloop {args.command}: {error}", file=sys.stderr)
        return 1
    return 2  # pragma: no cover - argparse refuses unknown commands


def _sweep(db: Path, batch: int, policy: str | None, out: TextIO) -> int:
    from closedloop import Desk, SQLiteStore, StorageError
    from closedloop.adapters.notifiers import LogNotifier

    chosen = _load_policy(policy) if policy else None
    if not db.is_file():
        raise StorageError(f"no database at {db}; give the file your application writes to")
    with SQLiteStore(db) as store:
        report = Desk(store, LogNotifier(out), policy=chosen).sweep(batch)
    print(report, file=out)
    for case_id, level in report.escalated:
        print(f"  escalated {case_id} to level {level}", file=out)
    return 0


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
