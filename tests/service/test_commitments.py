"""Promises made to customers: tracked until kept, escalated when overdue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closedloop import Desk, StepRefusedError, ValidationError
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import make_feedback

DAY = timedelta(days=1)


def acknowledged(desk: Desk) -> str:
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    return case.id


def test_a_promise_is_recorded_and_kept(desk: Desk, clock: ManualClock) -> None:
    case_id = acknowledged(desk)
    case = desk.promises.make(
        case_id, what="Retrain the Leeds team", due_by=clock.now() + 4 * DAY, owner="lee", by="amy"
    )
    (promise,) = case.promises
    assert (promise.what, promise.owner, promise.is_open) == ("Retrain the Leeds team", "lee", True)
    clock.advance(days=2)
    kept = desk.promises.keep(case_id, promise.id, by="lee", note="Trained on Tuesday")
    assert kept.promises[0].kept_on_time
    with pytest.raises(ValidationError, match="kept already"):
        desk.promises.keep(case_id, promise.id, by="lee")
    with pytest.raises(ValidationError, match="no promise 'nope'"):
        desk.promises.keep(case_id, "nope", by="lee")


def test_an_overdue_promise_is_escalated_once_even_after_the_loop_closed(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier
) -> None:
    case_id = acknowledged(desk)
    promise = desk.promises.make(
        case_id, what="Retrain the Leeds team", due_by=clock.now() + 10 * DAY, owner="lee",
        by="amy",
    ).promises[0]  # fmt: skip
    desk.take_action(case_id, by="amy", summary="Refunded")
    desk.thank(case_id, by="amy")
    with pytest.raises(StepRefusedError, match="Retrain the Leeds team"):
        desk.explain(case_id, by="amy", what_failed="Training", what_changes="Retraining")
    closed = desk.explain(
        case_id, by="amy", what_failed="Training", what_changes="Retraining",
        open_promises="The training is booked; Lee will confirm",
    )  # fmt: skip
    assert closed.is_closed
    assert closed.due_at == promise.due_by  # still watched
    clock.advance(days=10, seconds=1)
    report = desk.sweep()
    assert report.escalated == ((case_id, 1),)
    desk.outbox.dispatch()
    alert = notifier.sent[-1]
    assert alert.purpose == "escalation"
    assert "Retrain the Leeds team" in alert.body
    assert desk.sweep().escalated == ()  # once per promise
    after = desk.get(case_id)
    assert after.promises[0].escalated
    assert after.due_at is None
    late = desk.promises.keep(case_id, promise.id, by="lee")
    assert not late.promises[0].kept_on_time


def test_the_promise_kept_rate(desk: Desk, clock: ManualClock) -> None:
    since = clock.now()
    case_id = acknowledged(desk)
    on_time = desk.promises.make(case_id, what="a", due_by=since + DAY, owner="x", by="amy")
    late = desk.promises.make(case_id, what="b", due_by=since + DAY, owner="x", by="amy")
    desk.promises.make(case_id, what="c", due_by=since + 2 * DAY, owner="x", by="amy")  # still open
    desk.promises.make(case_id, what="d", due_by=since + 30 * DAY, owner="x", by="amy")  # not due
    desk.promises.keep(case_id, on_time.promises[0].id, by="x")
    clock.advance(days=3)
    desk.promises.keep(case_id, late.promises[1].id, by="x")
    figures = desk.reports.promises(since, since + 7 * DAY)
    assert (figures.due, figures.kept_on_time, figures.kept_late, figures.open) == (3, 1, 1, 1)
    assert figures.kept_rate == pytest.approx(1 / 3)


def test_a_promise_needs_what_when_and_who(desk: Desk, clock: ManualClock) -> None:
    case_id = acknowledged(desk)
    before = desk.get(case_id)
    with pytest.raises(ValidationError, match="what"):
        desk.promises.make(case_id, what=" ", due_by=clock.now(), owner="x", by="amy")
    with pytest.raises(ValidationError, match="timezone"):
        desk.promises.make(
            case_id, what="a", due_by=clock.now().replace(tzinfo=None), owner="x", by="amy"
        )
    assert desk.get(case_id) == before


@pytest.mark.parametrize("ago", [timedelta(0), timedelta(days=1)], ids=["now", "yesterday"])
def test_a_promise_due_already_is_refused(desk: Desk, clock: ManualClock, ago: timedelta) -> None:
    """Found by a newcomer's probe: a promise could be made overdue, and was late at once
    (a hold's resume_by in the past was already refused)."""
    case_id = acknowledged(desk)
    before = desk.get(case_id)
    with pytest.raises(ValidationError, match=r"due_by .* must be after now") as caught:
        desk.promises.make(case_id, what="a", due_by=clock.now() - ago, owner="x", by="amy")
    assert caught.value.field == "due_by"
    assert desk.get(case_id) == before
