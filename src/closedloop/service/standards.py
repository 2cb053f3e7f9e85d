"""Performance standards (``desk.standards``): deadlines and RAG status, the sweep that
escalates late cases, and escalations by the customer."""

from __future__ import annotations

import contextlib
from datetime import datetime

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.contact import WaitingOn
from closedloop.domain.cases.events import Rescheduled
from closedloop.domain.change import Change
from closedloop.domain.checks import instant
from closedloop.domain.errors import (
    CaseNotFoundError,
    ConcurrencyError,
    LifecycleError,
    UnreadableRecordError,
    ValidationError,
)
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.reports.measure import measurements
from closedloop.domain.standards import escalation, pauses
from closedloop.domain.standards.standard import (
    Deadline,
    Rag,
    deadlines,
    due_times,
    status,
    warned,
)
from closedloop.ports import ClaimsDueCases, ReadsManyCases
from closedloop.service import silence
from closedloop.service.context import Context, not_before
from closedloop.service.lateness import late_change, warning_change
from closedloop.service.lifecycle import advance, render, schedule, show
from closedloop.service.logs import standards as log
from closedloop.service.sweep_report import SweepReport, Tally

__all__ = ["Standards", "SweepReport", "sweep"]


def sweep(ctx: Context, batch: int = 500) -> SweepReport:
    """Escalate every open case past its deadline one rung, at the clock's time.

    Finds cases through the store's indexed ``due`` query (or ``claim_due``), page by page,
    and commits each page's changes in one transaction, each with the version it read. A
    case another worker changed meanwhile is re-read and redone alone, the rest of its page
    committed without it; so several sweepers at once escalate each case once. A second
    sweep at the same instant finds nothing to do.
    """
    now = ctx.clock.now()
    tally = Tally(tenant=ctx.store.tenant)
    seen: set[str] = set()
    # Cases swept already that the due query still returns (one another worker changed, a
    # rule refused): each page asks for that many more, so they never crowd it out.
    stuck: set[str] = set()
    store = ctx.store
    claims = store if isinstance(store, ClaimsDueCases) else None
    while True:
        limit = batch + len(stuck)
        refs = claims.claim_due(now, batch) if claims is not None else store.due(now, limit)
        ids = list(dict.fromkeys(ref.id for ref in refs))
        fresh = [case_id for case_id in ids if case_id not in seen]
        before = len(stuck)
        stuck.update(case_id for case_id in ids if case_id in seen)
        if not fresh:
            if claims is None and len(refs) >= limit and len(stuck) > before:
                continue  # a full page of them: look past it
            break
        seen.update(fresh)
        loaded = store.get_many(fresh) if isinstance(store, ReadsManyCases) else {}
        page: dict[str, tuple[Case, Change]] = {}
        for case_id in fresh:
            case = loaded.get(case_id) or _read(ctx, case_id, tally)
            change = None if case is None else _move(ctx, case, now, tally)
            if case is not None and change is not None:
                page[case_id] = (case, change)
        _commit_page(ctx, page, now, tally)
    return tally.report(now)


#: Conflicts in one page after which the rest of it is committed case by case: sweepers
#: racing over the same page (stores without ``claim_due``) would otherwise retry it whole
#: once per case.
_PAGE_RETRIES = 3


def _commit_page(
    ctx: Context, page: dict[str, tuple[Case, Change]], now: datetime, tally: Tally
) -> None:
    """Commit the page at once; each case that conflicts leaves it to be redone alone."""
    conflicted: list[str] = []
    while page and len(conflicted) < _PAGE_RETRIES:
        try:
            ctx.commit_many([change for _, change in page.values()])
        except ConcurrencyError as conflict:
            if conflict.case_id not in page:  # pragma: no cover - the sweep writes only these
                raise
            del page[conflict.case_id]
            log.debug(
                "sweep: case %s changed meanwhile",
                conflict.case_id,
                extra=tally.about(conflict.case_id),
            )
            conflicted.append(conflict.case_id)
            continue
        for case, change in page.values():
            tally.record(case, change)
        page = {}
    for case, change in page.values():  # too many conflicts: the rest one at a time
        try:
            ctx.commit(change)
        except ConcurrencyError:
            conflicted.append(case.id)
            continue
        tally.record(case, change)
    for case_id in conflicted:
        _redo(ctx, case_id, now, tally)


def _redo(ctx: Context, case_id: str, now: datetime, tally: Tally) -> None:
    """Re-read a case whose commit conflicted and sweep it again, alone. If it needs
    nothing now, or conflicts again, another worker had it: left to them."""
    case = _read(ctx, case_id, tally)
    change = None if case is None else _move(ctx, case, now, tally)
    if case is not None and change is not None:
        try:
            ctx.commit(change)
        except ConcurrencyError:
            change = None
    if case is None or change is None:
        tally.conflicts += 1
        log.debug("sweep: case %s left to another worker", case_id, extra=tally.about(case_id))
        return
    tally.record(case, change)


def _move(ctx: Context, case: Case, now: datetime, tally: Tally) -> Change | None:
    """``_sweep_one``, but a case whose due change cannot be made (a rule refuses it) is
    left as it is and reported, so that one case never stops the sweep of all the others."""
    try:
        return _sweep_one(ctx, case, now)
    except (ValidationError, LifecycleError) as error:
        tally.failed.append(case.id)
        log.warning(
            "sweep: case %s left as it is: %s", case.id, type(error).__name__,
            extra=tally.about(case.id, error=type(error).__name__),
        )  # fmt: skip
        return None


def _read(ctx: Context, case_id: str, tally: Tally) -> Case | None:
    try:
        return ctx.store.get(case_id)
    except CaseNotFoundError:
        return None
    except UnreadableRecordError:
        tally.unreadable.append(case_id)
        log.warning("sweep: case %s unreadable, left as it is", case_id, extra=tally.about(case_id))
        return None


#: The most moves one sweep makes on one case (resumed, then escalated, then warned...).
_MOVES = 4


def _sweep_one(ctx: Context, case: Case, now: datetime) -> Change | None:
    """Everything ``case`` is due for at ``now``, in one change: each move (end a pause,
    escalate, warn at amber...) while the case it leaves is still due, so that the case
    leaves the due query and a second sweep at this instant has nothing to do."""
    now = not_before(now, case)  # a sweeper whose clock lags never writes into the past
    change = _sweep_step(ctx, case, now)
    for _ in range(_MOVES):
        if change is None or isinstance(change.case.events[-1], Rescheduled):
            break  # nothing due, or nothing left to do but wait
        more = _sweep_step(ctx, change.case, now)
        if more is None:
            break
        change = Change(more.case, case.version, (*change.notifications, *more.notifications))
    return change


def _sweep_step(ctx: Context, case: Case, now: datetime) -> Change | None:
    """The one escalation, warning or end of a pause ``case`` is due for at ``now``."""
    if case.due_at is None or not instant(case.due_at) < instant(now):
        return None  # someone acted on it since the query
    policy = ctx.policy
    ladder = policy.ladder
    if _pause_ends(case, now):
        return _end_pause(ctx, case, now)
    announced = late_change(ctx, case, now, _alert)
    if announced is not None:
        return announced
    overdue = sorted(
        (p for p in case.promises if p.overdue(now) and not p.escalated),
        key=lambda p: instant(p.deadline),
    )
    climb = escalation.next_rung_at(case, ladder)
    if overdue and (climb is None or instant(climb) < instant(now)):
        # Lateness OFF (a policy that notifies announced it above): the promise missed
        # first, one rung per wait (at the top, the top rung is alerted again).
        promise = overdue[0]
        moved = escalation.escalate_promise(
            case, at=now, ladder=ladder, promise=promise, due_at=schedule(ctx)
        )
        rung = ladder.rung(moved.escalation_level)
        notes = tuple(
            _alert(ctx, moved, "escalation", to, f'promise "{promise.what}"', promise.deadline, now)
            for to in ladder.recipients_of(rung, policy.lead_of(moved.team))
        )
        return Change(moved, case.version, notes)
    warning = warning_change(ctx, case, now, _alert)
    if warning is not None:
        return warning
    # Due times first: RAG statuses (business time used so far) only for amber warnings.
    # With the amber instants: the escalated case's schedule asks for them, and the sweep's
    # own events hand them on (``apply_stored``).
    pending = due_times(case, policy.standards, amber=True, lifecycle=policy.lifecycle)
    late = [d for d in pending if d.due_at is not None and instant(d.due_at) < instant(now)]
    if late and _may_climb(case, ladder, now):
        moved = escalation.escalate(
            case, at=now, ladder=ladder, breached=late[0], due_at=schedule(ctx)
        )
        rung = ladder.rung(moved.escalation_level)
        notes = tuple(
            _alert(ctx, moved, "escalation", to, late[0].standard.name, late[0].due_at, now)
            for to in ladder.recipients_of(rung, policy.lead_of(moved.team))
        )
        return Change(moved, case.version, notes)
    amber = [
        d
        for d in (deadlines(case, policy.standards, now, policy.lifecycle)
                  if policy.warn_at_amber else ())
        if d.rag is Rag.AMBER and not warned(case, d)
    ]  # fmt: skip
    if amber:
        moved = escalation.warn(case, at=now, amber=amber[0], due_at=schedule(ctx))
        to = case.owner or ladder.recipients_of(ladder.rung(1), policy.lead_of(case.team))[0]
        alert = _alert(ctx, moved, "warning", to, amber[0].standard.name, amber[0].due_at, now)
        return Change(moved, case.version, (alert,))
    # Due, yet nothing to do: the policy changed under the case. Record its real next time,
    # so that it leaves the due query instead of coming back at every sweep.
    return Change(escalation.reschedule(case, at=now, due_at=schedule(ctx)), case.version)


def _pause_ends(case: Case, now: datetime) -> bool:
    pause = case.pause
    return (
        case.merged_into is None  # a merged case's pause went with its messages
        and pause is not None
        and pause.resume_by is not None
        and (instant(pause.resume_by) <= instant(now))
    )


def _end_pause(ctx: Context, case: Case, now: datetime) -> Change:
    """A pause's time is up: a third party or a date resumes; a silent customer is told the
    case will close, or, told already (the notice delivered), it closes (see
    :mod:`closedloop.service.silence`)."""
    pause = case.pause
    assert pause is not None
    if pause.waiting_on is not WaitingOn.CUSTOMER:
        why = f"the time to resume came ({pause.reason})"
        # At resume_by, not whenever the sweep came: a late sweep must not lengthen the
        # pause and move the deadlines (nor before the case's last event).
        at = not_before(pause.resume_by or now, case)
        resumed = pauses.resume(case, at=at, by="closedloop", reason=why, due_at=schedule(ctx))
        return Change(resumed, case.version)
    if pause.notice_at is None:
        return silence.tell_of_closing(ctx, case, now)
    return silence.close_for_silence(ctx, case, now)


def _may_climb(case: Case, ladder: escalation.Ladder, now: datetime) -> bool:
    climb = escalation.next_rung_at(case, ladder)
    return climb is not None and instant(climb) < instant(now)


def _alert(
    ctx: Context,
    case: Case,
    purpose: str,
    to: str,
    standard: str,
    due: datetime | None,
    now: datetime,
) -> Notification:
    ladder = ctx.policy.ladder
    hold = ladder.calendar.next_open(now) if ladder.hold_until_open else None
    return render(
        ctx, case, purpose, now, to=to, channel=ladder.channel,
        deliver_after=hold if hold is not None and instant(hold) > instant(now) else None,
        rung=ladder.rung(max(case.escalation_level, 1)).name,
        standard=standard, due=show(ctx, due),
    )  # fmt: skip


class Standards:
    """How fast each step must happen, and what happens when it does not, reached as
    ``desk.standards``. The sweep itself is :meth:`Desk.sweep <closedloop.Desk.sweep>`."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def deadlines(self, case_id: str) -> tuple[Deadline, ...]:
        """Each pending step of the case: its standard, deadline and RAG status now."""
        ctx = self._ctx
        case = ctx.store.get(case_id)
        return deadlines(case, ctx.policy.standards, ctx.clock.now(), ctx.policy.lifecycle)

    def status(self, case_id: str) -> Rag:
        """The case's worst RAG status now (GREEN once nothing is pending)."""
        return status(self.deadlines(case_id))

    def due(self, limit: int = 100) -> list[Case]:
        """Open cases the sweep would act on now (a step late, the next rung due, or an
        amber warning), earliest first. For each case's own RAG, see :meth:`status`."""
        found = []
        for due in self._ctx.store.due(self._ctx.clock.now(), limit):
            with contextlib.suppress(UnreadableRecordError, CaseNotFoundError):
                found.append(self._ctx.store.get(due.id))
        return found

    def escalate(
        self,
        case_id: str,
        *,
        to: str,
        by: str | None = None,
        channel: Channel = Channel.EMAIL,
        expected_version: int | None = None,
    ) -> Case:
        """The customer escalated (to an ombudsman, an executive): recorded apart from the
        sweep's escalations, with whether a standard was already breached, and the case's
        priority raised. ``by`` defaults to the customer."""
        ctx = self._ctx
        policy = ctx.policy
        if isinstance(channel, Channel):
            policy.check_channel(channel)
        escalated = advance(
            ctx,
            case_id,
            lambda case, now: escalation.customer_escalate(
                case, at=now, by=case.customer if by is None else by, to=to, channel=channel,
                standards=policy.standards, due_at=schedule(ctx), lifecycle=policy.lifecycle,
                done_late=any(
                    m.met is False
                    for m in measurements(case, policy.standards, policy.lifecycle)
                ),
            ),
            expected_version=expected_version,
        )  # fmt: skip
        log.info(
            "case %s escalated by the customer", case_id,
            extra={"tenant": ctx.store.tenant, "case_id": case_id},
        )  # fmt: skip
        return escalated
