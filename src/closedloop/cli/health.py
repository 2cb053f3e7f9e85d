"""``closedloop health``: the figures of ``desk.health()``, as text or JSON, and an exit code
a monitor can act on: 0 ok, 3 warn, 4 fail (the worst tenant's)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any, TextIO

from closedloop.cli.inputs import clock_from, load_object
from closedloop.cli.stores import opened, tenants_of

if TYPE_CHECKING:
    from closedloop import Health, HealthThresholds

__all__ = ["EXIT_FAIL", "EXIT_WARN", "document", "health", "load_thresholds"]

#: The exit code when a figure reached its warning threshold and none its failure one.
EXIT_WARN = 3
#: The exit code when a figure reached its failure threshold.
EXIT_FAIL = 4


def load_thresholds(spec: str) -> HealthThresholds:
    """The HealthThresholds object named ``module:attribute``."""
    from closedloop import HealthThresholds, ValidationError

    found = load_object(spec, "thresholds", default="THRESHOLDS")
    if not isinstance(found, HealthThresholds):
        raise ValidationError.of(
            "--thresholds",
            f"{spec!r} is a {type(found).__name__}, not a closedloop HealthThresholds",
        )
    return found


def health(args: argparse.Namespace, out: TextIO) -> int:
    from closedloop import Desk, HealthStatus
    from closedloop.adapters.notify.log import LogNotifier

    thresholds = load_thresholds(args.thresholds) if args.thresholds else None
    clock = clock_from(args.now)
    with opened(args) as store:
        found = [
            Desk(view, LogNotifier(out), clock=clock).health(thresholds)
            for view in tenants_of(store, args)
        ]
    if args.json:
        documents = [document(h) for h in found]
        shown: Any = documents if args.all_tenants else documents[0]
        out.write(json.dumps(shown, indent=2, ensure_ascii=False) + "\n")
    elif not found:
        print("closedloop health: the database holds no tenant yet", file=out)
    for h in found if not args.json else ():
        out.write(text(h))
    statuses = {h.status for h in found}
    if HealthStatus.FAIL in statuses:
        return EXIT_FAIL
    return EXIT_WARN if HealthStatus.WARN in statuses else 0


def text(h: Health) -> str:
    """The figures as lines people read, then the reasons."""
    from closedloop.domain.health import span

    unanswered = (
        f"{h.oldest_unanswered}, waiting {span(h.unanswered_age)}"
        if h.oldest_unanswered is not None and h.unanswered_age is not None
        else "none"
    )
    retrying = (
        f"{h.outbox_retrying} failed, the oldest due {span(h.retrying_age)} ago"
        if h.outbox_retrying
        else "0"
    )
    rows = [
        ("outbox backlog", f"{h.outbox_backlog} pending"),
        ("outbox lag", span(h.outbox_lag)),
        ("retrying", retrying),
        ("dead letters", str(h.dead_letters)),
        ("oldest unanswered", unanswered),
        ("cases due", f"{h.cases_due} not swept"),
        ("sweep lag", span(h.sweep_lag)),
    ]
    lines = [f"closedloop health: {h.status.value} (tenant {h.tenant}, at {h.at.isoformat()})"]
    lines += [f"  {name:<18} {value}" for name, value in rows]
    lines += [f"  {reason}" for reason in h.reasons]
    return "\n".join(lines) + "\n"


def document(h: Health) -> dict[str, Any]:
    """The figures as JSON values: durations in seconds, times in ISO 8601."""

    def seconds(value: Any) -> float | None:
        return None if value is None else value.total_seconds()

    return {
        "tenant": h.tenant,
        "at": h.at.isoformat(),
        "status": h.status.value,
        "outbox_backlog": h.outbox_backlog,
        "outbox_lag_seconds": seconds(h.outbox_lag),
        "outbox_retrying": h.outbox_retrying,
        "retrying_age_seconds": seconds(h.retrying_age),
        "dead_letters": h.dead_letters,
        "oldest_unanswered": h.oldest_unanswered,
        "unanswered_age_seconds": seconds(h.unanswered_age),
        "cases_due": h.cases_due,
        "sweep_lag_seconds": seconds(h.sweep_lag),
        "reasons": list(h.reasons),
    }
