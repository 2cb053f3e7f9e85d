"""What the ``closedloop`` commands do, once their arguments are parsed: each opens the
application's database and runs one job on it."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from closedloop.cli.inputs import (
    clock_from,
    events_of,
    load_events,
    load_notifier,
    load_policy,
    open_store,
    when,
    writable,
)
from closedloop.cli.progress import Progress
from closedloop.cli.stores import opened, tenants_of
from closedloop.domain.cases.lifecycle import LATTE

if TYPE_CHECKING:
    from closedloop import Desk, Standards, SweepReport
    from closedloop.insights import Insights
    from closedloop.ports import CaseStore

__all__ = [
    "default_period",
    "demo",
    "dispatch",
    "dispatch_desk",
    "dry_run",
    "facts",
    "given_period",
    "report",
    "report_of",
    "sweep",
    "sweep_desk",
]


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

    bar = Progress("demo")

    def progress(day: int, total: int, cases: int) -> None:
        bar.update(day, total, f"days, {cases} cases")

    run = run_demo(db, days=days, seed=seed, progress=progress if bar.active else None)
    bar.done()
    with open_store(db) as store:
        insights = compute(store, run.since, run.until)
        previous = _previous(store, run.since, run.until, run.until, None)
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
    store: CaseStore, since: datetime, until: datetime, end: datetime, standards: Standards | None
) -> Insights | None:
    """The period before ``[since, until)``, as long, up to as far into it as ``end`` is
    into this one (this week so far against last week as far); None if it would start
    before the first year closedloop takes."""
    from closedloop.domain.checks import FIRST_YEAR
    from closedloop.insights import compute

    start = since - (until - since)  # the CLI's times are from 1900, so no overflow
    if start.year < FIRST_YEAR:
        return None
    return compute(store, start, start + (end - since), standards=standards)


def facts(args: argparse.Namespace, out: TextIO) -> int:
    from closedloop import ValidationError
    from closedloop.insights import rebuild_facts
    from closedloop.ports import ReportStorage

    chosen = load_policy(args.policy) if args.policy else None
    with opened(args) as store:
        for view in _views(store, args, out):
            if not isinstance(view, ReportStorage):  # pragma: no cover - every shipped store
                raise ValidationError.of("--db", "this database keeps no report facts")
            bar = Progress("facts" + _of(view, args))
            done = rebuild_facts(
                view,
                standards=chosen.standards if chosen is not None else None,
                lifecycle=chosen.lifecycle if chosen is not None else LATTE,
                progress=bar.counter("cases back-filled"),
            )
            bar.done()
            print(f"{_prefix(view, args)}{done} cases given report facts", file=out)
    return 0


def sweep(args: argparse.Namespace, out: TextIO) -> int:
    from closedloop import Desk
    from closedloop.adapters.notify.log import LogNotifier

    chosen = load_policy(args.policy) if args.policy else None
    events = load_events(args.events) if args.events else None
    clock = clock_from(args.now)
    with opened(args) as store:
        for view in _views(store, args, out):
            desk = Desk(view, LogNotifier(out), clock=clock, policy=chosen, events=events)
            sweep_desk(desk, args.batch, out, _prefix(view, args))
    return 0


def sweep_desk(desk: Desk, batch: int, out: TextIO, prefix: str = "") -> SweepReport:
    """Sweep ``desk`` (``batch`` cases a query) and print what it did, a line per escalation."""
    report = desk.sweep(batch)
    print(f"{prefix}{report}", file=out)
    for case_id, level in report.escalated:
        print(f"  escalated {case_id} to level {level}", file=out)
    return report


def dispatch(args: argparse.Namespace, out: TextIO) -> int:
    from closedloop import Desk

    notifier = load_notifier(args.notifier)
    chosen = load_policy(args.policy) if args.policy else None
    events = load_events(args.events) if args.events else events_of(notifier)
    clock = clock_from(args.now)
    limit = args.limit
    with opened(args) as store:
        for view in _views(store, args, out):
            desk = Desk(view, notifier, clock=clock, policy=chosen, events=events)
            dispatch_desk(desk, limit, out, _prefix(view, args))
    return 0


def dispatch_desk(desk: Desk, limit: int, out: TextIO, prefix: str = "") -> tuple[int, int, int]:
    """Deliver everything ready in ``desk``'s outbox, ``limit`` messages a batch, and print
    how many were sent, are to be retried and were given up; returns those three counts."""
    sent = retrying = dead = 0
    while True:
        report = desk.outbox.dispatch(limit=limit)
        sent, retrying = sent + len(report.sent), retrying + len(report.retrying)
        dead += len(report.dead)
        if len(report.sent) + len(report.failed) + len(report.skipped) < limit:
            break
    print(f"{prefix}{sent} sent, {retrying} to retry, {dead} given up", file=out)
    return sent, retrying, dead


def dry_run(args: argparse.Namespace, out: TextIO) -> int:
    from closedloop.adapters.notify.log import LogNotifier

    clock = clock_from(args.now)
    now = clock.now() if clock is not None else datetime.now(UTC)
    show = LogNotifier(out)
    limit = args.limit
    with opened(args) as store:
        for view in _views(store, args, out):
            ready = view.outbox_ready(now, limit)
            summary = f"{len(ready)} ready (at most {limit} shown); nothing was sent or marked"
            if getattr(args, "all_tenants", False):  # each tenant's lines under its name
                print(f"{_prefix(view, args)}{summary}", file=out)
            for message in ready:
                show.send(message.notification)
            if not getattr(args, "all_tenants", False):
                print(summary, file=out)
    return 0


def report(args: argparse.Namespace, out: TextIO) -> int:
    import json

    from closedloop import ValidationError

    clock = clock_from(args.now)
    now = clock.now() if clock is not None else datetime.now(UTC)
    given = given_period(args, now)
    chosen = load_policy(args.policy) if args.policy else None
    if args.out is not None:
        writable(args.out, "--out")
    if args.all_tenants and args.format == "html":
        raise ValidationError.of(
            "--format", "an HTML report is of one tenant: give --tenant NAME, or --format text"
        )
    standards = chosen.standards if chosen is not None else None
    texts: list[str] = []
    documents: dict[str, object] = {}
    with opened(args) as store:
        views = _views(store, args, out)
        bar = Progress("report")
        for number, view in enumerate(views, 1):
            since, until = given or default_period(view, now)
            bar.update(number - 1, len(views), f"{view.tenant}: {since.date()} to {until.date()}")
            text = report_of(view, since, until, standards, args.format, now)
            if args.format == "json":
                documents[view.tenant] = json.loads(text)
            texts.append(
                _prefix(view, args, "== tenant {} ==\n") + text if args.format == "text" else text
            )
        bar.done()
    if args.format == "json" and args.all_tenants:
        texts = [json.dumps(documents, indent=2, ensure_ascii=False)]
    text = "\n".join(t if t.endswith("\n") else t + "\n" for t in texts)
    if args.out is not None:
        args.out.write_text(text, "utf-8")
        print(f"wrote {args.out}", file=out)
    else:
        out.write(text)
    return 0


def report_of(
    store: CaseStore,
    since: datetime,
    until: datetime,
    standards: Standards | None,
    form: str,
    now: datetime,
) -> str:
    """The report of ``[since, until)`` as ``form`` (text, json or html: the HTML report
    compares each standard with the period before), measured up to ``now`` (a step due
    after now is not missed yet)."""
    from closedloop.domain.checks import so_far
    from closedloop.insights import compute, render_html, render_text, to_json

    end = so_far(since, until, now)
    insights = compute(store, since, end, standards=standards)
    if form == "html":
        return render_html(insights, previous=_previous(store, since, until, end, standards))
    return to_json(insights) if form == "json" else render_text(insights)


def given_period(args: argparse.Namespace, now: datetime) -> tuple[datetime, datetime] | None:
    """The period ``--since`` and ``--until`` (and ``--now``) name, or None for the default
    one (:func:`default_period`)."""
    from closedloop import ValidationError

    if not args.since and not args.until:
        return (now - _MONTH, now) if args.now else None
    until = when(args.until, "--until") if args.until else now
    since = when(args.since, "--since") if args.since else until - _MONTH
    if since >= until:
        raise ValidationError.of(
            "--until",
            f"the period is empty: --until ({until.isoformat()}) must be after --since "
            f"({since.isoformat()})",
        )
    return since, until


_MONTH = timedelta(days=30)


def default_period(store: CaseStore, now: datetime) -> tuple[datetime, datetime]:
    """The last 30 days of the stored activity, in whole UTC days: up to the end of the day
    of the latest event, from 30 days before (or the day the first case opened, if later);
    the 30 days up to ``now`` for a store that cannot say, or holds no case."""
    from closedloop.ports import StoreOverview

    span = store.activity() if isinstance(store, StoreOverview) else None
    if span is None:
        return now - _MONTH, now
    first, last = (moment.astimezone(UTC) for moment in span)
    until = datetime.combine(last.date(), time(), UTC) + timedelta(days=1)
    since = max(datetime.combine(first.date(), time(), UTC), until - _MONTH)
    return since, until


def _views(store: CaseStore, args: argparse.Namespace, out: TextIO) -> list[CaseStore]:
    views = tenants_of(store, args)
    if not views:
        print("the database holds no tenant yet", file=out)
    return views


def _prefix(view: CaseStore, args: argparse.Namespace, form: str = "tenant {}: ") -> str:
    """Names the tenant in front of a result when the command ran over every tenant."""
    return form.format(view.tenant) if getattr(args, "all_tenants", False) else ""


def _of(view: CaseStore, args: argparse.Namespace) -> str:
    return f" ({view.tenant})" if getattr(args, "all_tenants", False) else ""
