"""The Desk: what host applications call."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

import attrs

from closedloop.domain.cases import conversation as talk
from closedloop.domain.cases import steps as domain
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.events import Kano
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.cases.lifecycle import Lifecycle
from closedloop.domain.cases.promises import PromiseFigures
from closedloop.domain.customers.erasure import Erasure, pseudonym_for
from closedloop.domain.customers.identity import Customer
from closedloop.domain.customers.nolog import NoLog
from closedloop.domain.errors import ValidationError
from closedloop.domain.outbox.messages import OutboxMessage
from closedloop.domain.standards.standard import Deadline, Rag, deadlines, status
from closedloop.domain.surveys.eligibility import Contact
from closedloop.domain.surveys.invitation import Invitation
from closedloop.domain.surveys.survey import Answer, Survey
from closedloop.insights.compute import compute
from closedloop.insights.figures import Insights, KpiThresholds
from closedloop.ports import CaseStore, Clock, Notifier
from closedloop.service import conversation, identity, lifecycle, standards, surveys
from closedloop.service import dispatch as outbox
from closedloop.service.clock import SystemClock
from closedloop.service.context import Context
from closedloop.service.dispatch import DispatchReport
from closedloop.service.policy import Policy
from closedloop.service.recovery import RecoveryReport, recovery_report
from closedloop.service.standards import SweepReport
from closedloop.service.surveys import Invited

__all__ = ["Desk"]


def _uuid() -> str:
    return uuid.uuid4().hex


class Desk:
    """The service a host application calls when feedback arrives and when staff act.

    Everything it uses comes through the constructor; it keeps no other state. Every step
    loads the case, asks the domain, and commits the new state, its events and any customer
    notification in one store call. Notifications are delivered later by :meth:`dispatch`,
    so a failing mail server never loses a change.

    Each step accepts ``expected_version``: pass the version your user saw, and the step
    raises :class:`~closedloop.ConcurrencyError` if someone changed the case since.
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
    ) -> None:
        self._ctx = Context(
            store=store,
            notifier=notifier,
            clock=clock if clock is not None else SystemClock(),
            policy=policy if policy is not None else Policy(),
            new_id=ids if ids is not None else _uuid,
            random=(rng if rng is not None else random.Random()).random,
        )

    @property
    def policy(self) -> Policy:
        """The policy this desk runs."""
        return self._ctx.policy

    # -- reading ----------------------------------------------------------------------

    def get(self, case_id: str) -> Case:
        """The case with this id; raises :class:`~closedloop.CaseNotFoundError`."""
        return self._ctx.store.get(case_id)

    def cases_of(self, customer: str) -> Sequence[Case]:
        """Every case of one customer, oldest first."""
        return self._ctx.store.cases_of(customer)

    def unanswered(self, limit: int = 100) -> Sequence[Case]:
        """Open cases nobody has acknowledged yet, across every channel, oldest first."""
        return self._ctx.store.unanswered(limit)

    def due_now(self, limit: int = 100) -> list[Case]:
        """Open cases the sweep would act on now (a step late, the next rung due, or an
        amber warning), earliest first. For each case's own RAG, see :meth:`status`."""
        store = self._ctx.store
        return [store.get(due.id) for due in store.due(self._ctx.clock.now(), limit)]

    # -- LATTE ------------------------------------------------------------------------

    def listen(self, feedback: Feedback) -> Case:
        """Listen: record feedback as a case. Feedback whose ``external_id`` was seen before
        returns the case it made then, so webhook redeliveries are harmless. Feedback with
        the ``matter_key`` of the customer's open case joins that case as a new message,
        whatever its channel (``Policy.consolidation``)."""
        return conversation.listen(self._ctx, feedback)

    def listen_many(self, feedback: Iterable[Feedback]) -> list[Case]:
        """Listen to many items in one store transaction (an import, a survey batch).

        Returns one case per item, in order; items whose ``external_id`` was seen before, in
        the store or earlier in the batch, return that case instead of a new one. Items
        that may join open cases (``Policy.consolidation``) are taken one at a time.
        """
        return conversation.listen_many(self._ctx, feedback)

    def acknowledge(self, case_id: str, *, by: str, expected_version: int | None = None) -> Case:
        """Acknowledge: tell the customer it arrived, who is on it and when they hear next.

        The one acknowledging becomes the owner if the case has none.
        """

        def move(case: Case, now: datetime) -> Case:
            return domain.acknowledge(
                case,
                at=now,
                by=by,
                next_contact_by=lifecycle.promise(self._ctx, case),
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

        Every no goes in the no log (:meth:`no_log`): ``asked`` is what the customer asked
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
                lifecycle=self._lc,
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
                reason=reason, lifecycle=self._lc,
            ),
            expected_version=expected_version,
        )  # fmt: skip

    def assign(
        self, case_id: str, *, owner: str, by: str, expected_version: int | None = None
    ) -> Case:
        """Give the case a new owner."""
        return self._advance(
            case_id,
            lambda c, now: domain.assign(c, at=now, by=by, owner=owner),
            expected_version=expected_version,
        )

    # -- one conversation ---------------------------------------------------------------

    def add_message(self, case_id: str, feedback: Feedback) -> Case:
        """More from the customer on this case's matter, from any channel.

        An open case takes it as a new message. A closed one is reopened if the message
        came within ``Policy.reopen_within`` of the loop closing; a later message opens a new
        case that follows up the old one (``origin``). A repeated ``external_id`` returns
        the case that already holds it.
        """
        return conversation.add_message(self._ctx, case_id, feedback)

    def merge_cases(self, into: str, other: str, *, by: str, reason: str) -> Case:
        """``other`` is a duplicate of ``into`` (one matter, two cases): its messages join
        ``into``, and ``other`` stops — no deadlines, no more steps (they are refused,
        naming ``into``), messages added to it go to ``into`` — with its history kept.
        One commit; returns ``into``."""
        return conversation.merge_cases(self._ctx, into, other, by, reason)

    def split_case(
        self, case_id: str, messages: Sequence[int], *, by: str, reason: str
    ) -> tuple[Case, Case]:
        """Two matters on one case: the messages at positions ``messages`` (0 is the
        first) move to a new case, opened now with its own deadlines and an ``origin``
        naming this one; both keep their history. One commit; returns (this case, the
        new one)."""
        return conversation.split_case(self._ctx, case_id, messages, by, reason)

    def move_channel(
        self,
        case_id: str,
        channel: Channel,
        *,
        by: str,
        reason: str = "",
        expected_version: int | None = None,
    ) -> Case:
        """Move the conversation to ``channel`` (public social media to private email):
        one case, its history and its clocks; replies go out on the new channel."""
        self._ctx.policy.check_channel(channel)
        return self._advance(
            case_id,
            lambda c, now: talk.move_channel(
                c, channel, at=now, by=by, reason=reason, due_at=self._schedule
            ),
            expected_version=expected_version,
        )

    def request_verification(
        self, case_id: str, *, by: str, expected_version: int | None = None
    ) -> Case:
        """After the loop closed, ask the customer "did this resolve it?" (the
        ``verification`` notification)."""
        return self._advance(
            case_id,
            lambda c, now: talk.request_verification(c, at=now, by=by),
            "verification",
            expected_version=expected_version,
        )

    def verify(
        self,
        case_id: str,
        *,
        resolved: bool,
        comment: str = "",
        by: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """The customer's answer: a yes records the confirmation, a no reopens the case.
        ``by`` defaults to the customer."""
        return self._advance(
            case_id,
            lambda c, now: talk.verify(
                c, resolved=resolved, comment=comment, at=now,
                by=by if by is not None else c.customer, due_at=self._schedule,
                lifecycle=self._lc,
            ),
            expected_version=expected_version,
        )  # fmt: skip

    def promise(
        self,
        case_id: str,
        *,
        what: str,
        due_by: datetime,
        owner: str,
        by: str,
        expected_version: int | None = None,
    ) -> Case:
        """Record a promise made to the customer ("we will retrain the team by Friday").

        The sweep escalates it like a breached standard if it is not kept by ``due_by``.
        The new promise is the case's last in ``case.promises``; its ``id`` keeps it."""
        promise_id = self._ctx.new_id()
        return self._advance(
            case_id,
            lambda c, now: talk.make_promise(
                c, promise_id=promise_id, what=what, due_by=due_by, owner=owner, at=now, by=by,
                due_at=self._schedule,
            ),
            expected_version=expected_version,
        )  # fmt: skip

    def keep_promise(
        self,
        case_id: str,
        promise_id: str,
        *,
        by: str,
        note: str = "",
        expected_version: int | None = None,
    ) -> Case:
        """Record that a promise was kept."""
        return self._advance(
            case_id,
            lambda c, now: talk.keep_promise(
                c, promise_id, at=now, by=by, note=note, due_at=self._schedule
            ),
            expected_version=expected_version,
        )

    def promise_report(self, since: datetime, until: datetime) -> PromiseFigures:
        """Promises that fell due in ``[since, until)``: kept on time, late, still open."""
        return conversation.promise_report(self._ctx, since, until)

    def no_log(self, since: datetime, until: datetime, examples: int = 3) -> NoLog:
        """Every request declined in ``[since, until)``, by category, most frequent first,
        with a few examples of each (scenario 9: the 30-day no log)."""
        return conversation.no_log(self._ctx, since, until, examples)

    # -- standards ----------------------------------------------------------------------

    def deadlines(self, case_id: str) -> tuple[Deadline, ...]:
        """Each pending step of the case: its standard, deadline and RAG status now."""
        case = self._ctx.store.get(case_id)
        return deadlines(case, self._ctx.policy.standards, self._ctx.clock.now(), self._lc)

    def status(self, case_id: str) -> Rag:
        """The case's worst RAG status now (GREEN once nothing is pending)."""
        return status(self.deadlines(case_id))

    def sweep(self, batch: int = 500) -> SweepReport:
        """Escalate every case past its deadline one rung up the ladder, now; with
        ``Policy(warn_at_amber=True)`` also warn owners of steps turning amber.

        Idempotent at one instant, and safe with several sweepers at once: each case is
        escalated once, with exactly one alert per recipient, through the outbox. Survey
        invitations are swept too: due reminders go out, and unanswered ones expire.
        """
        report = standards.sweep(self._ctx, batch)
        reminded, expired = surveys.sweep_invitations(self._ctx, batch)
        return attrs.evolve(report, reminded=tuple(reminded), expired=tuple(expired))

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
        return standards.customer_escalate(
            self._ctx, case_id, to=to, by=by, channel=channel, expected_version=expected_version
        )

    def await_customer(
        self, case_id: str, *, by: str, question: str, expected_version: int | None = None
    ) -> Case:
        """Staff asked the customer something: the standards' clocks stop until they reply."""
        return standards.await_customer(
            self._ctx, case_id, by=by, question=question, expected_version=expected_version
        )

    def customer_replied(
        self,
        case_id: str,
        *,
        text: str,
        by: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """The customer answered: the clocks run again, deadlines moved by the pause."""
        return standards.customer_replied(
            self._ctx, case_id, text=text, by=by, expected_version=expected_version
        )

    # -- surveys ----------------------------------------------------------------------

    def invite(
        self,
        survey: Survey,
        *,
        case_id: str | None = None,
        customer: str | None = None,
        channel: Channel | None = None,
        contact: Contact | None = None,
        case_status: str | None = None,
    ) -> Invited:
        """May this customer be asked ``survey`` now? Decide by ``Policy.surveys`` and
        record the decision either way.

        Give ``case_id`` for a survey about a case (customer and channel default to the
        case's); leave it out, and give ``customer`` and ``channel``, for a relationship
        survey. ``contact`` adds what the host knows (opt-outs per channel, a snooze, staff,
        surveys sent by other tools); ``case_status`` the host's word for a case that ended
        without a conversation (``"auto_closed"``, ``"merged"``, ``"spam"``). An allowed
        invitation goes through the outbox with a single-use link; see :class:`Invited`.
        """
        return surveys.invite(
            self._ctx, survey, case_id=case_id, customer=customer, channel=channel,
            contact=contact, case_status=case_status,
        )  # fmt: skip

    def respond(
        self,
        token: str,
        answer: int | Answer,
        *,
        comment: str | None = None,
        contact_me: bool = False,
    ) -> Invitation:
        """Record the answer posted back with an invitation's token (once per invitation).

        A low score (by the survey's threshold) or ``contact_me`` opens a recovery case
        with its own contact deadline, in the same commit — or joins the customer's open
        one, raising its priority for another low score. Raises
        :class:`~closedloop.InvalidTokenError`, :class:`~closedloop.AlreadyAnsweredError`,
        :class:`~closedloop.InvitationExpiredError` or
        :class:`~closedloop.InvitationWithdrawnError`, recording nothing.
        """
        return surveys.respond(self._ctx, token, answer, comment=comment, contact_me=contact_me)

    def record_answer(
        self,
        survey: Survey,
        *,
        customer: str,
        channel: Channel,
        answer: int | Answer,
        comment: str | None = None,
        contact_me: bool = False,
        case_id: str | None = None,
        external_id: str | None = None,
    ) -> Invitation:
        """Record an answer that came without an invitation (a log-off survey, an in-app
        prompt), with the same recovery as :meth:`respond`. A repeated ``external_id``
        returns the first answer's record instead of counting it twice."""
        return surveys.record_answer(
            self._ctx, survey, customer=customer, channel=channel, answer=answer,
            comment=comment, contact_me=contact_me, case_id=case_id, external_id=external_id,
        )  # fmt: skip

    def invitation(self, invitation_id: str) -> Invitation:
        """One invitation (or recorded answer) by id."""
        return self._ctx.store.invitation(invitation_id)

    def invitations_of(self, customer: str) -> Sequence[Invitation]:
        """A customer's survey history: every invitation, suppressed ones with the reason."""
        return self._ctx.store.invitations_of(customer)

    def recovery_report(self, since: datetime, until: datetime) -> RecoveryReport:
        """Close-the-loop rate, time to contact and recovery rate for answers received in
        ``[since, until)``."""
        return recovery_report(self._ctx, since, until)

    # -- customers ----------------------------------------------------------------------

    def link(self, *handles: str, customer: str | None = None, by: str) -> Customer:
        """Link handles (email addresses, phone numbers, social handles, CRM ids) to one
        customer: ``customer`` (your own id; made if new), else the customer one of them
        already belongs to, else a new one. Feedback from any linked handle reaches the
        same customer. A handle of another customer raises
        :class:`~closedloop.HandleTakenError`: merge the two instead."""
        return identity.link(self._ctx, handles, customer, by)

    def unlink(self, customer: str, handle: str, *, by: str) -> Customer:
        """Take ``handle`` away from ``customer``."""
        return identity.unlink(self._ctx, customer, handle, by)

    def merge_customers(self, into: str, other: str, *, by: str) -> Customer:
        """Two records were one person: ``into`` takes every handle of ``other`` (which
        keeps its history, marked merged). :meth:`unmerge_customers` undoes it."""
        return identity.merge(self._ctx, into, other, by)

    def unmerge_customers(self, into: str, other: str, *, by: str) -> tuple[Customer, Customer]:
        """Undo a merge: ``other`` gets back the handles the merge moved."""
        return identity.unmerge(self._ctx, into, other, by)

    def customer(self, customer: str) -> Customer:
        """A customer by id; raises :class:`~closedloop.CustomerNotFoundError`."""
        return self._ctx.store.customer(customer)

    def customer_of(self, handle: str) -> Customer | None:
        """The customer ``handle`` is linked to, if any."""
        return self._ctx.store.customer_of(handle)

    def cases_of_customer(self, customer: str) -> list[Case]:
        """Every case of every handle of a customer (by id, or by any of their handles),
        oldest first."""
        return identity.cases_of_customer(self._ctx, customer)

    # -- insights -----------------------------------------------------------------------

    def insights(
        self, since: datetime, until: datetime, *, thresholds: KpiThresholds | None = None
    ) -> Insights:
        """The figures of ``[since, until)`` under this desk's standards: KPIs, the
        unanswered queue, rates, effort, surveys, promises, the no log and root causes
        (see :mod:`closedloop.insights`)."""
        return compute(
            self._ctx.store, since, until, standards=self._ctx.policy.standards,
            lifecycle=self._lc, thresholds=thresholds,
        )  # fmt: skip

    # -- erasure ------------------------------------------------------------------------

    def erase_customer(self, *handles: str, pseudonym: str | None = None) -> Erasure:
        """Erase a customer: every handle given (their email addresses, phone numbers...),
        and every handle linked to the same customer, and what they wrote go from every
        case, invitation, outbox message and customer record, replaced by
        a pseudonym; counts and timings stay, so reports do not change. The default
        pseudonym is salted with a fresh id, so it cannot be recomputed from a known
        address. Returns the erasure done (its pseudonym included)."""
        if not handles:
            raise ValidationError("erase_customer() needs at least one handle")
        everyone = frozenset(handles).union(*(identity.handles_of(self._ctx, h) for h in handles))
        if pseudonym is None:
            pseudonym = pseudonym_for(handles[0], salt=self._ctx.new_id())
        erasure = Erasure(everyone, pseudonym)
        self._ctx.store.erase(erasure, self._ctx.clock.now())
        return erasure

    # -- the outbox -------------------------------------------------------------------

    def dispatch(self, limit: int = 100, lease: timedelta = timedelta(minutes=5)) -> DispatchReport:
        """Deliver up to ``limit`` ready notifications through the notifier, at least once.

        Each message is leased for ``lease`` while it is delivered: if this process dies, a
        later dispatch delivers it after the lease, with the same key. Failures are retried
        with backoff per ``Policy.retry`` and finally become dead letters.
        """
        if not isinstance(lease, timedelta) or lease <= timedelta(0):
            raise ValidationError(f"lease must be a positive timedelta, got {lease!r}")
        return outbox.dispatch(self._ctx, limit, lease)

    def dead_letters(self, limit: int = 100) -> Sequence[OutboxMessage]:
        """Notifications given up on, oldest first, with their last error."""
        return outbox.dead_letters(self._ctx, limit)

    def requeue(self, *keys: str) -> None:
        """Give dead letters another chance: pending again, ready now."""
        outbox.requeue(self._ctx, keys)

    # ----------------------------------------------------------------------------------

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
