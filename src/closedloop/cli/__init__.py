"""The ``closedloop`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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
    parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stdout)
    return 0
