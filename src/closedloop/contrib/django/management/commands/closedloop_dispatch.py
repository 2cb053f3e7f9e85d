"""``manage.py closedloop_dispatch``: ``closedloop dispatch`` on the project's Desk."""

from __future__ import annotations

import argparse
import io

from django.core.management.base import BaseCommand

from closedloop.contrib.django.management.jobs import (
    Job,
    add_common,
    count,
    errors_as_command_errors,
    job_for,
)


class Command(BaseCommand):
    """Deliver the notifications waiting in the outbox through the configured notifier."""

    help = (
        "Deliver every notification that is ready in the outbox through the project's "
        'notifier (CLOSEDLOOP["NOTIFIER"]: by default Django\'s mail); a failed delivery is '
        "retried later. Run it from cron every minute or so; several at once deliver each "
        "message once."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--limit", type=count, default=100, help="messages per batch")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print the notifications that are ready, one line each (with the "
            "recipient's address and the subject: personal data), and mark nothing",
        )
        add_common(parser)

    def handle(self, *args: object, **options: object) -> None:
        from closedloop.cli.commands import dispatch_desk

        out = io.StringIO()
        limit = options["limit"]
        assert isinstance(limit, int)
        with errors_as_command_errors("dispatch"):
            job = job_for(options, "dispatch")
            if options["dry_run"]:
                _show_ready(job, limit, out)
            else:
                dispatch_desk(job.desk, limit, out)
        self.stdout.write(out.getvalue(), ending="")


def _show_ready(job: Job, limit: int, out: io.StringIO) -> None:
    """As ``closedloop dispatch --dry-run``: each ready message, one line, nothing marked."""
    from closedloop.adapters.notify.log import LogNotifier

    ready = job.store.outbox_ready(job.clock.now(), limit)
    show = LogNotifier(out)
    for message in ready:
        show.send(message.notification)
    print(f"{len(ready)} ready (at most {limit} shown); nothing was sent or marked", file=out)
