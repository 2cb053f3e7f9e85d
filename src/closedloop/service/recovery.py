"""Use case: recovery figures for a period, from the store's streamed answers."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from closedloop.domain.checks import require_period
from closedloop.domain.surveys.recovery import RecoveryFigures
from closedloop.insights.recovery import stored_recovery
from closedloop.service.context import Context

__all__ = ["RecoveryReport", "recovery_report"]


def _median(wait: timedelta | None) -> str:
    return "n/a" if wait is None else str(wait)


@attrs.frozen
class RecoveryReport:
    """Recovery figures for answers received in ``[since, until)``."""

    since: datetime
    """The start of the period (included)."""
    until: datetime
    """Its end (not included)."""
    figures: RecoveryFigures
    """The figures."""

    def __str__(self) -> str:
        f = self.figures

        def pct(rate: float | None) -> str:
            return "n/a" if rate is None else f"{100 * rate:.0f}%"

        return (
            f"{f.answers} answers, {f.needing_recovery} needing recovery; "
            f"close-the-loop rate {pct(f.close_the_loop_rate)} "
            f"({f.contacted_in_time} contacted within standard); "
            f"median time to contact {_median(f.time_to_contact_median)}; "
            f"recovery rate {pct(f.recovery_rate)} ({f.recovered} of {f.detractors} detractors)"
        )


def recovery_report(ctx: Context, since: datetime, until: datetime) -> RecoveryReport:
    """Close-the-loop rate, time to contact and recovery rate for a period's answers."""
    require_period(since, until)
    figures = stored_recovery(ctx.store, since, until, ctx.policy.standards)
    return RecoveryReport(since, until, figures)
