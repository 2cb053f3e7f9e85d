from __future__ import annotations

from datetime import datetime, timedelta

import pytest

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
