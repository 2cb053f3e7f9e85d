"""What every use case needs, gathered once by the Desk, and the hooks between areas."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.cases.history import History, last_at
from closedloop.domain.change import (
    Change,
    CustomerChange,
    InvitationChange,
    Write,
    with_facts,
    with_kept,
    with_notifications,
    with_rag,
)
from closedloop.domain.checks import instant, require_key, shown
from closedloop.domain.errors import ValidationError
from closedloop.domain.hostevents.envelope import messages_for
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.queues.rag import rag_times
from closedloop.domain.reports import measure
from closedloop.domain.reports.facts import Scan, basis, case_facts
from closedloop.domain.reports.kept import kept_facts, resumed
from closedloop.domain.reports.measure import Progress
from closedloop.ports import AgentStorage, CaseStore, Clock, Notifier
from closedloop.service.measured import Measured
from closedloop.service.policy import Policy
from closedloop.service.subscription import Subscribe

__all__ = ["Context", "Hooks", "check_parts", "checked_ids", "not_before"]

#: More writes to commit with a step, from the case before and after it (and the time).
StepHook = Callable[["Context", Case, Case, datetime], Sequence[Write]]
#: Why a claimed notification must not go out (None: it may).
SendHook = Callable[["Context", Notification], str | None]
#: What to record once a notification was delivered.
DeliveredHook = Callable[["Context", Notification], None]


@attrs.frozen
class Hooks:
    """How one area reacts to another's work without importing it.

    The Desk registers them when it is built: surveys withdraw their invitations when a
    step reopens a case or merges it into another (``on_step``), and the outbox asks
    surveys whether an invitation must be withheld (``withhold``; so are messages to an erased
    customer, and a pause's question or closing notice once it is over) and tells them when
    it went (``on_delivered``).
    """

    on_step: tuple[StepHook, ...] = ()
    withhold: tuple[SendHook, ...] = ()
    on_delivered: tuple[DeliveredHook, ...] = ()


@attrs.frozen
class Context:
    """The store, notifier, clock, policy, id source, randomness and host event subscription
    a use case works with.

    Use cases commit through :meth:`commit`, :meth:`commit_many` and
    :meth:`commit_customers`, which hold every write to ``Policy.limits`` first.
    """

    store: CaseStore
    notifier: Notifier
    clock: Clock
    policy: Policy
    new_id: Callable[[], str]
    random: Callable[[], float]
    hooks: Hooks = Hooks()
    events: Subscribe | None = None
    """The host events to queue with each commit, and their handler; None for none."""
    measured: Measured = attrs.field(factory=Measured, eq=False, repr=False)
    """How far each recently committed case's steps were measured (for its next facts)."""

    def now_for(self, *cases: Case) -> datetime:
        """The instant of a step on ``cases``: the clock's now, held to :func:`not_before`
        their last events."""
        return not_before(self.clock.now(), *cases)

    def commit(self, change: Write) -> None:
        """``store.commit``, if the change keeps to the policy's limits; a case's change
        carries the case's report facts."""
        progress: list[Progress] = []
        self.store.commit(self.prepared(change, progress))
        self.measured.remember(progress)

    def prepared(self, change: Write, progress: list[Progress] | None = None) -> Write:
        """``change`` as :meth:`commit` stores it (limits checked; facts and host events
        added), for a store method that commits it with more (``commit_turn``); the
        measuring progress of its facts is added to ``progress``, for the caller to
        :meth:`Measured.remember` once committed."""
        self.policy.limits.check_checked(_records([change]))
        facts = self._with_facts(change, [] if progress is None else progress)
        return self._ready_now(self._with_events(facts))

    def commit_many(self, changes: Sequence[Write]) -> None:
        """``store.commit_many``, if every change keeps to the policy's limits."""
        self.policy.limits.check_checked(_records(changes))
        progress: list[Progress] = []
        self.store.commit_many(
            [self._ready_now(self._with_events(self._with_facts(c, progress))) for c in changes]
        )
        self.measured.remember(progress)

    def _with_facts(self, change: Write, progress: list[Progress]) -> Write:
        """A case's change with its report facts and the instants it turns amber and red
        (for ``desk.queues.find``), computed under the policy unless the change has them.
        The facts' measuring goes on from where this case's last commit left it."""
        if not isinstance(change, Change):
            return change
        case, standards, lifecycle = change.case, self.policy.standards, self.policy.lifecycle
        if change.facts is None:
            measured_under = basis(standards, lifecycle)
            found = resumed(case, standards, measured_under)
            since, scan = found or (self.measured.of(case.id), Scan().after(case.events))
            now = measure.progress(case, standards, lifecycle, since)
            if not isinstance(case.events, History):
                # A case read from a snapshot goes on from what its store kept; remembering
                # it here would only hold whole cases for the garbage collector to walk.
                progress.append(now)
            facts = case_facts(case, standards, lifecycle, now, scan)
            change = with_kept(
                with_facts(change, facts), kept_facts(now, scan, standards, measured_under)
            )
        if change.rag is None:
            change = with_rag(change, rag_times(case, standards, lifecycle))
        return change

    def _with_events(self, change: Write) -> Write:
        """``change`` with the outbox messages of the host events it gives, if subscribed:
        committed with it, so an event is queued exactly when its change is."""
        if self.events is None:
            return change
        queued = messages_for(change, self.events.wants)
        if not queued:
            return change
        if isinstance(change, Change):
            return with_notifications(change, tuple(queued))
        return attrs.evolve(change, notifications=(*change.notifications, *queued))

    def _ready_now(self, change: Write) -> Write:
        """``change`` with every message it queues ready by the clock's now: a step stamped
        at its case's last instant, after the clock stepped back, must not hold its alerts
        and host events until the clock catches up (a held message keeps its time)."""
        notes = change.notifications
        if not notes:
            return change
        now = instant(self.clock.now())
        if all(n.deliver_after is not None or instant(n.created_at) <= now for n in notes):
            return change
        ready = tuple(
            n
            if n.deliver_after is not None or instant(n.created_at) <= now
            else attrs.evolve(n, created_at=now)
            for n in notes
        )
        return attrs.evolve(change, notifications=ready)

    def commit_customers(self, changes: Sequence[CustomerChange]) -> None:
        """``store.commit_customers``, if every customer keeps to the policy's limits."""
        self.policy.limits.check_checked(c.customer for c in changes)
        self.store.commit_customers(changes)


def not_before(now: datetime, *cases: Case) -> datetime:
    """``now``, or, when the clock stepped back behind one of ``cases`` (an NTP correction,
    a VM restored, a second worker whose clock lags), the latest of their last events: the
    instant every step on a case is stamped at, so that no case's history goes back in time
    and nothing measured from it (deadlines, report facts) goes negative."""
    return max((now, *(last_at(c.events) for c in cases)), key=instant)


def _records(changes: Sequence[Write]) -> list[object]:
    """What a batch adds: each case's new events and each invitation. (Notifications are
    the policy's own texts, checked only for what every store can keep.)"""
    found: list[object] = []
    for change in changes:
        if isinstance(change, Change):
            found.extend(change.events)
        elif isinstance(change, InvitationChange):
            found.append(change.invitation)
    return found


def checked_ids(ids: Callable[[], str]) -> Callable[[], str]:
    """``ids``, its every id checked (one line, at most 256 characters)."""
    return lambda: require_key("ids()", ids())


def check_parts(
    store: object,
    notifier: object,
    clock: object,
    policy: object,
    ids: object,
    rng: object,
    events: object = None,
) -> None:
    """Refuse, naming it, a part the Desk cannot work with."""
    wrong = [
        (name, value, what)
        for name, value, what, fits in (
            ("store", store, "a CaseStore", isinstance(store, CaseStore)),
            ("notifier", notifier, "a Notifier", isinstance(notifier, Notifier)),
            ("clock", clock, "a Clock (with now())", clock is None or isinstance(clock, Clock)),
            ("policy", policy, "a Policy", policy is None or isinstance(policy, Policy)),
            ("ids", ids, "a function returning a new id", ids is None or callable(ids)),
            ("rng", rng, "a random.Random", rng is None or callable(getattr(rng, "random", 0))),
            ("events", events, "a Subscribe", events is None or isinstance(events, Subscribe)),
        )
        if not fits
    ]
    if wrong:
        name, value, what = wrong[0]
        raise ValidationError.of(name, f"Desk({name}=...) must be {what}, got {shown(value)}")
    if (
        isinstance(policy, Policy)
        and policy.assignment.automatic
        and not isinstance(store, AgentStorage)
    ):
        raise ValidationError.of(
            "policy",
            f"Policy(assignment=Assignment(rule={policy.assignment.rule.value!r})) picks owners "
            "at intake, which needs a store with the AgentStorage role (InMemoryStore, "
            f"SQLiteStore, PostgresStore); {type(store).__name__} does not have it",
        )
