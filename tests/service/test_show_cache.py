"""Times shown in notifications are cached: the cached text is the one computed afresh,
whatever the time, its zone, fold or a DST gap, and the policy's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from closedloop import Policy
from closedloop.service.context import Context
from closedloop.service.lifecycle import show
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import START


def afresh(instant: datetime) -> str:
    """The English reading, computed with strftime rather than DateWords."""
    return f"{instant:%A} {instant.day} {instant:%B %Y, %H:%M} {instant.tzname() or ''}".rstrip()


def context(zone: tzinfo) -> Context:
    return Context(
        InMemoryStore(), RecordingNotifier(), ManualClock(START), Policy(timezone=zone),
        new_id=lambda: "case-1", random=lambda: 0.5,
    )  # fmt: skip


ZONES = [
    *(ZoneInfo(z) for z in ("UTC", "Europe/London", "America/New_York", "Asia/Kolkata")),
    UTC,
    timezone(timedelta(0), "Z0"),  # equal to the one above, named otherwise
    timezone(timedelta(hours=-3)),
]


@given(
    at=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from(ZONES),
    ),
    zone=st.sampled_from(ZONES),
)
def test_a_cached_time_reads_as_one_computed_afresh(at: datetime, zone: tzinfo) -> None:
    ctx = context(zone)
    assert show(ctx, at) == afresh(at.astimezone(zone))
    assert show(ctx, at) == show(ctx, at)  # from the cache, the second time


def test_the_two_half_past_ones_of_a_dst_night_are_told_apart() -> None:
    zone = ZoneInfo("America/New_York")
    first = datetime(2026, 11, 1, 1, 30, tzinfo=zone)
    second = first.replace(fold=1)
    ctx = context(zone)
    assert show(ctx, first).endswith("01:30 EDT")
    assert show(ctx, second).endswith("01:30 EST")
