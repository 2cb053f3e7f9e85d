"""``closedloop demo``: a month of feedback at a made-up retailer, on SQLite.

Harbour & Pine sells furniture and homeware in six stores and online. Its agents answer
most feedback in time, and sometimes don't: acknowledgements go out late or not at all,
a complaint on social media is moved to email, promises slip, requests are declined,
customers escalate, detractors answer surveys. Everything runs through the real
:class:`~closedloop.Desk`, with sweeps and dispatches as simulated time passes. The same
seed gives the same month.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import random
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar

import attrs

from closedloop.adapters.sqlite import SQLiteStore
from closedloop.cli.demo_data import CAUSES, CHANNELS, DECLINES, KINDS, TEXTS
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.events import OriginKind
from closedloop.domain.cases.feedback import Feedback, FeedbackKind
from closedloop.domain.errors import LifecycleError, SurveyTokenError
from closedloop.domain.outbox.notification import Notification
from closedloop.domain.standards.calendar import BusinessCalendar
from closedloop.domain.surveys.survey import Survey, SurveyKind
from closedloop.service.desk import Desk
from closedloop.service.policy import Policy

__all__ = ["DEMO_START", "DemoRun", "run_demo"]

#: The simulated month starts on a Monday at midnight UTC, whatever today is.
DEMO_START = datetime(2026, 10, 5, tzinfo=UTC)

_T = TypeVar("_T")
_TICK = timedelta(minutes=15)
_WORK = BusinessCalendar.weekdays(time(9), time(17), zone="UTC")
_AGENTS = ("amy", "ben", "chloe", "dev", "erin")
_NPS = Survey("after-complaint", SurveyKind.NPS, "How likely are you to recommend us?")
_CES = Survey("after-question", SurveyKind.CES, "How easy was it to get your answer?")
_CSAT = Survey("after-feedback", SurveyKind.CSAT, "How satisfied are you with our reply?")


def _pick(rng: random.Random, weighted: tuple[tuple[_T, int], ...]) -> _T:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class _Counting:
    """The demo's notifier: delivers nothing, counts what would have gone out."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, notification: Notification) -> None:
        self.sent += 1


@attrs.frozen
class DemoRun:
    """What a demo run did: the cases opened, notifications delivered, escalations (by the
    sweep and by customers) and survey invitations sent."""

    db: Path
    since: datetime
    until: datetime
    cases: int
    notifications: int
    escalations: int
    surveys: int


class _Simulation:
    def __init__(self, desk: Desk, clock: _Clock, rng: random.Random) -> None:
        self.desk, self.clock, self.rng = desk, clock, rng
        self.agenda: list[tuple[datetime, int, Callable[[], None]]] = []
        self.order = itertools.count()
        self.customers = [f"customer{n:04d}@example.com" for n in range(600)]
        self.cases = self.escalations = self.surveys = 0

    # -- scheduling ---------------------------------------------------------------------

    def later(self, delay: timedelta, action: Callable[[], None], *, business: bool = True) -> None:
        now = self.clock.now()
        when = _WORK.add(now, delay) if business else now + delay
        heapq.heappush(self.agenda, (when, next(self.order), action))

    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def run_due(self) -> None:
        while self.agenda and self.agenda[0][0] <= self.clock.now():
            _, _, action = heapq.heappop(self.agenda)
            # A step on a case that moved on meanwhile (reopened, closed) is refused: skip it.
            with contextlib.suppress(LifecycleError):
                action()

    # -- customers ----------------------------------------------------------------------

    def arrivals(self) -> None:
        now = self.clock.now()
        busy = 1.0 if now.weekday() < 5 and 8 <= now.hour < 20 else 0.25
        for _ in range(self.rng.choices((0, 1, 2), (1 - 0.32 * busy, 0.28 * busy, 0.04 * busy))[0]):
            self.arrive()

    def arrive(self) -> None:
        rng = self.rng
        kind = _pick(rng, KINDS)
        channel = _pick(rng, CHANNELS)
        customer = rng.choice(self.customers)
        if channel == Channel.PHONE:
            customer = f"+44 7700 9{rng.randrange(10**5):05d}"
        elif channel == Channel.SOCIAL_MEDIA:
            customer = f"@{customer.split('@')[0]}"
        case = self.desk.listen(
            Feedback(
                customer=customer, channel=channel, received_at=self.clock.now(),
                text=rng.choice(TEXTS[kind]), kind=kind,
            )
        )  # fmt: skip
        self.cases += 1
        self.plan(case)

    # -- agents -------------------------------------------------------------------------

    def plan(self, case: Case) -> None:
        """How this case will be handled: mostly on time, sometimes not."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.72:
            delay = self.hours(0.2, 3)
        elif roll < 0.9:
            delay = self.hours(4, 8)  # late
        elif roll < 0.98:
            delay = self.hours(8, 24)  # very late
        else:
            return  # nobody ever answers: the sweep escalates it
        if rng.random() < 0.12:
            self.later(self.hours(1, 6), lambda: self.chase(case.id))
        self.later(delay, lambda: self.acknowledge(case.id))

    def chase(self, case_id: str) -> None:
        """The customer writes again before anyone answered (and may escalate)."""
        case = self.desk.get(case_id)
        if case.acknowledged_at is not None:
            return
        self.desk.conversation.add_message(
            case_id,
            Feedback(
                customer=case.customer, channel=case.reply_channel, received_at=self.clock.now(),
                text="I wrote to you already: " + case.subject, kind=case.kind, repeated=True,
            ),
        )  # fmt: skip
        if case.kind is FeedbackKind.COMPLAINT and self.rng.random() < 0.3:
            self.desk.standards.escalate(case_id, to="the head of customer service")
            self.escalations += 1

    def acknowledge(self, case_id: str) -> None:
        rng, desk = self.rng, self.desk
        agent = rng.choice(_AGENTS)
        case = desk.acknowledge(case_id, by=agent)
        if case.reply_channel == Channel.SOCIAL_MEDIA and case.kind is FeedbackKind.COMPLAINT:
            handle = case.customer.lstrip("@")
            desk.conversation.move_channel(
                case_id, Channel.EMAIL, by=agent, reason=f"{handle} agreed to email"
            )
        if rng.random() < 0.1:
            desk.assign(case_id, owner=rng.choice(_AGENTS), by=agent)
        if case.kind is FeedbackKind.COMPLAINT and rng.random() < 0.2:
            due = _WORK.add(self.clock.now(), timedelta(hours=16))
            case = desk.promises.make(
                case_id, what="Call back with a delivery date", due_by=due, owner=agent, by=agent
            )
            promise_id = case.promises[-1].id
            roll = rng.random()
            if roll < 0.85:
                wait = self.hours(2, 14) if roll < 0.7 else self.hours(17, 30)
                self.later(wait, lambda: self.keep(case_id, promise_id, agent))
        if case.origin is not None and case.origin.kind is OriginKind.RECOVERY:
            if rng.random() < 0.85:  # a person calls back; the template is not the contact
                self.later(self.hours(0.5, 12), lambda: self.call_back(case_id, agent))
        elif rng.random() < 0.1:
            self.later(self.hours(2, 20), lambda: self.any_news(case_id))
        if case.kind is FeedbackKind.QUESTION:
            self.later(self.hours(0.5, 10), lambda: self.answer(case_id, agent))
        else:
            slow = rng.random() < 0.15
            wait = self.hours(20, 40) if slow else self.hours(1, 14)
            self.later(wait, lambda: self.act(case_id, agent))

    def call_back(self, case_id: str, agent: str) -> None:
        if self.desk.get(case_id).is_active:
            self.desk.conversation.log_contact(
                case_id, Channel.PHONE, "Called the customer about their score", by=agent
            )

    def any_news(self, case_id: str) -> None:
        """The customer asks where things stand; someone replies, usually in time."""
        case = self.desk.get(case_id)
        if not case.is_active:
            return
        self.desk.conversation.add_message(
            case_id,
            Feedback(
                customer=case.customer, channel=case.reply_channel, received_at=self.clock.now(),
                text="Any news? " + case.subject, kind=case.kind,
            ),
        )  # fmt: skip
        agent = case.owner or self.rng.choice(_AGENTS)
        wait = self.hours(0.5, 6) if self.rng.random() < 0.8 else self.hours(9, 20)
        self.later(wait, lambda: self.reply(case_id, agent))

    def reply(self, case_id: str, agent: str) -> None:
        if self.desk.get(case_id).is_active:
            self.desk.conversation.reply(case_id, "We are on it; more by tomorrow.", by=agent)

    def keep(self, case_id: str, promise_id: str, agent: str) -> None:
        self.desk.promises.keep(case_id, promise_id, by=agent, note="Called the customer")

    def answer(self, case_id: str, agent: str) -> None:
        self.desk.take_action(case_id, by=agent, summary="Yes: here is how")
        self.later(timedelta(days=1), lambda: self.survey(case_id, _CES), business=False)

    def act(self, case_id: str, agent: str) -> None:
        desk, rng = self.desk, self.rng
        if self.desk.get(case_id).kind is FeedbackKind.COMPLAINT and rng.random() < 0.12:
            category, asked = rng.choices(
                [(c, a) for c, a, _ in DECLINES], [w for _, _, w in DECLINES]
            )[0]
            desk.decline(case_id, by=agent, reason="We cannot do that", category=category,
                         asked=asked)  # fmt: skip
        else:
            desk.take_action(case_id, by=agent, summary="Sorted it out")
        self.later(self.hours(0.1, 2), lambda: self.close(case_id, agent))

    def close(self, case_id: str, agent: str) -> None:
        desk, rng = self.desk, self.rng
        case = desk.thank(case_id, by=agent)
        if case.is_closed:
            self.after_close(case)
            return
        cause, kano, _ = rng.choices(CAUSES, [w for *_, w in CAUSES])[0]
        open_promises = "Still tracked by its owner" if case.open_promises else None
        case = desk.explain(
            case_id, by=agent, what_failed=cause, what_changes="We are fixing it",
            root_cause=cause, kano=kano, open_promises=open_promises,
        )  # fmt: skip
        self.after_close(case)

    def after_close(self, case: Case) -> None:
        rng = self.rng
        if case.kind is FeedbackKind.COMPLAINT:
            if rng.random() < 0.15:
                self.desk.conversation.request_verification(case.id, by="quality team")
                self.later(timedelta(days=rng.uniform(1, 4)),
                           lambda: self.verify(case.id), business=False)  # fmt: skip
            survey = _NPS
        else:
            survey = _CSAT
        self.later(timedelta(days=rng.uniform(0.5, 2)), lambda: self.survey(case.id, survey),
                   business=False)  # fmt: skip

    def verify(self, case_id: str) -> None:
        resolved = self.rng.random() < 0.8
        case = self.desk.conversation.verify(
            case_id, resolved=resolved, comment="" if resolved else "Still broken"
        )
        if not resolved:
            agent = case.owner or self.rng.choice(_AGENTS)
            self.later(self.hours(4, 20), lambda: self.act(case_id, agent))

    def survey(self, case_id: str, survey: Survey) -> None:
        invited = self.desk.surveys.invite(survey, case_id=case_id)
        if invited.token is None:
            return
        self.surveys += 1
        if self.rng.random() < 0.55:
            token = invited.token
            late = self.desk.get(case_id).escalation_level > 0
            self.later(timedelta(hours=self.rng.uniform(1, 72)),
                       lambda: self.respond(token, survey, late), business=False)  # fmt: skip

    def respond(self, token: str, survey: Survey, late: bool) -> None:
        rng = self.rng
        low, high = survey.kind.scale
        if survey.kind is SurveyKind.NPS:
            weights = (
                [3, 1, 1, 2, 2, 3, 4, 8, 10, 18, 20]
                if late
                else [1, 0, 0, 1, 1, 2, 3, 8, 14, 30, 34]
            )
        elif survey.kind is SurveyKind.CES:
            weights = [30, 30, 20, 12, 8]  # 1 (very easy) to 5 (very hard)
        else:
            weights = [5, 8, 15, 35, 37]
        score = rng.choices(range(low, high + 1), weights)[0]
        contact_me = rng.random() < 0.08
        try:
            invitation = self.desk.surveys.respond(token, score, contact_me=contact_me)
        except SurveyTokenError:
            return  # expired or withdrawn meanwhile (the case reopened)
        if invitation.recovery_case_id is not None:
            recovery = self.desk.get(invitation.recovery_case_id)
            if recovery.acknowledged_at is None and recovery.version == 1:
                self.plan(recovery)


def run_demo(
    db: Path,
    *,
    days: int = 30,
    seed: int = 1,
    progress: Callable[[int, int, int], None] | None = None,
) -> DemoRun:
    """Simulate ``days`` days into ``db`` (replaced if it is a closedloop database)."""
    rng = random.Random(seed)
    ids = random.Random(seed + 1)
    clock = _Clock(DEMO_START)
    notifier = _Counting()
    policy = Policy(survey_url="https://harbourandpine.example/survey/{token}")
    with SQLiteStore(db, synchronous="NORMAL") as store:
        desk = Desk(
            store, notifier, clock=clock, policy=policy,
            ids=lambda: f"{ids.getrandbits(48):012x}", rng=random.Random(seed + 2),
        )  # fmt: skip
        sim = _Simulation(desk, clock, rng)
        end = DEMO_START + timedelta(days=days)
        ticks = 0
        while clock.current < end:
            sim.arrivals()
            sim.run_due()
            if ticks % 4 == 0:
                sim.escalations += len(desk.sweep().escalated)
            desk.outbox.dispatch(limit=500)
            ticks += 1
            clock.current += _TICK
            if progress is not None and ticks % 96 == 0:
                progress(ticks // 96, days, sim.cases)
    return DemoRun(db, DEMO_START, end, sim.cases, notifier.sent, sim.escalations, sim.surveys)
