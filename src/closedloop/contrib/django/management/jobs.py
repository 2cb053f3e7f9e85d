"""What closedloop's management commands share: the options, the Desk they run on, and
closedloop errors as ``CommandError``. The commands run the same jobs, with the same output,
as ``closedloop sweep``, ``dispatch`` and ``report`` (``closedloop.cli.commands``)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import attrs
from django.core.management.base import CommandError

if TYPE_CHECKING:
    from closedloop import Desk
    from closedloop.ports import CaseStore, Clock

__all__ = ["MOST", "Job", "add_common", "count", "errors_as_command_errors", "job_for"]

#: A batch is read into memory at once; past this it is a typo, not a tuning choice.
MOST = 100_000


def count(text: str) -> int:
    """An argparse type: a whole number from 1 to :data:`MOST`."""
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or not 1 <= int(digits) <= MOST:
        raise argparse.ArgumentTypeError(f"give a whole number from 1 to {MOST}, got {text!r}")
    return int(digits)


def add_common(parser: argparse.ArgumentParser) -> None:
    """``--tenant`` and ``--now``."""
    parser.add_argument(
        "--tenant",
        metavar="NAME",
        help='the tenant to work on (default: CLOSEDLOOP["TENANT"], or "default")',
    )
    parser.add_argument(
        "--now",
        metavar="TIME",
        help="act as if it were this instant (ISO 8601 with a zone, or YYYY-MM-DD for UTC "
        "midnight), to replay a past run or test a schedule; default the configured clock",
    )


@attrs.frozen
class Job:
    """What a command runs on: the Desk, its store (on the tenant chosen) and its clock."""

    desk: Desk
    """The project's Desk, or one of the same parts on ``--tenant`` or at ``--now``."""
    store: CaseStore
    """The Desk's store."""
    clock: Clock
    """``--now``, else the configured clock, else the system clock."""


def job_for(options: dict[str, object], command: str) -> Job:
    """The project's Desk (``closedloop.contrib.django.conf.desk()``), or one of the same
    parts on ``--tenant`` or at ``--now``, with its store and clock. A tenant the database
    holds nothing of is refused or noted as ``closedloop <command>`` does."""
    from closedloop.adapters.common import check_tenant
    from closedloop.cli.inputs import clock_from
    from closedloop.cli.stores import check_known
    from closedloop.contrib.django.conf import wiring
    from closedloop.service.clock import SystemClock

    now, tenant = options.get("now"), options.get("tenant")
    clock = clock_from(now) if isinstance(now, str) else None
    chosen = check_tenant(tenant) if tenant is not None else None
    built = wiring()
    check_known(built.store, chosen, command, all_tenants=False)
    store = built.store if chosen is None else built.store.for_tenant(chosen)
    desk = built.desk if clock is None and chosen is None else built.at(clock, chosen)
    return Job(desk, store, clock or built.clock or SystemClock())


@contextmanager
def errors_as_command_errors(command: str) -> Iterator[None]:
    """A closedloop error (bad settings, a bad ``--now``, a store that cannot) as Django's
    ``CommandError``: one line on stderr, exit code 1."""
    from closedloop import ClosedLoopError

    try:
        yield
    except ClosedLoopError as error:
        raise CommandError(f"closedloop {command}: {error}") from error
