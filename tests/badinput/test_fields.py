"""``ValidationError.field`` where the census does not look: what docs/errors.md promises
for arguments held by others, two arguments that must agree, and the command line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from closedloop import (
    BusinessCalendar,
    Channel,
    Desk,
    Feedback,
    SurveyKind,
    ValidationError,
    Window,
)
from closedloop.cli.inputs import when
from closedloop.insights import compute
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _listen_on(channel: Channel) -> Any:
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=ManualClock(START))
    return desk.listen(Feedback(customer="ann", channel=channel, received_at=START, text="hi"))


CASES: list[tuple[str, Callable[[], Any]]] = [
    ("feedback", lambda: _listen_on(Channel.custom("carrier_pigeon"))),
    ("week", lambda: BusinessCalendar("UTC", {0: [(time(9), None)]})),
    ("end", lambda: Window(time(10), time(9))),
    ("until", lambda: compute(InMemoryStore(), START, START)),
    ("threshold", lambda: SurveyKind.NPS.is_low(3, threshold=11)),
    ("days", lambda: ManualClock(START).advance(days=10**6)),
    ("duration", lambda: BusinessCalendar.always_open().add(START, timedelta(-1))),
    ("--since", lambda: when("2026-13-01", "--since")),
]


@pytest.mark.parametrize(("field", "call"), CASES, ids=[field for field, _ in CASES])
def test_the_error_names_the_argument_the_caller_wrote(field: str, call: Callable[[], Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        call()
    assert refused.value.field == field
