"""Health figures: is the desk keeping up? The figures a store counts (the outbox backlog,
dead letters, the oldest unanswered case, cases past their deadline), what they mean at one
instant, and a status against thresholds. Pure: the instant is given, never read."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import attrs

from closedloop.domain.checks import instant, require_aware
from closedloop.domain.errors import ValidationError

__all__ = [
    "Health",
    "HealthFigures",
    "HealthStatus",
    "HealthThresholds",
    "Threshold",
    "assess",
    "span",
]

T = TypeVar("T", int, timedelta)


class HealthStatus(enum.Enum):
    """How a desk is doing against its :class:`HealthThresholds`, worst figure first."""

    OK = "ok"
    """Every figure is below its warning threshold."""
    WARN = "warn"
    """At least one figure reached its warning threshold, none its failure threshold."""
    FAIL = "fail"
    """At least one figure reached its failure threshold."""


@attrs.frozen
class HealthFigures:
    """What a store counts for ``desk.health()`` at one instant ``now``, each from an index
    (``HealthStorage.health_figures``)."""

    outbox_backlog: int
    """Pending outbox messages: waiting, held for later, leased or waiting to be retried."""
    outbox_overdue_since: datetime | None
    """The earliest time a pending message was due for an attempt (its delivery, or its
    retry, or the end of an abandoned lease), among those due by ``now``; None if none is."""
    dead_letters: int
    """Messages given up on."""
    oldest_unanswered: str | None
    """The id of the oldest open case nobody has acknowledged; None if there is none."""
    oldest_unanswered_at: datetime | None
    """When that case was opened; None if there is none."""
    cases_due: int
    """Cases whose next deadline (``due_at``) is before ``now``: due, not yet swept."""
    due_since: datetime | None
    """The earliest of those deadlines; None if no case is due."""
    outbox_retrying: int | None = None
    """Pending messages whose last delivery failed (``attempts`` above 0), waiting for their
    retry or leased for it; None: the store did not count them (a store written before
    this figure), and the Desk reads them through the outbox."""
    retrying_since: datetime | None = None
    """The earliest time one of those was first due (its ``deliver_after``, or when it was
    made); None if there is none."""


def _positive(field: str, value: object) -> None:
    if isinstance(value, bool) or not (
        (isinstance(value, int) and value >= 0)
        or (isinstance(value, timedelta) and value >= timedelta(0))
    ):
        raise ValidationError.of(
            field, f"{field} must be a count or a timedelta of 0 or more, or None, got {value!r}"
        )


def _threshold(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    for name in ("warn", "fail"):
        found = getattr(value, name, None)
        if found is not None:
            _positive(f"{attribute.name}.{name}", found)
    if not isinstance(value, Threshold):
        raise ValidationError.of(attribute.name, f"{attribute.name} must be a Threshold")
    kinds = {type(v) for v in (value.warn, value.fail) if v is not None}
    expected = timedelta if attribute.name in _DURATIONS else int
    if kinds - {expected}:
        raise ValidationError.of(
            attribute.name,
            f"{attribute.name} must be a Threshold of {expected.__name__} values, got {value!r}",
        )
    if value.warn is not None and value.fail is not None and value.warn > value.fail:
        raise ValidationError.of(
            attribute.name,
            f"{attribute.name}: warn ({value.warn}) must not be past fail ({value.fail})",
        )


@attrs.frozen
class Threshold(Generic[T]):
    """When a figure is a warning and when a failure: reaching ``warn`` (or ``fail``) counts.
    None: never."""

    warn: T | None = None
    """The value from which the figure is a warning; None: never a warning."""
    fail: T | None = None
    """The value from which the figure is a failure; None: never a failure."""

    def level(self, value: T) -> HealthStatus:
        """The status ``value`` earns."""
        if self.fail is not None and value >= self.fail:
            return HealthStatus.FAIL
        if self.warn is not None and value >= self.warn:
            return HealthStatus.WARN
        return HealthStatus.OK


_DURATIONS = frozenset({"outbox_lag", "retrying_age", "unanswered_age", "sweep_lag"})
_MINUTE = timedelta(minutes=1)


@attrs.frozen
class HealthThresholds:
    """Where each health figure turns from ok to warn to fail. The defaults suit a sweep and
    a dispatch run every few minutes; give your own to match your schedules."""

    outbox_backlog: Threshold[int] = attrs.field(
        default=Threshold(1_000, 10_000), validator=_threshold
    )
    """Pending outbox messages."""
    outbox_lag: Threshold[timedelta] = attrs.field(
        default=Threshold(15 * _MINUTE, 60 * _MINUTE), validator=_threshold
    )
    """How long a message due for an attempt has waited: dispatch is not running or not
    keeping up."""
    dead_letters: Threshold[int] = attrs.field(default=Threshold(1, None), validator=_threshold)
    """Messages given up on: the notifier is failing."""
    unanswered_age: Threshold[timedelta] = attrs.field(
        default=Threshold(timedelta(days=1), None), validator=_threshold
    )
    """How long the oldest unanswered case has waited."""
    cases_due: Threshold[int] = attrs.field(default=Threshold(500, 5_000), validator=_threshold)
    """Cases past their deadline and not yet swept."""
    sweep_lag: Threshold[timedelta] = attrs.field(
        default=Threshold(15 * _MINUTE, 60 * _MINUTE), validator=_threshold
    )
    """How long ago the oldest deadline not yet swept passed: the sweep is not running or
    not keeping up."""
    # Last, so that thresholds given by position before it mean what they did.
    retrying_age: Threshold[timedelta] = attrs.field(
        default=Threshold(10 * _MINUTE, 60 * _MINUTE), validator=_threshold
    )
    """How long the oldest message whose delivery failed has waited since it was due: the
    notifier is failing, before its messages become dead letters."""


@attrs.frozen
class Health:
    """The desk's health at one instant (``desk.health()``): the figures, relative to the
    desk's clock, and a status with its reasons."""

    at: datetime
    """The instant the figures describe (the desk's clock)."""
    tenant: str
    """The tenant they are for."""
    outbox_backlog: int
    """Pending outbox messages (waiting, held for later, leased or to be retried)."""
    outbox_lag: timedelta
    """How long the most overdue pending message has waited past the time it was due for
    an attempt; zero when none is overdue."""
    outbox_retrying: int
    """Pending messages whose last delivery failed, waiting for their retry."""
    retrying_age: timedelta
    """How long the oldest of those has waited since it was first due (its
    ``deliver_after``, or when it was made); zero when none is waiting for a retry."""
    dead_letters: int
    """Messages given up on after failed deliveries (``desk.outbox.dead_letters()``, which
    also lists the ones closedloop withheld as moot, not counted here: nothing to fix)."""
    oldest_unanswered: str | None
    """The id of the oldest open case nobody has acknowledged; None if there is none."""
    unanswered_age: timedelta | None
    """How long that case has been open; None if there is none."""
    cases_due: int
    """Cases whose next deadline has passed: due and not swept yet."""
    sweep_lag: timedelta
    """How long ago the oldest of those deadlines passed; zero when no case is due."""
    status: HealthStatus
    """The worst level any figure reached against the thresholds."""
    reasons: tuple[str, ...]
    """One sentence per figure at warn or fail, worst first: what it is, the threshold,
    and what to look at."""


def _since(now: datetime, then: datetime | None) -> timedelta:
    return max(instant(now) - instant(then), timedelta(0)) if then is not None else timedelta(0)


def span(value: timedelta) -> str:
    """A duration as people read it: ``3d 4h``, ``2h 5m``, ``45s``."""
    seconds = int(value.total_seconds())
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0s"


def _shown(value: int | timedelta) -> str:
    return span(value) if isinstance(value, timedelta) else str(value)


_WHAT = {
    "outbox_lag": ("a pending message has waited {} past its delivery time", "is 'closedloop "
                   "dispatch' running, and is the notifier reachable?"),
    "sweep_lag": ("the oldest deadline not yet swept passed {} ago",
                  "is 'closedloop sweep' running?"),
    "cases_due": ("{} cases are past their deadline and not swept",
                  "is 'closedloop sweep' running, and keeping up?"),
    "retrying_age": ("{count} messages failed delivery and wait for a retry, the oldest due {} "
                     "ago", "is the notifier (or the host event handler) reachable? each "
                     "dispatch reports what failed (DispatchReport.retrying); they become dead "
                     "letters when retries run out"),
    "outbox_backlog": ("{} messages wait in the outbox", "is dispatch keeping up?"),
    "dead_letters": ("{} messages were given up on", "fix the notifier, then requeue them "
                     "(desk.outbox.dead_letters(), desk.outbox.requeue())"),
    "unanswered_age": ("case {case} has waited {} for an acknowledgement",
                       "see desk.unanswered()"),
}  # fmt: skip


def assess(
    figures: HealthFigures, now: datetime, thresholds: HealthThresholds, tenant: str
) -> Health:
    """What ``figures``, counted at ``now``, say about a desk, against ``thresholds``."""
    now = require_aware("now", now)
    unanswered = (
        _since(now, figures.oldest_unanswered_at) if figures.oldest_unanswered is not None else None
    )
    outbox_lag = _since(now, figures.outbox_overdue_since)
    sweep_lag = _since(now, figures.due_since)
    retrying = figures.outbox_retrying or 0
    retrying_age = _since(now, figures.retrying_since) if retrying else timedelta(0)
    values: dict[str, int | timedelta | None] = {
        "outbox_lag": outbox_lag,
        "retrying_age": retrying_age,
        "sweep_lag": sweep_lag,
        "cases_due": figures.cases_due,
        "outbox_backlog": figures.outbox_backlog,
        "dead_letters": figures.dead_letters,
        "unanswered_age": unanswered,
    }
    found: list[tuple[HealthStatus, str]] = []
    for name, value in values.items():
        if value is None:
            continue
        threshold: Threshold[Any] = getattr(thresholds, name)
        level = threshold.level(value)
        if level is HealthStatus.OK:
            continue
        what, hint = _WHAT[name]
        limit = threshold.fail if level is HealthStatus.FAIL else threshold.warn
        assert limit is not None  # a level is reached only at a threshold
        sentence = what.format(_shown(value), case=figures.oldest_unanswered, count=retrying)
        reason = f"{level.value}: {sentence} ({level.value} at {_shown(limit)}); {hint}"
        found.append((level, reason))
    found.sort(key=lambda item: item[0] is not HealthStatus.FAIL)  # stable: fail first
    status = found[0][0] if found else HealthStatus.OK
    return Health(
        at=now,
        tenant=tenant,
        outbox_backlog=figures.outbox_backlog,
        outbox_lag=outbox_lag,
        outbox_retrying=retrying,
        retrying_age=retrying_age,
        dead_letters=figures.dead_letters,
        oldest_unanswered=figures.oldest_unanswered,
        unanswered_age=unanswered,
        cases_due=figures.cases_due,
        sweep_lag=sweep_lag,
        status=status,
        reasons=tuple(reason for _, reason in found),
    )
