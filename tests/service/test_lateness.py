"""Honest lateness (``Policy.lateness``): the owner warned before a promise's deadline, and
when it passes unkept, the customer told it is late with a new time (or, by default, only
the escalation as before). On every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from closedloop import (
    BusinessCalendar,
    Case,
    Channel,
    Desk,
    Feedback,
    LateMode,
    Lateness,
    Policy,
    Templates,
    ValidationError,
)
from closedloop.events import PromiseLate, PromiseWarned
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback

DAY = timedelta(days=1)


def make_desk(
    store: CaseStore, notifier: RecordingNotifier, clock: ManualClock, lateness: Lateness
) -> Desk:
    policy = Policy(lateness=lateness, locales={"de": Templates.german()})
    return Desk(store, notifier, clock=clock, ids=SequentialIds(), policy=policy)


def promised(desk: Desk, clock: ManualClock, feedback: Feedback | None = None) -> tuple[str, str]:
    """A case with one promise, due in a day; its id and the promise's."""
    case = desk.listen(feedback or make_feedback())
    case = desk.promises.make(
        case.id, what="retrain the Leeds team", due_by=clock.now() + DAY, owner="lee", by="amy"
    )
    return case.id, case.promises[0].id


def sent(desk: Desk, notifier: RecordingNotifier, purpose: str) -> list[str]:
    desk.outbox.dispatch()
    return [f"{n.to}: {n.body}" for n in notifier.sent if n.purpose == purpose]


@pytest.mark.parametrize("mode", list(LateMode))
def test_the_owner_is_warned_once_before_the_deadline(
    every_store: CaseStore, mode: LateMode
) -> None:
    clock, notifier = ManualClock(START), RecordingNotifier()
    desk = make_desk(every_store, notifier, clock, Lateness(mode, warn_before=timedelta(hours=4)))
    case_id, _ = promised(desk, clock)
    clock.advance(hours=19)
    assert desk.sweep().warned == ()  # five hours to go
    clock.advance(hours=1, seconds=1)
    assert desk.sweep().warned == (case_id,)
    (warning,) = sent(desk, notifier, "warning")
    assert warning.startswith("lee: ")
    assert "retrain the Leeds team" in warning
    clock.advance(hours=1)
    assert desk.sweep().warned == ()  # once
    assert [type(e) for e in desk.get(case_id).events].count(PromiseWarned) == 1
    assert desk.get(case_id).promises[0].warned


def test_off_keeps_escalation_silent_to_the_customer(every_store: CaseStore) -> None:
    clock, notifier = ManualClock(START), RecordingNotifier()
    desk = make_desk(every_store, notifier, clock, Lateness())
    case_id, _ = promised(desk, clock)
    clock.advance(days=1, seconds=1)
    report = desk.sweep()
    assert (report.escalated, report.late) == (((case_id, 1),), ())
    assert sent(desk, notifier, "late_notice") == []
    assert desk.sweep().escalated == ()  # as before: once per promise


def test_notify_tells_the_customer_with_a_new_time_once_per_miss(every_store: CaseStore) -> None:
    clock, notifier = ManualClock(START), RecordingNotifier()
    desk = make_desk(every_store, notifier, clock, Lateness(LateMode.NOTIFY))
    case_id, promise_id = promised(desk, clock)
    desk.acknowledge(case_id, by="amy")  # no standard breached: the promise alone is late
    clock.advance(days=1, seconds=1)
    missed_at = clock.now()
    report = desk.sweep()
    assert (report.late, report.escalated) == ((case_id,), ())
    (notice,) = sent(desk, notifier, "late_notice")
    assert notice.startswith("mary@example.com: ")
    assert "retrain the Leeds team" in notice
    assert "Tuesday 24 November 2026, 09:00 UTC" in notice  # the time promised
    assert "Wednesday 25 November 2026, 09:00 UTC" in notice  # the new time, a day on
    case = desk.get(case_id)
    (promise,) = case.promises
    assert promise.due_by == START + DAY  # what was promised stays, for the reports
    assert promise.deadline == missed_at + DAY
    assert promise.announced_at == missed_at
    assert case.escalation_level == 0
    late = case.events[-1]
    assert isinstance(late, PromiseLate)
    assert (late.was_due, late.new_due, late.told) == (START + DAY, missed_at + DAY, True)
    assert desk.sweep().late == ()  # once per miss
    clock.advance(days=1, seconds=1)  # the new time missed too: told again
    assert desk.sweep().late == (case_id,)
    assert len(sent(desk, notifier, "late_notice")) == 2
    kept = desk.promises.keep(case_id, promise_id, by="lee")
    assert not kept.promises[0].kept_on_time
    assert desk.get(case_id).promises[0].deadline == missed_at + 2 * DAY + timedelta(seconds=1)


def test_notify_and_escalate_escalates_the_first_miss_only(every_store: CaseStore) -> None:
    clock, notifier = ManualClock(START), RecordingNotifier()
    desk = make_desk(every_store, notifier, clock, Lateness(LateMode.NOTIFY_AND_ESCALATE))
    case_id, _ = promised(desk, clock)
    clock.advance(days=1, seconds=1)
    report = desk.sweep()
    assert (report.late, report.escalated, report.warned) == ((case_id,), ((case_id, 1),), ())
    assert len(sent(desk, notifier, "late_notice")) == 1
    assert len(sent(desk, notifier, "escalation")) == 1
    clock.advance(days=1, seconds=1)
    report = desk.sweep()
    assert (report.late, report.escalated) == ((case_id,), ())
    assert desk.get(case_id).escalation_level == 1


def test_a_customer_with_no_written_contact_is_not_written_to_but_the_miss_is_recorded(
    every_store: CaseStore,
) -> None:
    clock, notifier = ManualClock(START), RecordingNotifier()
    desk = make_desk(every_store, notifier, clock, Lateness(LateMode.NOTIFY))
    caller = make_feedback(customer="+44 113 496 0000", channel=Channel.PHONE)
    case_id, _ = promised(desk, clock, caller)
    desk.acknowledge(case_id, by="amy")  # no standard breached: the promise alone is late
    clock.advance(days=1, seconds=1)
    assert desk.sweep().late == (case_id,)
    assert sent(desk, notifier, "late_notice") == []
    case = desk.get(case_id)
    late = case.events[-1]
    assert isinstance(late, PromiseLate)
    assert not late.told
    assert case.promises[0].announced_at is None  # silent: nobody could be told
    assert case.promises[0].deadline == clock.now() + DAY


def test_an_erased_customer_is_not_told_and_the_miss_counts_as_silent(
    every_store: CaseStore,
) -> None:
    """Found by a newcomer's probe: the notice to the pseudonym became a dead letter, yet
    the miss was recorded as told and counted as announced."""
    clock, notifier = ManualClock(START), RecordingNotifier()
    desk = make_desk(every_store, notifier, clock, Lateness(LateMode.NOTIFY))
    case_id, _ = promised(desk, clock)
    desk.acknowledge(case_id, by="amy")
    desk.customers.erase(make_feedback().customer)
    clock.advance(days=1, seconds=1)

    assert desk.sweep().late == (case_id,)

    assert sent(desk, notifier, "late_notice") == []
    late = desk.get(case_id).events[-1]
    assert isinstance(late, PromiseLate)
    assert not late.told
    figures = desk.reports.promises(START - DAY, clock.now() + DAY)
    assert (figures.due, figures.missed_announced) == (1, 0)


def test_the_notice_is_in_the_customers_language(every_store: CaseStore) -> None:
    clock, notifier = ManualClock(START), RecordingNotifier()
    desk = make_desk(every_store, notifier, clock, Lateness(LateMode.NOTIFY))
    german = Feedback(
        customer="max@example.de", channel=Channel.EMAIL, received_at=START,
        text="Der Stuhl wackelt", locale="de",
    )  # fmt: skip
    promised(desk, clock, german)
    clock.advance(days=1, seconds=1)
    desk.sweep()
    (notice,) = sent(desk, notifier, "late_notice")
    assert "Guten Tag" in notice
    assert "Dienstag, 24. November 2026" in notice
    assert "Mittwoch, 25. November 2026" in notice


def test_the_acknowledgements_promise_of_a_next_contact_is_announced_when_missed(
    every_store: CaseStore,
) -> None:
    clock, notifier = ManualClock(START), RecordingNotifier()
    desk = make_desk(
        every_store, notifier, clock, Lateness(LateMode.NOTIFY, warn_before=timedelta(hours=1))
    )
    case = desk.acknowledge(desk.listen(make_feedback()).id, by="amy")
    contact = case.contact_promise
    assert contact is not None
    clock.set(contact.due_by - timedelta(minutes=30))
    assert desk.sweep().warned == (case.id,)
    clock.advance(hours=1)
    assert case.id in desk.sweep().late
    (notice,) = sent(desk, notifier, "late_notice")
    assert "get back to you" in notice
    after = desk.get(case.id).contact_promise
    assert after is not None
    assert after.deadline == clock.now() + DAY
    desk.conversation.reply(case.id, "We are on it", by="amy")  # the contact keeps it
    kept = desk.get(case.id).contact_promise
    assert kept is not None
    assert not kept.is_open


def test_the_new_time_counts_on_a_business_calendar_when_given(every_store: CaseStore) -> None:
    clock, notifier = ManualClock(START), RecordingNotifier()
    office = BusinessCalendar.weekdays(zone="UTC")  # 09:00-17:00
    lateness = Lateness(LateMode.NOTIFY, new_time_after=timedelta(hours=8), calendar=office)
    desk = make_desk(every_store, notifier, clock, lateness)
    case_id, _ = promised(desk, clock)
    clock.advance(days=1, seconds=1)  # Tuesday 09:00:01: a business day on is Wednesday
    desk.sweep()
    new = datetime(2026, 11, 25, 9, 0, 1, tzinfo=UTC)
    assert desk.get(case_id).promises[0].deadline == new


def test_a_lateness_policy_checks_its_fields() -> None:
    with pytest.raises(ValidationError, match="mode"):
        Lateness("notify")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="warn_before"):
        Lateness(warn_before=timedelta(0))
    with pytest.raises(ValidationError, match="new_time_after"):
        Lateness(new_time_after=timedelta(hours=-1))


def closed_with_a_promise(desk: Desk, clock: ManualClock) -> tuple[str, Case]:
    """A case closed with its promise (due in a day) still open: its id, and the case."""
    case_id, _ = promised(desk, clock)
    desk.acknowledge(case_id, by="amy")
    desk.take_action(case_id, by="amy", summary="Refunded")
    desk.thank(case_id, by="amy")
    closed = desk.explain(
        case_id, by="amy", what_failed="x", what_changes="y", open_promises="Lee retrains them"
    )
    return case_id, closed


def test_a_promise_on_a_closed_case_is_still_announced(every_store: CaseStore) -> None:
    clock, notifier = ManualClock(START), RecordingNotifier()
    desk = make_desk(every_store, notifier, clock, Lateness(LateMode.NOTIFY))
    case_id, closed = closed_with_a_promise(desk, clock)
    assert closed.is_closed
    assert closed.due_at == START + DAY
    clock.advance(days=1, seconds=1)
    assert desk.sweep().late == (case_id,)
    assert len(sent(desk, notifier, "late_notice")) == 1
    assert desk.get(case_id).due_at == clock.now() + DAY  # watched for the new time


def test_a_promise_on_a_closed_case_is_warned_about_before_its_first_deadline(
    every_store: CaseStore,
) -> None:
    clock, notifier = ManualClock(START), RecordingNotifier()
    lateness = Lateness(LateMode.NOTIFY, warn_before=timedelta(hours=4))
    desk = make_desk(every_store, notifier, clock, lateness)
    case_id, closed = closed_with_a_promise(desk, clock)
    assert closed.due_at == START + DAY - timedelta(hours=4)  # woken for the warning
    clock.advance(hours=21)
    desk.sweep()
    (promise,) = desk.get(case_id).promises
    assert promise.warned
