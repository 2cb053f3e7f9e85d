"""The rest of the public surface: the stores' methods, and the constructors of Feedback,
Survey, Policy and its parts (each built into a Policy and run through a short day)."""

from __future__ import annotations

import random
from datetime import time, timedelta
from typing import Any

from closedloop import (
    Answer,
    BusinessCalendar,
    Change,
    Channel,
    Consolidation,
    Contact,
    CustomerChange,
    Desk,
    Feedback,
    FeedbackKind,
    Ladder,
    Policy,
    Queue,
    RetryPolicy,
    Rung,
    Silence,
    SQLiteStore,
    Standard,
    Standards,
    Survey,
    SurveyKind,
    SurveyRules,
    Target,
    Templates,
    Window,
)
from closedloop.domain.cases import steps
from closedloop.domain.customers import identity
from closedloop.insights.figures import KpiThresholds
from closedloop.testing import ManualClock, RecordingNotifier
from tests.badinput.surface import LATER, SINCE, UNTIL, Call, Good, _case, _v
from tests.badinput.world import START, SURVEY, World, feedback


def _store(method: str, args: dict[str, Good], writes: bool = True) -> Call:
    def run(w: World, **a: Any) -> Any:
        out = getattr(w.store, method)(*a.values())
        return list(out) if method in ("cases_active", "responses") else out

    return Call(f"store.{method}", run, args, writes)


def _assigned(w: World) -> Change:
    case = w.store.get(w.acked)
    moved = steps.assign(case, at=START, by="Sam", owner="Kim")
    return Change(moved, expected_version=case.version)


def _customer_change(w: World) -> CustomerChange:
    customer = w.store.customer(w.customer)
    moved = identity.link(customer, ["ann@home"], at=START, by="Sam")
    return CustomerChange(moved, customer.version)


STORE = [
    _store("get", {"case_id": _case("open")}, writes=False),
    _store("find_by_external_id", {"external_id": _case("external_id")}, writes=False),
    _store("cases_of", {"customer": _case("handle")}, writes=False),
    _store("due", {"before": _v(LATER), "limit": _v(10)}, writes=False),
    _store("unanswered", {"limit": _v(10)}, writes=False),
    _store("queue", {"queue": _v(Queue.UNANSWERED), "limit": _v(10)}, writes=False),
    _store("cases_active", {"since": _v(SINCE), "until": _v(UNTIL)}, writes=False),
    _store("invitation", {"invitation_id": _case("invitation")}, writes=False),
    _store("invitations_of", {"customer": _v("carol@example.com")}, writes=False),
    _store("invitations_due", {"before": _v(LATER), "limit": _v(10)}, writes=False),
    _store("responses", {"since": _v(SINCE), "until": _v(UNTIL)}, writes=False),
    _store("customer", {"customer_id": _case("customer")}, writes=False),
    _store("customer_of", {"handle": _case("handle")}, writes=False),
    _store("outbox_claim", {"now": _v(START), "limit": _v(10), "lease": _v(timedelta(minutes=1))}),
    _store("outbox_ready", {"now": _v(START), "limit": _v(10)}, writes=False),
    _store("mark_sent", {"key": _case("dead"), "at": _v(START)}),
    _store("mark_failed", {"key": _case("dead"), "at": _v(START), "error": _v("busy"),
                           "retry_at": _v(LATER)}),
    _store("dead_letters", {"limit": _v(10)}, writes=False),
    _store("requeue", {"key": _case("dead"), "at": _v(START)}),
    _store("outbox_message", {"key": _case("dead")}, writes=False),
    _store("for_tenant", {"tenant": _v("other")}, writes=False),
    _store("commit", {"change": _assigned}),
    _store("commit_many", {"changes": lambda w: [_assigned(w)]}),
    _store("commit_customers", {"changes": lambda w: [_customer_change(w)]}),
]  # fmt: skip


def _day(w: World, policy: Policy) -> None:
    """A short day under ``policy`` on the world's store: every kind of work once."""
    desk = Desk(w.store, RecordingNotifier(), clock=w.clock, policy=policy)
    case = desk.listen(feedback("kay@example.com", external_id="day-1"))
    desk.acknowledge(case.id, by="Sam")
    desk.conversation.await_customer(case.id, by="Sam", question="size?")
    desk.surveys.invite(SURVEY, case_id=w.closed)
    desk.reopen(w.closed, reason="still broken")
    w.clock.advance(days=20)
    desk.sweep()
    desk.outbox.dispatch()
    desk.reports.insights(SINCE, UNTIL + timedelta(days=30))


def _part(name: str, build: Any, field: str, args: dict[str, Good]) -> Call:
    """Construct ``build(**args)`` and run a day under a Policy with it as ``field``."""

    def run(w: World, **a: Any) -> Any:
        part = build(**a)
        _day(w, part if field == "" else Policy(**{field: part}))
        return part

    return Call(name, run, args)


def _cal() -> BusinessCalendar:
    return BusinessCalendar("Europe/London", {d: [Window(time(9), time(17))] for d in range(5)})


def _construct(name: str, build: Any, args: dict[str, Good]) -> Call:
    return Call(name, lambda w, **a: build(**a), args, writes=False)


PARTS = [
    _construct("Feedback", Feedback, {
        "customer": _v("lee@example.com"), "channel": _v(Channel.EMAIL),
        "received_at": _v(START), "text": _v("hi"), "kind": _v(FeedbackKind.QUESTION),
        "score": _v(3), "external_id": _v("x-1"), "subject": _v("a parcel"),
        "repeated": _v(True), "matter_key": _v("order-9")}),
    _construct("Survey", Survey, {"name": _v("nps"), "kind": _v(SurveyKind.NPS),
                                  "question": _v("Recommend us?"), "low_threshold": _v(5)}),
    _construct("Answer", Answer, {"score": _v(3)}),
    _construct("Contact", Contact, {"invited": _v({"nps": START}), "answered": _v({}),
                                    "opted_out": _v(frozenset({"email"})),
                                    "snoozed_until": _v(LATER), "staff": _v(False)}),
    _construct("Channel.custom", Channel.custom, {"name": _v("whatsapp"), "public": _v(False),
                                                  "written": _v(True)}),
    _construct("KpiThresholds", KpiThresholds, {"green_at": _v(0.9), "amber_at": _v(0.7)}),
    _construct("Change", Change, {"case": lambda w: w.store.get(w.open),
                                  "expected_version": _v(0), "notifications": _v(())}),
    _construct("ManualClock", ManualClock, {"start": _v(START)}),
    Call("ManualClock.advance", lambda w, **a: ManualClock(START).advance(**a),
         {"delta": _v(timedelta(hours=1))}, writes=False),
    _construct("SQLiteStore", lambda **a: SQLiteStore(":memory:", **a).close(), {
        "tenant": _v("t"), "synchronous": _v("NORMAL"), "busy_timeout": _v(1.0)}),
    Call("Desk", lambda w, **a: Desk(w.store, RecordingNotifier(), **a).listen(feedback("mo")),
         {"clock": lambda w: w.clock, "ids": _v(lambda: "id-1"), "rng": _v(random.Random(1))}),
    _part("Policy", Policy, "", {
        "channels": _v([Channel.custom("whatsapp")]), "warn_at_amber": _v(True),
        "timezone": _v("Europe/London"), "survey_url": _v("https://x.example/{token}"),
        "decline_categories": _v(["other"]), "reopen_within": _v(timedelta(days=3))}),
    _part("Standard", lambda **a: Standards([Standard(**a)]), "standards", {
        "target": _v(Target.ACKNOWLEDGE), "within": _v(timedelta(hours=4)),
        "calendar": _v(_cal()), "channels": _v({Channel.EMAIL}), "name": _v("ack fast")}),
    _part("Standards", Standards, "standards", {"rules": _v(()), "amber_at": _v(0.5)}),
    _part("BusinessCalendar", lambda **a: Silence(calendar=BusinessCalendar(**a)), "silence", {
        "zone": _v("Europe/Paris"), "week": _v({0: [Window(time(8), time(12))]}),
        "holidays": _v(())}),
    _part("Window", lambda **a: Silence(calendar=BusinessCalendar("UTC", {1: [Window(**a)]})),
          "silence", {"start": _v(time(9)), "end": _v(time(10))}),
    _part("Ladder", Ladder, "ladder", {"rungs": _v([Rung("lead", ["lead@x"])]),
                                       "calendar": _v(_cal()), "channel": _v(Channel.EMAIL),
                                       "hold_until_open": _v(True)}),
    _part("Rung", lambda **a: Ladder([Rung(**a)]), "ladder", {
        "name": _v("boss"), "recipients": _v(["boss@x"]), "after": _v(timedelta(hours=1))}),
    _part("RetryPolicy", RetryPolicy, "retry", {
        "first_delay": _v(timedelta(seconds=1)), "factor": _v(3.0),
        "max_delay": _v(timedelta(hours=1)), "max_attempts": _v(3), "jitter": _v(0.1)}),
    _part("SurveyRules", SurveyRules, "surveys", {
        "cooldown": _v(timedelta(days=1)), "survey_cooldown": _v(timedelta(days=2)),
        "sample": _v(0.5), "reply_windows": _v({"email": timedelta(days=1)}),
        "not_real": _v(frozenset({"spam"})), "expires_after": _v(timedelta(days=2)),
        "reminders": _v(2), "remind_after": _v(timedelta(days=1))}),
    _part("Consolidation", Consolidation, "consolidation", {
        "within": _v(timedelta(days=1)), "without_key": _v(True)}),
    _part("Silence", Silence, "silence", {
        "notice_after": _v(timedelta(days=1)), "close_after": _v(timedelta(days=1))}),
    _part("Templates", Templates, "templates", {"thanks": _v("Thanks $customer"),
                                                 "reply_subject": _v("Re: $matter")}),
]  # fmt: skip
