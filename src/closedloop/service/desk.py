"""The Desk: what host applications call. The LATTE steps and case reading live here;
every other capability is an area reached from it (``desk.surveys``, ``desk.outbox``...)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, NoReturn

import attrs

from closedloop.domain.cases import steps as domain
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.events import Kano
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.cases.lifecycle import Lifecycle
from closedloop.domain.cases.queues import Queue
from closedloop.domain.checks import require_limit
from closedloop.domain.health import Health, HealthThresholds
from closedloop.ports import CaseStore, Clock, Notifier
from closedloop.service import health, identity, intake, invitations, lifecycle, logs, standards
from closedloop.service.assignment import check_hand_off, check_member
from closedloop.service.clock import CheckedClock, SystemClock
from closedloop.service.context import Context, Hooks, check_parts, checked_ids
from closedloop.service.conversation import Conversation
from closedloop.service.customers import Customers
from closedloop.service.inbox import Inbox
from closedloop.service.moved import MOVED
from closedloop.service.outbox import Outbox
from closedloop.service.policy import Policy
from closedloop.service.portal import Portal
from closedloop.service.promises import Promises
from closedloop.service.queues import Queues
from closedloop.service.reports import Reports
from closedloop.service.silence import obsolete
from closedloop.service.standards import Standards, SweepReport
from closedloop.service.subscription import Subscribe
from closedloop.service.surveys import Surveys
from closedloop.service.teams import Teams

__all__ = ["Desk"]


def _uuid() -> str:
    return uuid.uuid4().hex


class Desk:
    """The service a host application calls when feedback arrives and when staff act.

    Everything it uses comes through the constructor; it keeps no other state. Every step
    loads the case, asks the domain, and commits the new state, its events and any customer
    notification in one store call; notifications are delivered later by
    ``desk.outbox.dispatch()``, so a failing mail server never loses a change. Each step
    accepts ``expected_version``: pass the version your user saw, and the step raises
    :class:`~closedloop.ConcurrencyError` if someone changed the case since.

    Areas: :attr:`conversation`, :attr:`standards`, :attr:`promises`, :attr:`surveys`,
    :attr:`customers`, :attr:`queues`, :attr:`teams`, :attr:`portal`, :attr:`inbox`,
    :attr:`outbox`, :attr:`reports`.
    ``events`` subscribes the host to events (``Subscribe``): each is committed with its
    change and dispatched to a handler.
    """

    def __init__(
        self,
        store: CaseStore,
        notifier: Notifier,
        *,
        clock: Clock | None = None,
        policy: Policy | None = None,
        ids: Callable[[], str] | None = None,
        rng: random.Random | None = None,
        events: Subscribe | None = None,
    ) -> None:
        check_parts(store, notifier, clock, policy, ids, rng, events)
        self._ctx = Context(
            store=store,
            notifier=notifier,
            clock=CheckedClock(clock) if clock is not None else SystemClock(),
            policy=policy if policy is not None else Policy(),
            new_id=checked_ids(ids) if ids is not None else _uuid,
            random=(rng if rng is not None else random.Random()).random,
            hooks=Hooks(
                on_step=(invitations.withdraw_unresolved,),
                withhold=(invitations.withheld, identity.erased_recipient, obsolete),
                on_delivered=(invitations.delivered,),
            ),
            events=events,
        )

    @property
    def policy(self) -> Policy:
        """The policy this desk runs."""
        return self._ctx.policy

    # -- the areas ------------------------------------------------------------------------

    @cached_property
    def conversation(self) -> Conversation:
        """More messages, merges and splits, channel moves, waiting for the customer."""
        return Conversation(self._ctx)

    @cached_property
    def standards(self) -> Standards:
        """Deadlines, RAG status, due cases, escalations by the customer."""
        return Standards(self._ctx)

    @cached_property
    def promises(self) -> Promises:
        """Promises made to customers, tracked until kept."""
        return Promises(self._ctx)

    @cached_property
    def surveys(self) -> Surveys:
        """Invitations, answers and recovery of low scores."""
        return Surveys(self._ctx)

    @cached_property
    def customers(self) -> Customers:
        """One customer behind many handles; erasure."""
        return Customers(self._ctx)

    @cached_property
    def queues(self) -> Queues:
        """Tags, custom fields, and finding the cases an agent or a team works on."""
        return Queues(self._ctx)

    @cached_property
    def teams(self) -> Teams:
        """Teams, agents' availability, assignment by the policy's rule, and hand-offs."""
        return Teams(self._ctx)

    @cached_property
    def portal(self) -> Portal:
        """The customer's status links: what they see of their case, and what they may do."""
        return Portal(self._ctx)

    @cached_property
    def inbox(self) -> Inbox:
        """Inbound email: replies threaded onto their cases, new mail, bounces."""
        return Inbox(self._ctx)

    @cached_property
    def outbox(self) -> Outbox:
        """Delivering notifications; retries and dead letters."""
        return Outbox(self._ctx)

    @cached_property
    def reports(self) -> Reports:
        """Insights, promises, the no log and recovery of a period."""
        return Reports(self._ctx)

    # -- reading ----------------------------------------------------------------------

    def get(self, case_id: str) -> Case:
        """The case with this id; raises :class:`~closedloop.CaseNotFoundError`."""
        return self._ctx.store.get(case_id)

    def cases_of(self, customer: str) -> Sequence[Case]:
        """Every case of one customer handle, oldest first (``desk.customers.cases`` looks
        across every handle of a customer)."""
        return self._ctx.store.cases_of(customer)

    def unanswered(self, limit: int = 100) -> Sequence[Case]:
        """Open cases nobody has acknowledged yet, across every channel, oldest first."""
        return self._ctx.store.unanswered(limit)

    def queue(self, queue: Queue, limit: int = 100) -> Sequence[Case]:
        """The cases in one work queue — unanswered, awaiting our reply, awaiting the
        customer, on hold, in progress — longest waiting first. Every active case is in
        exactly one (``case.queue``)."""
        return self._ctx.store.queue(queue, limit)

    # -- LATTE ------------------------------------------------------------------------

    def listen(self, feedback: Feedback) -> Case:
        """Listen: record feedback as a case. Feedback whose ``external_id`` was seen before
        returns the case it made then, so webhook redeliveries are harmless. Feedback with
        the ``matter_key`` of the customer's open case joins that case as a new message,
        whatever its channel (``Policy.consolidation``)."""
        return intake.listen(self._ctx, feedback)

    def listen_many(self, feedback: Iterable[Feedback]) -> list[Case]:
        """Listen to many items in one store transaction (an import, a survey batch).

        Returns one case per item, in order; items whose ``external_id`` was seen before, in
        the store or earlier in the batch, return that case instead of a new one. Items
        that may join open cases (``Policy.consolidation``) are taken one at a time.
        """
        return intake.listen_many(self._ctx, feedback)

    def acknowledge(self, case_id: str, *, by: str, expected_version: int | None = None) -> Case:
        """Acknowledge: tell the customer it arrived, who is on it and when they hear next.

        The one acknowledging becomes the owner if the case has none.
        """

        def move(case: Case, now: datetime) -> Case:
            return domain.acknowledge(
                case,
                at=now,
                by=by,
                next_contact_by=lifecycle.promise(self._ctx, case, now),
                due_at=self._schedule,
                lifecycle=self._lc,
            )

        return self._advance(case_id, move, "acknowledgement", expected_version=expected_version)

    def take_action(
        self, case_id: str, *, by: str, summary: str, expected_version: int | None = None
    ) -> Case:
        """Take action: record what was done about it. Answering a question closes it, and
        the customer is sent the answer (``summary``)."""
        return self._advance(
            case_id,
            lambda c, now: domain.take_action(
                c, at=now, by=by, due_at=self._schedule, summary=summary, lifecycle=self._lc
            ),
            purpose=lambda case: "answer" if case.is_closed else None,
            expected_version=expected_version,
        )

    def decline(
        self,
        case_id: str,
        *,
        by: str,
        reason: str,
        category: str = "other",
        asked: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Take action by saying no, with the reason; Thank and Explain still follow.

        Every no goes in the no log (``desk.reports.no_log``): ``asked`` is what the customer asked
        for (the case's subject by default), ``category`` one of
        ``Policy.decline_categories``."""
        self._ctx.policy.check_decline_category(category)
        return self._advance(
            case_id,
            lambda c, now: domain.decline(
                c, at=now, by=by, due_at=self._schedule, reason=reason, category=category,
                asked=asked, lifecycle=self._lc,
            ),
            expected_version=expected_version,
        )  # fmt: skip

    def thank(self, case_id: str, *, by: str, expected_version: int | None = None) -> Case:
        """Thank the customer for the feedback."""
        return self._advance(
            case_id,
            lambda c, now: domain.thank(
                c, at=now, by=by, due_at=self._schedule, lifecycle=self._lc
            ),
            "thanks",
            expected_version=expected_version,
        )

    def explain(
        self,
        case_id: str,
        *,
        by: str,
        what_failed: str,
        what_changes: str,
        open_promises: str | None = None,
        root_cause: str | None = None,
        kano: Kano | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Explain what part of the process failed and what will change; closes the loop.

        A promise still unkept must be kept first, or ``open_promises`` must say what
        happens to it; it stays tracked after the loop closes. ``root_cause`` (a short
        label that repeats across cases) and its ``kano`` tag feed the reports."""
        return self._advance(
            case_id,
            lambda c, now: domain.explain(
                c, at=now, by=by, what_failed=what_failed, what_changes=what_changes,
                open_promises=open_promises, root_cause=root_cause, kano=kano,
                lifecycle=self._lc, due_at=self._schedule,
            ),
            "explanation",
            expected_version=expected_version,
        )  # fmt: skip

    def reopen(
        self,
        case_id: str,
        *,
        reason: str,
        by: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """The customer says it is not resolved: back to Take action. ``by`` defaults to
        the customer."""
        return self._advance(
            case_id,
            lambda c, now: domain.reopen(
                c, at=now, by=by if by is not None else c.customer, due_at=self._schedule,
                reason=reason, lifecycle=self._lc, window=self._ctx.policy.reopen_within,
            ),
            expected_version=expected_version,
        )  # fmt: skip

    def assign(
        self,
        case_id: str,
        *,
        owner: str,
        by: str,
        summary: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Give the case a new owner; ``summary`` tells them what the customer already said
        (required for a hand-off when ``Assignment.require_handoff_summary``)."""

        def move(case: Case, now: datetime) -> Case:
            if case.owner == owner and summary is None:
                return case  # theirs already: nothing changes hands
            check_member(self._ctx, case, owner)
            check_hand_off(self._ctx, case, owner, summary)
            return domain.assign(case, at=now, by=by, owner=owner, summary=summary)

        return self._advance(case_id, move, expected_version=expected_version)

    def health(self, thresholds: HealthThresholds | None = None) -> Health:
        """Is the desk keeping up, now: the outbox backlog and lag, dead letters, the oldest
        unanswered case, cases due and not swept, sweep lag, and a status against
        ``thresholds`` (``HealthThresholds()`` by default). Cheap on a store with the
        ``HealthStorage`` role (all shipped ones); ``docs/health.md``."""
        return health.health(self._ctx, thresholds)

    # -- the job ------------------------------------------------------------------------

    def sweep(self, batch: int = 500) -> SweepReport:
        """Escalate every case past its deadline one rung up the ladder, now; with
        ``Policy(warn_at_amber=True)`` also warn owners of steps turning amber. Run it from
        a job every few minutes.

        Idempotent at one instant, and safe with several sweepers at once: each case is
        escalated once, with exactly one alert per recipient, through the outbox. Survey
        invitations are swept too: due reminders go out, and unanswered ones expire.
        """
        report = standards.sweep(self._ctx, require_limit("batch", batch))
        reminded, expired = invitations.sweep_invitations(self._ctx, batch)
        report = attrs.evolve(report, reminded=tuple(reminded), expired=tuple(expired))
        logs.swept(self._ctx.store.tenant, report)
        return report

    # ----------------------------------------------------------------------------------

    if not TYPE_CHECKING:  # type checkers report old names as missing, which they are

        def __getattr__(self, name: str) -> NoReturn:
            moved = MOVED.get(name)
            if moved is None:
                raise AttributeError(f"'Desk' object has no attribute {name!r}")
            raise AttributeError(
                f"Desk.{name} moved to desk.{moved} when the Desk got its areas; "
                "CHANGELOG.md has the whole table"
            )

    @property
    def _schedule(self) -> domain.Due:
        """When the sweep must next look at a case, by the policy (given to each step)."""
        return lifecycle.schedule(self._ctx)

    @property
    def _lc(self) -> Lifecycle:
        return self._ctx.policy.lifecycle

    def _advance(
        self,
        case_id: str,
        move: lifecycle.Advance,
        purpose: str | Callable[[Case], str | None] | None = None,
        *,
        expected_version: int | None,
    ) -> Case:
        return lifecycle.advance(self._ctx, case_id, move, purpose, expected_version)
