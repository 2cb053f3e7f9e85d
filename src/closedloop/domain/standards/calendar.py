"""Business calendars: working windows, holidays and business-time arithmetic.

A :class:`BusinessCalendar` says when an organisation is at work: a few :class:`Window` s of
local wall-clock time per weekday, in one IANA time zone, minus holidays. Business time is
real elapsed time inside those windows, so "within 4 business hours" can be turned into a
deadline (:meth:`BusinessCalendar.add`) and a reply can be measured against it
(:meth:`BusinessCalendar.between`).

Wall-clock times and daylight saving: a local time ``w`` on a date stands for the first instant
at which the local clock shows ``w`` or later. A time that happens twice (clocks go back) is
its first occurrence; a time that never happens (clocks go forward) is the instant the clocks
jump. So a window of 01:00-04:00 lasts 2 hours on a spring-forward night and 4 hours on a
fall-back night, and a window lying wholly inside a skipped hour is not open at all.

Arithmetic is exact to the microsecond, and its cost does not grow with the duration; the
tables that make it so live in :mod:`closedloop.domain.standards.timeline`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Final, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from dateutil.rrule import rrulebase

from closedloop.domain.checks import items
from closedloop.domain.errors import ValidationError
from closedloop.domain.standards.timeline import DAY, US, Timeline

__all__ = ["BusinessCalendar", "Holiday", "Window"]

Holiday: TypeAlias = date | tuple[date, date] | rrulebase
"""A closed local date, an inclusive ``(first, last)`` range of dates, or a dateutil rule."""

_WindowLike: TypeAlias = "Window | tuple[time, time]"
_WeekLike: TypeAlias = "Mapping[int, Iterable[_WindowLike]] | Sequence[Iterable[_WindowLike]]"

_DAY_NAMES: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MIDNIGHT: Final = time(0)


def _check_time(_: object, attribute: attrs.Attribute[time], value: object) -> None:
    if not isinstance(value, time) or value.tzinfo is not None:
        raise ValidationError.of(
            attribute.name,
            f"window {attribute.name} must be a datetime.time without tzinfo (local wall-clock "
            f"time in the calendar's zone), got {value!r}",
        )


def _micros(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


@attrs.frozen
class Window:
    """Open from ``start`` up to, not including, ``end`` (local wall-clock times).

    ``end=time(0)`` means midnight at the end of the day (24:00): ``Window(time(22), time(0))``
    is the last two hours of the day, ``Window(time(0), time(0))`` the whole day. A window never
    crosses midnight; a night shift is two windows on consecutive days.
    """

    start: time = attrs.field(validator=_check_time)
    """When the window opens (local time)."""
    end: time = attrs.field(validator=_check_time)
    """When it closes (local time, not included)."""

    def __attrs_post_init__(self) -> None:
        if self.end != _MIDNIGHT and self.end <= self.start:
            raise ValidationError.of(
                "end",
                f"window {self} must start before it ends (use end=time(0) for midnight at "
                f"the end of the day; split a night shift into two days' windows)",
            )

    @property
    def length(self) -> timedelta:
        """The nominal length, ignoring daylight-saving changes."""
        return timedelta(microseconds=self._bounds[1] - self._bounds[0])

    @property
    def _bounds(self) -> tuple[int, int]:
        end = DAY if self.end == _MIDNIGHT else _micros(self.end)
        return _micros(self.start), end

    def __str__(self) -> str:
        end = "24:00" if self.end == _MIDNIGHT else _clock(self.end)
        return f"{_clock(self.start)}-{end}"


def _clock(t: time) -> str:
    return t.isoformat("minutes" if not (t.second or t.microsecond) else "auto")


def _to_window(value: object) -> Window:
    if isinstance(value, Window):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        try:
            return Window(*value)
        except ValidationError as exc:  # a pair's fault is the week's, given as a whole
            raise ValidationError.of("week", str(exc)) from None
    raise ValidationError.of(
        "week", f"a window must be a Window or a (start, end) pair of times, got {value!r}"
    )


def _day_windows(day: int, windows: Iterable[_WindowLike]) -> tuple[Window, ...]:
    if isinstance(windows, Window | str) or not isinstance(windows, Iterable):
        raise ValidationError.of(
            "week", f"{_DAY_NAMES[day]}: give a list of windows, got {windows!r}"
        )
    result = tuple(_to_window(w) for w in windows)
    for before, after in pairwise(result):
        if before.end == _MIDNIGHT or after.start < before.end:
            raise ValidationError.of(
                "week",
                f"{_DAY_NAMES[day]}: windows must be in order and must not overlap, "
                f"but {before} is followed by {after}",
            )
    return result


def _to_week(value: _WeekLike) -> tuple[tuple[Window, ...], ...]:
    if isinstance(value, Mapping):
        bad = [k for k in value if type(k) is not int or not 0 <= k <= 6]
        if bad:
            raise ValidationError.of(
                "week", f"week keys must be weekdays 0 (Monday) to 6 (Sunday), got {bad!r}"
            )
        days: list[Iterable[_WindowLike]] = [value.get(d, ()) for d in range(7)]
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 7:
        days = list(value)
    else:
        raise ValidationError.of(
            "week",
            f"week must map weekdays 0 (Monday) to 6 (Sunday) to their windows, or list the "
            f"windows of all 7 days; got {value!r}",
        )
    return tuple(_day_windows(d, windows) for d, windows in enumerate(days))


def _to_holidays(value: Iterable[Holiday]) -> tuple[Holiday, ...]:
    if isinstance(value, date | rrulebase):  # one holiday on its own
        value = (value,)
    result: list[Holiday] = []
    for item in items("holidays")(value):
        if isinstance(item, rrulebase):
            result.append(item)
        elif isinstance(item, tuple) and _is_range(item):
            first, last = item
            if first > last:
                raise ValidationError.of(
                    "holidays", f"holiday range {first} to {last} ends before it starts"
                )
            result.append((first, last))
        elif isinstance(item, date) and not isinstance(item, datetime):
            result.append(item)
        else:
            raise ValidationError.of(
                "holidays",
                f"a holiday must be a date, an inclusive (first, last) pair of dates or a "
                f"dateutil rrule; got {item!r} (holidays close whole local days: no datetimes)",
            )
    return tuple(result)


def _is_range(item: object) -> bool:
    return (
        isinstance(item, tuple)
        and len(item) == 2
        and all(isinstance(d, date) and not isinstance(d, datetime) for d in item)
    )


def _to_zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValidationError.of("zone", f"zone must be an IANA time zone name, got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError.of(
            "zone", f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin' or 'UTC'"
        ) from None


@attrs.frozen(cache_hash=True)
class BusinessCalendar:
    """When an organisation is at work, and business-time arithmetic over it.

    ``week`` maps weekdays (0 = Monday ... 6 = Sunday, as :meth:`date.weekday`) to that day's
    windows, in order and not overlapping; days left out are closed. Windows may be given as
    :class:`Window` or as ``(start, end)`` pairs of times. ``holidays`` close whole local days.

    Every method takes timezone-aware datetimes and returns them in the calendar's zone.
    """

    zone: str
    """The IANA time zone the windows are in (`"Europe/London"`)."""
    week: tuple[tuple[Window, ...], ...] = attrs.field(converter=_to_week)
    """Each weekday's windows, Monday first; a day without windows is closed."""
    holidays: tuple[Holiday, ...] = attrs.field(default=(), converter=_to_holidays)
    """Whole local days closed: dates, (first, last) ranges of dates, or dateutil rules."""
    _timeline: Timeline = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        zone = _to_zone(self.zone)
        if not any(self.week):
            raise ValidationError.of(
                "week",
                "a business calendar needs at least one working window; for a round-the-clock "
                "standard use BusinessCalendar.always_open()",
            )
        windows = tuple(tuple(w._bounds for w in day) for day in self.week)
        object.__setattr__(self, "_timeline", Timeline(zone, windows, self.holidays))

    @classmethod
    def weekdays(
        cls,
        start: time = time(9),
        end: time = time(17),
        *,
        zone: str,
        holidays: Iterable[Holiday] = (),
    ) -> BusinessCalendar:
        """Monday to Friday, one window a day from ``start`` to ``end``."""
        window = Window(start, end)
        return cls(zone, {d: [window] for d in range(5)}, holidays)

    @classmethod
    def always_open(cls, zone: str = "UTC") -> BusinessCalendar:
        """Open around the clock, no holidays: business time is elapsed time."""
        return cls(zone, [[Window(_MIDNIGHT, _MIDNIGHT)]] * 7)

    @property
    def tz(self) -> ZoneInfo:
        """The calendar's zone as a :class:`zoneinfo.ZoneInfo`."""
        return self._timeline.zone

    def is_open(self, instant: datetime) -> bool:
        """Whether ``instant`` lies inside a window (windows are half-open: start in, end out)."""
        u, n = self._timeline.locate("instant", instant)
        return self._timeline.always or self._timeline.is_open(u, n)

    def next_open(self, instant: datetime) -> datetime:
        """``instant`` itself if open, else the start of the next window."""
        tl = self._timeline
        u, n = tl.locate("instant", instant)
        return tl.to_datetime(u if tl.always else tl.next_open(u, n))

    def add(self, instant: datetime, duration: timedelta) -> datetime:
        """The instant at which ``duration`` of business time, counted from ``instant``, is done.

        ``add(t, timedelta(0))`` is ``t`` itself, open or not. For a positive duration the
        result is open or is exactly the end of a window (where the last microsecond ends).
        Raises :class:`ValidationError` for a negative duration, and when ten years in a row
        have no open time.
        """
        tl = self._timeline
        u, n = tl.locate("instant", instant)
        if not isinstance(duration, timedelta):
            raise ValidationError.of(
                "duration", f"duration must be a timedelta, got {type(duration).__name__}"
            )
        r = duration // US
        if r < 0:
            raise ValidationError.of("duration", f"duration must not be negative, got {duration}")
        if r == 0 or tl.always:
            return tl.to_datetime(u + r)
        return tl.to_datetime(tl.add(u, n, r))

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The business time in ``[start, end)``; zero when ``end`` is not after ``start``."""
        tl = self._timeline
        ua, na = tl.locate("start", start)
        ub, nb = tl.locate("end", end)
        if ub <= ua:
            return timedelta(0)
        if tl.always:
            return timedelta(microseconds=ub - ua)
        return timedelta(microseconds=tl.between(ua, na, ub, nb))

    def open_spans(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The open intervals of a local date as ``(start, end)`` pairs, after DST and holidays."""
        if not isinstance(day, date) or isinstance(day, datetime):
            raise ValidationError.of("day", f"day must be a date, got {day!r}")
        tl = self._timeline
        return tuple((tl.to_datetime(s), tl.to_datetime(e)) for s, e in tl.spans(day.toordinal()))
