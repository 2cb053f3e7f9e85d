"""``manage.py closedloop_report``: ``closedloop report`` on the project's Desk."""

from __future__ import annotations

import argparse
from pathlib import Path

from django.core.management.base import BaseCommand

from closedloop.contrib.django.management.jobs import add_common, errors_as_command_errors


class Command(BaseCommand):
    """The insights of a period, as text, JSON or HTML."""

    help = (
        "Report on a period: every standard as a KPI with its RAG status, the unanswered "
        "queue, loop closure, reopen and escalation rates, promises, the no log, NPS, CSAT, "
        "CES and recovery, and the top root causes. Dates are YYYY-MM-DD (UTC midnight) or "
        "ISO 8601 times with a zone; without --since and --until, the last 30 days of the "
        "stored activity."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--format", choices=("text", "json", "html"), default="text")
        parser.add_argument("--since", help="start of the period (inclusive)")
        parser.add_argument("--until", help="end of the period (exclusive)")
        parser.add_argument("--out", type=Path, help="write to this file instead of stdout")
        add_common(parser)

    def handle(self, *args: object, **options: object) -> None:
        from closedloop.cli.commands import default_period, given_period, report_of
        from closedloop.cli.inputs import writable
        from closedloop.contrib.django.management.jobs import job_for

        out = options["out"]
        with errors_as_command_errors("report"):
            job = job_for(options, "report")
            now = job.clock.now()
            given = given_period(argparse.Namespace(**options), now)
            if isinstance(out, Path):
                writable(out, "--out")
            since, until = given or default_period(job.store, now)
            standards = job.desk.policy.standards
            text = report_of(job.store, since, until, standards, str(options["format"]), now)
        text = text if text.endswith("\n") else text + "\n"
        if isinstance(out, Path):
            out.write_text(text, "utf-8")
            self.stdout.write(f"wrote {out}")
        else:
            self.stdout.write(text, ending="")
