from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import Channel, NaiveDatetimeError, Notification, ValidationError
from closedloop.testing import ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START


def test_manual_clock_sets_and_advances() -> None:
    clock = ManualClock(START)
    assert clock.now() == START
    assert clock.advance(hours=2) == START + timedelta(hours=2)
    assert clock.advance(timedelta(minutes=1)) == START + timedelta(hours=2, minutes=1)
    assert clock.set(START) == START
    assert clock.now() == START


def test_manual_clock_refuses_naive_times_and_going_backwards() -> None:
    with pytest.raises(NaiveDatetimeError):
        ManualClock(datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="advances forwards"):
        ManualClock(START).advance(hours=-1)


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN),  # the second 02:30 of the night
        datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN),  # just before the hour that is skipped
    ],
)
def test_manual_clock_advances_real_time_across_a_dst_change(start: datetime) -> None:
    """Found by a newcomer's probe: advancing 10 minutes from the second 02:30 went 50
    minutes back in real time, and 1 hour across the spring change landed on 02:30, a time
    that does not exist in Berlin."""
    clock = ManualClock(start)
    for step in (timedelta(minutes=10), timedelta(hours=1)):
        before = clock.now()
        after = clock.advance(step)
        assert after.astimezone(UTC) - before.astimezone(UTC) == step
        assert after.tzinfo is BERLIN
        assert after.astimezone(UTC).astimezone(BERLIN) == after  # a time that exists


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.timezones()
    ),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
)
def test_manual_clock_moves_by_exactly_the_time_given_in_any_zone(
    start: datetime, step: timedelta
) -> None:
    clock = ManualClock(start)
    assert clock.advance(step).astimezone(UTC) - start.astimezone(UTC) == step
    assert clock.now().tzinfo is start.tzinfo


def test_manual_clock_refuses_a_delta_with_parts_and_parts_that_are_not_numbers() -> None:
    clock = ManualClock(START)
    with pytest.raises(ValidationError, match="not both"):
        clock.advance(timedelta(hours=1), minutes=30)
    with pytest.raises(ValidationError, match="timedelta or its parts") as caught:
        clock.advance(hours=float("nan"))
    assert caught.value.field == "hours"
    assert clock.now() == START


def note(key: str, to: str = "m") -> Notification:
    return Notification(
        key=key,
        case_id="c",
        to=to,
        channel=Channel.EMAIL,
        purpose="thanks",
        subject="s",
        body="b",
        created_at=START,
    )


def test_recording_notifier_records_and_can_fail_on_demand() -> None:
    notifier = RecordingNotifier(fail=lambda n: n.key == "bad")
    notifier.send(note("a", to="x"))
    with pytest.raises(ConnectionError, match="told to fail bad"):
        notifier.send(note("bad"))
    notifier.send(note("b", to="y"))
    assert [n.key for n in notifier.sent] == ["a", "b"]
    assert [n.key for n in notifier.to("y")] == ["b"]
    assert notifier.purposes() == ["thanks", "thanks"]
    notifier.clear()
    assert notifier.sent == []


def test_sequential_ids() -> None:
    ids = SequentialIds("c")
    assert [ids(), ids(), ids()] == ["c1", "c2", "c3"]
