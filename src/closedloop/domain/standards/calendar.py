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

Arithmetic is exact to the microsecond, and its cost does not grow with the duration. The
calendar keeps tables of 512 days each (built when first needed): the running total of each
day's business time, which is its weekday's nominal time except on holidays (found by bisecting
the sorted dates and ranges and by ``rrule.between``) and on days next to a change of UTC offset
(found by comparing offsets a day apart and bisecting, then computed exactly). Placing a
duration is one bisection per table crossed; measuring a stretch is one subtraction per table.
The tables are a cache: they change no result and never read the clock.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate, pairwise
from typing import Final, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from dateutil.rrule import rrulebase

from closedloop.domain.checks import require_aware
from closedloop.domain.errors import ValidationError

__all__ = ["BusinessCalendar", "Holiday", "Window"]

Holiday: TypeAlias = date | tuple[date, date] | rrulebase
"""A closed local date, an inclusive ``(first, last)`` range of dates, or a dateutil rule."""

_WindowLike: TypeAlias = "Window | tuple[time, time]"
_WeekLike: TypeAlias = "Mapping[int, Iterable[_WindowLike]] | Sequence[Iterable[_WindowLike]]"

_US: Final = timedelta(microseconds=1)
_DAY: Final = 86_400_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORD: Final = date(1970, 1, 1).toordinal()
_FIRST: Final = date(2, 1, 1).toordinal()
_LAST: Final = date(9998, 12, 31).toordinal()
_BLOCK_BITS: Final = 9
_BLOCK: Final = 1 << _BLOCK_BITS  # days per table
_MAX_CLOSED_DAYS: Final = 3653
_DAY_NAMES: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MIDNIGHT: Final = time(0)


def _check_time(_: object, attribute: attrs.Attribute[time], value: object) -> None:
    if not isinstance(value, time) or value.tzinfo is not None:
        raise ValidationError(
            f"window {attribute.name} must be a datetime.time without tzinfo (local wall-clock "
            f"time in the calendar's zone), got {value!r}"
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
    end: time = attrs.field(validator=_check_time)

    def __attrs_post_init__(self) -> None:
        if self.end != _MIDNIGHT and self.end <= self.start:
            raise ValidationError(
                f"window {self} must start before it ends (use end=time(0) for midnight at "
                f"the end of the day; split a night shift into two days' windows)"
            )

    @property
    def length(self) -> timedelta:
        """The nominal length, ignoring daylight-saving changes."""
        return timedelta(microseconds=self._bounds[1] - self._bounds[0])

    @property
    def _bounds(self) -> tuple[int, int]:
        end = _DAY if self.end == _MIDNIGHT else _micros(self.end)
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
        return Window(*value)
    raise ValidationError(
        f"a window must be a Window or a (start, end) pair of times, got {value!r}"
    )


def _day_windows(day: int, windows: Iterable[_WindowLike]) -> tuple[Window, ...]:
    if isinstance(windows, Window | str) or not isinstance(windows, Iterable):
        raise ValidationError(f"{_DAY_NAMES[day]}: give a list of windows, got {windows!r}")
    result = tuple(_to_window(w) for w in windows)
    for before, after in pairwise(result):
        if before.end == _MIDNIGHT or after.start < before.end:
            raise ValidationError(
                f"{_DAY_NAMES[day]}: windows must be in order and must not overlap, "
                f"but {before} is followed by {after}"
            )
    return result


def _to_week(value: _WeekLike) -> tuple[tuple[Window, ...], ...]:
    if isinstance(value, Mapping):
        bad = [k for k in value if type(k) is not int or not 0 <= k <= 6]
        if bad:
            raise ValidationError(
                f"week keys must be weekdays 0 (Monday) to 6 (Sunday), got {bad!r}"
            )
        days: list[Iterable[_WindowLike]] = [value.get(d, ()) for d in range(7)]
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 7:
        days = list(value)
    else:
        raise ValidationError(
            f"week must map weekdays 0 (Monday) to 6 (Sunday) to their windows, or list the "
            f"windows of all 7 days; got {value!r}"
        )
    return tuple(_day_windows(d, windows) for d, windows in enumerate(days))


def _to_holidays(value: Iterable[Holiday]) -> tuple[Holiday, ...]:
    if isinstance(value, date | rrulebase):  # one holiday on its own
        value = (value,)
    result: list[Holiday] = []
    for item in value:
        if isinstance(item, rrulebase):
            result.append(item)
        elif isinstance(item, tuple) and _is_range(item):
            first, last = item
            if first > last:
                raise ValidationError(f"holiday range {first} to {last} ends before it starts")
            result.append((first, last))
        elif isinstance(item, date) and not isinstance(item, datetime):
            result.append(item)
        else:
            raise ValidationError(
                f"a holiday must be a date, an inclusive (first, last) pair of dates or a "
                f"dateutil rrule; got {item!r} (holidays close whole local days: no datetimes)"
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
        raise ValidationError(f"zone must be an IANA time zone name, got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin' or 'UTC'"
        ) from None


def _out_of_range() -> ValidationError:
    return ValidationError(
        "business-time arithmetic is supported from year 2 to year 9998; the instant or the "
        "result lies outside"
    )


@attrs.frozen(cache_hash=True)
class BusinessCalendar:
    """When an organisation is at work, and business-time arithmetic over it.

    ``week`` maps weekdays (0 = Monday ... 6 = Sunday, as :meth:`date.weekday`) to that day's
    windows, in order and not overlapping; days left out are closed. Windows may be given as
    :class:`Window` or as ``(start, end)`` pairs of times. ``holidays`` close whole local days.

    Every method takes timezone-aware datetimes and returns them in the calendar's zone.
    """

    zone: str
    week: tuple[tuple[Window, ...], ...] = attrs.field(converter=_to_week)
    holidays: tuple[Holiday, ...] = attrs.field(default=(), converter=_to_holidays)
    _timeline: _Timeline = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        zone = _to_zone(self.zone)
        if not any(self.week):
            raise ValidationError(
                "a business calendar needs at least one working window; for a round-the-clock "
                "standard use BusinessCalendar.always_open()"
            )
        object.__setattr__(self, "_timeline", _Timeline(zone, self.week, self.holidays))

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
            raise ValidationError(f"duration must be a timedelta, got {type(duration).__name__}")
        r = duration // _US
        if r < 0:
            raise ValidationError(f"duration must not be negative, got {duration}")
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
            raise ValidationError(f"day must be a date, got {day!r}")
        tl = self._timeline
        return tuple((tl.to_datetime(s), tl.to_datetime(e)) for s, e in tl.spans(day.toordinal()))


class _Block:
    """512 consecutive days: holidays, clock-change days and the running business time."""

    __slots__ = ("base", "cum", "holidays", "irregular", "near")

    def __init__(
        self, base: int, holidays: set[int], irregular: set[int], near: set[int], cum: list[int]
    ) -> None:
        self.base = base  # the first day
        self.holidays = frozenset(holidays)
        self.irregular = frozenset(irregular)  # days near a clock change: computed exactly
        self.near = frozenset(near)  # irregular days and their neighbours
        self.cum = cum  # cum[i]: exact business time of days [base, base + i), 513 entries


class _Timeline:
    """The arithmetic, on integer microseconds since the Unix epoch and on date ordinals."""

    def __init__(
        self, zone: ZoneInfo, week: tuple[tuple[Window, ...], ...], holidays: tuple[Holiday, ...]
    ) -> None:
        self.zone = zone
        self.windows = tuple(tuple(w._bounds for w in day) for day in week)
        self.nominal = tuple(sum(e - s for s, e in day) for day in self.windows)
        self.always = not holidays and all(day == ((0, _DAY),) for day in self.windows)
        self.single = sorted({h.toordinal() for h in holidays if isinstance(h, date)})
        self.ranges = [
            (h[0].toordinal(), h[1].toordinal()) for h in holidays if isinstance(h, tuple)
        ]
        self.rules = [h for h in holidays if isinstance(h, rrulebase)]
        self.blocks: dict[int, _Block] = {}
        self.cache: dict[int, tuple[tuple[int, int], ...]] = {}

    # conversions

    def locate(self, field: str, instant: datetime) -> tuple[int, int]:
        """Microseconds since the epoch and the local date ordinal of an aware datetime."""
        require_aware(field, instant)
        try:
            n = instant.astimezone(self.zone).toordinal()
        except OverflowError:
            raise _out_of_range() from None
        if not _FIRST < n < _LAST:
            raise _out_of_range()
        return (instant - _EPOCH) // _US, n

    def to_datetime(self, u: int) -> datetime:
        try:
            return (_EPOCH + timedelta(microseconds=u)).astimezone(self.zone)
        except OverflowError:
            raise _out_of_range() from None

    def _offset(self, u: int) -> int:
        offset = (_EPOCH + timedelta(microseconds=u)).astimezone(self.zone).utcoffset()
        assert offset is not None
        return offset // _US

    def instant(self, n: int, t: int) -> int:
        """The first instant at which the local clock shows time ``t`` of day ``n`` or later."""
        wall = datetime.fromordinal(n) + timedelta(microseconds=t)
        u = (wall.replace(tzinfo=self.zone) - _EPOCH) // _US  # fold=0: the first occurrence
        if (_EPOCH + timedelta(microseconds=u)).astimezone(self.zone).replace(tzinfo=None) == wall:
            return u
        # A skipped time: the clocks jump somewhere in (lo, hi]; find the jump.
        lo = (wall.replace(tzinfo=self.zone, fold=1) - _EPOCH) // _US
        hi, after = u, self._offset(u)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._offset(mid) == after:
                hi = mid
            else:
                lo = mid
        return hi

    # days

    def block(self, n: int) -> _Block:
        found = self.blocks.get(n >> _BLOCK_BITS)
        if found is None:
            if len(self.blocks) >= 256:
                self.blocks.clear()
            found = self.blocks[n >> _BLOCK_BITS] = self._build(n >> _BLOCK_BITS)
        return found

    def irregular(self, n: int) -> bool:
        return n in self.block(n).irregular

    def spans(self, n: int) -> tuple[tuple[int, int], ...]:
        """The open intervals of day ``n``, in order, none empty."""
        found = self.cache.get(n)
        if found is not None:
            return found
        if not _FIRST <= n <= _LAST:
            raise _out_of_range()
        block = self.block(n)
        if n in block.holidays:
            result: tuple[tuple[int, int], ...] = ()
        elif n in block.irregular:
            result = self._exact_spans(n)
        else:
            offset = self.zone.utcoffset(datetime.fromordinal(n))
            assert offset is not None
            base = (n - _EPOCH_ORD) * _DAY - offset // _US
            result = tuple((base + s, base + e) for s, e in self.windows[(n + 6) % 7])
        if len(self.cache) >= 4096:
            self.cache.clear()
        self.cache[n] = result
        return result

    def _exact_spans(self, n: int) -> tuple[tuple[int, int], ...]:
        result = []
        for s, e in self.windows[(n + 6) % 7]:
            start, end = self.instant(n, s), self.instant(n, e)
            if end > start:
                result.append((start, end))
        return tuple(result)

    def head(self, n: int) -> tuple[int, int]:
        """The first and last days whose open intervals may hold instants of local date ``n``.

        Near a clock change the instants of one local date can straddle the previous or next
        date's first instant, so those neighbours are looked at too.
        """
        if n not in self.block(n).near:
            return n, n
        here = self.irregular(n)
        first = n - 1 if here or self.irregular(n - 1) else n
        last = n + 1 if here or self.irregular(n + 1) else n
        return first, last

    # tables

    def _build(self, b: int) -> _Block:
        base = b << _BLOCK_BITS
        lo, hi = max(base, _FIRST), min(base + _BLOCK, _LAST + 1)
        holidays: set[int] = set()
        i = bisect_left(self.single, lo)
        while i < len(self.single) and self.single[i] < hi:
            holidays.add(self.single[i])
            i += 1
        for first, last in self.ranges:
            holidays.update(range(max(first, lo), min(last + 1, hi)))
        for rule in self.rules:
            holidays.update(_rule_days(rule, lo, hi))
        marked = self._transition_days(lo, hi)
        irregular = {n for n in marked if lo <= n < hi}
        near = {n + k for n in marked for k in (-1, 0, 1) if lo <= n + k < hi}
        # Each day's business time is its weekday's nominal time, except on holidays (none)
        # and near clock changes (computed from the exact instants of its windows).
        totals = [0] * _BLOCK
        for n in range(lo, hi):
            totals[n - base] = self.nominal[(n + 6) % 7]
        for n in irregular:
            totals[n - base] = sum(e - s for s, e in self._exact_spans(n))
        for n in holidays:
            totals[n - base] = 0
        return _Block(base, holidays, irregular, near, list(accumulate(totals, initial=0)))

    def _transition_days(self, lo: int, hi: int) -> set[int]:
        """Days in [lo - 1, hi + 1) within a day of a UTC-offset change.

        Offsets are compared a day apart, then the change is found by bisection; this assumes
        a zone never changes its offset twice within 24 hours.
        """
        days: set[int] = set()
        u = (max(lo - 3, _FIRST) - _EPOCH_ORD) * _DAY
        stop = (min(hi + 3, _LAST) - _EPOCH_ORD) * _DAY
        before = self._offset(u)
        while u < stop:
            after = self._offset(u + _DAY)
            if after != before:
                a, z = u // 1_000_000, (u + _DAY) // 1_000_000  # offsets change on whole seconds
                while z - a > 1:
                    mid = (a + z) // 2
                    if self._offset(mid * 1_000_000) == before:
                        a = mid
                    else:
                        z = mid
                jump = z * 1_000_000
                walls = (jump + before) // _DAY + _EPOCH_ORD, (jump + after) // _DAY + _EPOCH_ORD
                days.update(range(max(min(walls) - 1, lo - 1), min(max(walls) + 2, hi + 1)))
                before = after
            u += _DAY
        return days

    def whole_days(self, n0: int, n1: int) -> int:
        """The exact business time of the days [n0, n1)."""
        total = 0
        while n0 < n1:
            block = self.block(n0)
            end = min(n1, block.base + _BLOCK)
            total += block.cum[end - block.base] - block.cum[n0 - block.base]
            n0 = end
        return total

    # operations

    def is_open(self, u: int, n: int) -> bool:
        first, last = self.head(n)
        return any(s <= u < e for d in range(first, last + 1) for s, e in self.spans(d))

    def next_open(self, u: int, n: int) -> int:
        first, last = self.head(n)
        for d in range(first, last + 1):
            for s, e in self.spans(d):
                if e > u:
                    return max(s, u)
        n, closed = last + 1, 0
        while True:
            if n > _LAST:
                raise _out_of_range()
            block = self.block(n)
            cum, i = block.cum, n - block.base
            if cum[-1] > cum[i]:  # the first day with business time is day x - 1
                x = bisect_right(cum, cum[i], i)
                return self.spans(block.base + x - 1)[0][0]
            closed += _BLOCK - i
            _check_closed(closed, n)
            n = block.base + _BLOCK

    def add(self, u: int, n: int, r: int) -> int:
        first, last = self.head(n)
        for d in range(first, last + 1):
            for s, e in self.spans(d):
                if e > u:
                    s = max(s, u)
                    if r <= e - s:
                        return s + r
                    r -= e - s
        n, closed = last + 1, 0
        while True:
            if n > _LAST:
                raise _out_of_range()
            block = self.blocks.get(n >> _BLOCK_BITS) or self.block(n)
            cum, i = block.cum, n - block.base
            target = cum[i] + r
            if target <= cum[-1]:  # the duration is done on day x - 1 of this block
                x = bisect_left(cum, target, i)
                n, r = block.base + x - 1, target - cum[x - 1]
                break
            r = target - cum[-1]
            # Days without business time at the end of the block, to give up on a closed decade.
            closed = (
                closed + _BLOCK - i if cum[-1] == cum[i] else _BLOCK - bisect_left(cum, cum[-1])
            )
            _check_closed(closed, n)
            n = block.base + _BLOCK
        for s, e in self.spans(n):
            if r <= e - s:
                return s + r
            r -= e - s
        raise AssertionError("day totals and open intervals disagree")  # pragma: no cover

    def between(self, ua: int, na: int, ub: int, nb: int) -> int:
        a0, a1 = self.head(na)
        b0, b1 = self.head(nb)
        if b0 <= a1 + 1:
            return self._clipped(min(a0, b0), max(a1, b1), ua, ub)
        return (
            self._clipped(a0, a1, ua, ub)
            + self.whole_days(a1 + 1, b0)
            + self._clipped(b0, b1, ua, ub)
        )

    def _clipped(self, first: int, last: int, ua: int, ub: int) -> int:
        total = 0
        for d in range(first, last + 1):
            for s, e in self.spans(d):
                total += max(0, min(e, ub) - max(s, ua))
        return total


def _rule_days(rule: rrulebase, lo: int, hi: int) -> set[int]:
    """The date ordinals in [lo, hi) on which ``rule`` has an occurrence."""
    first = datetime.combine(date.fromordinal(lo - 2), _MIDNIGHT)
    last = datetime.combine(date.fromordinal(hi + 1), _MIDNIGHT)
    found: list[datetime]
    try:
        found = rule.between(first, last, inc=True)
    except TypeError:  # a rule with an aware dtstart
        found = rule.between(first.replace(tzinfo=UTC), last.replace(tzinfo=UTC), inc=True)
    return {o for o in (d.toordinal() for d in found) if lo <= o < hi}


def _check_closed(closed: int, n: int) -> None:
    if closed > _MAX_CLOSED_DAYS:
        raise ValidationError(
            f"the calendar has no open time in the ten years up to "
            f"{date.fromordinal(n)}; check its holidays"
        )
