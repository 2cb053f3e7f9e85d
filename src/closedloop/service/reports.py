"""Reports (``desk.reports``): the figures of a period under this desk's policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from closedloop.domain.cases.case import promises_of
from closedloop.domain.cases.promises import PromiseFigures, promise_figures
from closedloop.domain.checks import require_count, require_period, so_far
from closedloop.domain.customers.nolog import NoLog
from closedloop.domain.customers.nolog import no_log as build_no_log
from closedloop.insights.compute import compute
from closedloop.insights.figures import Insights, KpiThresholds
from closedloop.insights.read_model import rebuild_facts
from closedloop.ports import ReportStorage
from closedloop.service.context import Context
from closedloop.service.recovery import RecoveryReport, recovery_report

__all__ = ["Reports"]

# Reports that must see every case made before a period start their scan here.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Reports:
    """What happened in a period ``[since, until)``, streamed from the store, reached as
    ``desk.reports``. Every figure is described in ``docs/insights.md``."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def insights(
        self, since: datetime, until: datetime, *, thresholds: KpiThresholds | None = None
    ) -> Insights:
        """The figures of ``[since, until)`` under this desk's standards: KPIs, the
        unanswered queue, rates, effort, surveys, promises, the no log and root causes
        (see :mod:`closedloop.insights`). A period that ends after the desk's clock is
        measured up to now (``insights.until`` is then now plus a microsecond): a step due
        later is not yet missed, and the unanswered queue's ages are today's; one that
        starts after now is refused (a ``ValidationError``)."""
        policy = self._ctx.policy
        return compute(
            self._ctx.store, since, self._so_far(since, until), standards=policy.standards,
            lifecycle=policy.lifecycle, thresholds=thresholds,
        )  # fmt: skip

    def rebuild_facts(self, progress: Callable[[int], None] | None = None) -> int:
        """Back-fill the report facts of every case whose facts are missing or were measured
        under other standards than this desk's (after a migration or a policy change);
        returns how many cases got facts. A store without the read model has none to fill."""
        store = self._ctx.store
        if not isinstance(store, ReportStorage):
            return 0
        policy = self._ctx.policy
        return rebuild_facts(
            store, standards=policy.standards, lifecycle=policy.lifecycle, progress=progress
        )

    def promises(self, since: datetime, until: datetime) -> PromiseFigures:
        """Promises that fell due in ``[since, until)``: kept on time, late, still open.
        A promise made long before the period may fall due in it, so every case up to
        ``until`` is streamed (never held all at once). Up to the desk's clock, as
        :meth:`insights`: a promise due later has not fallen due yet."""
        until = self._so_far(since, until)
        store = self._ctx.store
        return promise_figures(promises_of(store.cases_active(_EPOCH, until)), since, until)

    def no_log(self, since: datetime, until: datetime, examples: int = 3) -> NoLog:
        """Every request declined in ``[since, until)``, by category, most frequent first,
        with a few examples of each (scenario 9: the 30-day no log)."""
        require_period(since, until)
        require_count("examples", examples)
        return build_no_log(self._ctx.store.cases_active(since, until), since, until, examples)

    def recovery(self, since: datetime, until: datetime) -> RecoveryReport:
        """Close-the-loop rate, time to contact and recovery rate for survey answers
        received in ``[since, until)`` (up to the desk's clock, as :meth:`insights`)."""
        return recovery_report(self._ctx, since, self._so_far(since, until))

    def _so_far(self, since: datetime, until: datetime) -> datetime:
        return so_far(since, until, self._ctx.clock.now())
