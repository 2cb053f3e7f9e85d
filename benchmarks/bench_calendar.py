"""Business-time addition: BusinessCalendar.add against minute stepping and a day-by-day walk."""

from __future__ import annotations

import time as clock
import timeit
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, YEARLY, rrule

from closedloop.domain.standards.calendar import BusinessCalendar

ZONE = ZoneInfo("Europe/Berlin")
OPEN, CLOSE = time(9), time(17)
XMAS = rrule(YEARLY, bymonth=12, bymonthday=25, dtstart=datetime(2000, 1, 1))  # noqa: DTZ001
HOLIDAYS = [
    date(2026, 4, 3),
    date(2026, 4, 6),
    date(2026, 5, 1),
    date(2026, 12, 24),
    (date(2026, 12, 28), date(2026, 12, 31)),
    XMAS,
]
HOURS = (1, 8, 40, 80, 200, 400)
MINUTE_STEPPING_UP_TO = 40
MINUTE = timedelta(minutes=1)

# Starts spread over a week, open and closed, a few weeks before Easter and the spring change.
STARTS = [datetime(2026, 3, 9, 7, 13, tzinfo=UTC) + timedelta(hours=11 * i) for i in range(16)]


def _closed_dates() -> set[date]:
    """What both baselines are given up front: every holiday as a date, 2020 to 2040."""
    closed: set[date] = set()
    for h in HOLIDAYS:
        if isinstance(h, tuple):
            closed.update(h[0] + timedelta(days=i) for i in range((h[1] - h[0]).days + 1))
        elif isinstance(h, date):
            closed.add(h)
        else:
            first = datetime(2020, 1, 1)  # noqa: DTZ001
            last = datetime(2040, 1, 1)  # noqa: DTZ001
            closed.update(d.date() for d in h.between(first, last, inc=True))
    return closed


CLOSED = _closed_dates()


def minute_stepping(start: datetime, duration: timedelta) -> datetime:
    """Step a minute at a time, counting the minutes that are open (start on a whole minute)."""
    t = start.astimezone(UTC)
    left = duration
    while left > timedelta(0):
        wall = t.astimezone(ZONE)
        if wall.weekday() < 5 and wall.date() not in CLOSED and OPEN <= wall.time() < CLOSE:
            left -= MINUTE
        t += MINUTE
    return t.astimezone(ZONE)


def day_walk(start: datetime, duration: timedelta) -> datetime:
    """Walk day by day with dateutil, adding up each day's open time, exact across DST."""
    t = start.astimezone(UTC)
    left = duration
    for day in rrule(DAILY, dtstart=start.astimezone(ZONE).replace(tzinfo=None)):
        if day.weekday() >= 5 or day.date() in CLOSED:
            continue
        opens = datetime.combine(day.date(), OPEN, tzinfo=ZONE).astimezone(UTC)
        closes = datetime.combine(day.date(), CLOSE, tzinfo=ZONE).astimezone(UTC)
        begin = max(opens, t)
        if begin >= closes:
            continue
        if closes - begin >= left:
            return (begin + left).astimezone(ZONE)
        left -= closes - begin
    raise AssertionError("unreachable")


def _batch(fn: Callable[[datetime, timedelta], datetime], hours: int) -> Callable[[], None]:
    d = timedelta(hours=hours)

    def batch() -> None:
        for s in STARTS:
            fn(s, d)

    return batch


def _per_second(batches: dict[int, Callable[[], None]], rounds: int) -> dict[int, float]:
    """Operations per second for each duration; rounds interleave durations against noise."""
    timers = {h: timeit.Timer(b) for h, b in batches.items()}
    numbers = {h: t.autorange()[0] for h, t in timers.items()}
    best = dict.fromkeys(batches, float("inf"))
    for _ in range(rounds):
        for h, t in timers.items():
            best[h] = min(best[h], t.timeit(numbers[h]) / numbers[h])
    return {h: len(STARTS) / seconds for h, seconds in best.items()}


def run(quick: bool = False) -> None:
    rounds = 3 if quick else 7
    calendar = BusinessCalendar.weekdays(OPEN, CLOSE, zone="Europe/Berlin", holidays=HOLIDAYS)

    began = clock.perf_counter()
    calendar.add(STARTS[0], timedelta(hours=400))
    cold = clock.perf_counter() - began

    for hours in HOURS:  # all three must agree before their speed means anything
        d = timedelta(hours=hours)
        for s in STARTS:
            expected = calendar.add(s, d)
            assert day_walk(s, d) == expected, (s, hours)
            if hours <= MINUTE_STEPPING_UP_TO and not quick:
                assert minute_stepping(s, d) == expected, (s, hours)

    stepped = [h for h in HOURS if h <= (8 if quick else MINUTE_STEPPING_UP_TO)]
    naive = _per_second({h: _batch(minute_stepping, h) for h in stepped}, 1 if quick else 2)
    walk = _per_second({h: _batch(day_walk, h) for h in HOURS}, rounds)
    ours = _per_second({h: _batch(calendar.add, h) for h in HOURS}, rounds)

    print("business-time add, Mon-Fri 09:00-17:00 Europe/Berlin with holidays (operations/s)")
    print(f"  {'hours':>5}  {'minute stepping':>15}  {'day walk':>10}  {'closedloop':>10}")
    for h in HOURS:
        stepping = f"{naive[h]:15,.0f}" if h in naive else f"{'skipped':>15}"
        print(f"  {h:>5}  {stepping}  {walk[h]:10,.0f}  {ours[h]:10,.0f}")
    print(f"  closedloop / day walk at 80 h: {ours[80] / walk[80]:.1f}x faster  (target >= 10x)")
    flat = ours[1] / ours[400]
    print(f"  closedloop cost at 400 h / cost at 1 h: {flat:.2f}  (target <= 1.5)")
    print(f"  first add on a fresh calendar (builds its holiday/DST tables): {cold * 1e3:.2f} ms")


if __name__ == "__main__":
    run()
