"""What the ``closedloop`` commands do, once their arguments are parsed: each opens the
application's database and runs one job on it."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from closedloop.cli.inputs import clock_from, load_notifier, load_policy, open_store, when, writable
from closedloop.domain.cases.lifecycle import LATTE

if TYPE_CHECKING:
    from closedloop import Standards
    from closedloop.insights import Insights
    from closedloop.ports import CaseStore, Clock

__all__ = ["demo", "dispatch", "dry_run", "facts", "report", "sweep"]


def demo(db: Path, days: int, seed: int, out: TextIO) -> int:
    from closedloop.cli.demo import run_demo
    from closedloop.insights import compute, render_html, render_text

    html = db.with_suffix(".html")
    if html == db:  # --db report.html: the report goes beside it, not over it
        html = db.with_name(db.name + ".html")
    writable(db, "--db")
    writable(html, "the HTML report", "--db")
    if db.exists():
        open_store(db).close()  # refuses to replace anything but a closedloop database
        for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            stale.unlink(missing_ok=True)

    def progress(day: int, total: int, cases: int) -> None:
        print(f"\rday {day}/{total}: {cases} cases", end="", file=sys.stderr, flush=True)

    run = run_demo(db, days=days, seed=seed, progress=progress if sys.stderr.isatty() else None)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    with open_store(db) as store:
        insights = compute(store, run.since, run.until)
        previous = _previous(store, run.since, run.until, None)
    title = "Harbour & Pine: closedloop demo"
    html.write_text(render_html(insights, title=title, previous=previous), "utf-8")
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


def _previous(
    store: CaseStore, since: datetime, until: datetime, standards: Standards | None
) -> Insights | None:
    """The period before ``[since, until)``, as long; None if it would start before the
    first year closedloop takes."""
    from closedloop.domain.checks import FIRST_YEAR
    from closedloop.insights import compute

    start = since - (until - since)  # the CLI's times are from 1900, so no overflow
    if start.year < FIRST_YEAR:
        return None
    return compute(store, start, since, standards=standards)


def facts(db: Path, policy: str | None, out: TextIO) -> int:
    from closedloop.insights import rebuild_facts

    chosen = load_policy(policy) if policy else None

    def progress(done: int) -> None:
        print(f"\r{done} cases back-filled", end="", file=sys.stderr, flush=True)

    with open_store(db) as store:
        done = rebuild_facts(
            store,
            standards=chosen.standards if chosen is not None else None,
            lifecycle=chosen.lifecycle if chosen is not None else LATTE,
            progress=progress if sys.stderr.isatty() else None,
        )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(f"{done} cases given report facts", file=out)
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


def report(args: argparse.Namespace, out: TextIO) -> int:
    from closedloop import ValidationError
    from closedloop.insights import compute, render_html, render_text, to_json

    clock = clock_from(args.now)
    now = clock.now() if clock is not None else datetime.now(UTC)
    until = when(args.until, "--until") if args.until else now
    since = when(args.since, "--since") if args.since else until - timedelta(days=30)
    if since >= until:
        raise ValidationError.of(
            "--until",
            f"the period is empty: --until ({until.isoformat()}) must be after --since "
            f"({since.isoformat()})",
        )
    chosen = load_policy(args.policy) if args.policy else None
    if args.out is not None:
        writable(args.out, "--out")
    standards = chosen.standards if chosen is not None else None
    with open_store(args.db) as store:
        insights = compute(store, since, until, standards=standards)
        # The HTML report compares each standard with the period before: a second compute.
        previous = _previous(store, since, until, standards) if args.format == "html" else None
    if args.format == "html":
        text = render_html(insights, previous=previous)
    else:
        text = {"text": render_text, "json": to_json}[args.format](insights)
    if args.out is not None:
        args.out.write_text(text if text.endswith("\n") else text + "\n", "utf-8")
        print(f"wrote {args.out}", file=out)
    else:
        out.write(text if text.endswith("\n") else text + "\n")
    return 0
