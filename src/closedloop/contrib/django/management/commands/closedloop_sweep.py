"""``manage.py closedloop_sweep``: ``closedloop sweep`` on the project's Desk."""

from __future__ import annotations

import argparse
import io

from django.core.management.base import BaseCommand

from closedloop.contrib.django.management.jobs import (
    add_common,
    count,
    errors_as_command_errors,
    job_for,
)


class Command(BaseCommand):
    """Escalate every case past its deadline; run it from cron every few minutes."""

    help = (
        "Escalate every open case whose deadline has passed one rung up the escalation "
        "ladder, queueing alerts in the outbox (deliver them with closedloop_dispatch). "
        "Safe to run from several machines at once: each case is escalated once."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--batch", type=count, default=500, help="cases read per query")
        add_common(parser)

    def handle(self, *args: object, **options: object) -> None:
        from closedloop.cli.commands import sweep_desk

        out = io.StringIO()
        with errors_as_command_errors("sweep"):
            batch = options["batch"]
            assert isinstance(batch, int)
            sweep_desk(job_for(options, "sweep").desk, batch, out)
        self.stdout.write(out.getvalue(), ending="")
