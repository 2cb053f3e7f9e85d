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

Arithmetic is exact to the microsecond and its cost does not grow with the duration: whole
stretches of days are skipped with the nominal week length, corrected by the holidays and
daylight-saving days inside them. Per-calendar tables of those special days are built lazily,
about 17 months at a time, and kept on the calendar.
"""

from __future__ import annotations

from bisect import bisect_left
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
_BLOCK_BITS: Final = 9  # special-day tables cover 512 days each
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
    """The special days of 512 consecutive dates: holidays, DST days, and what they change."""

    __slots__ = ("days", "delta", "holidays", "irregular", "prefix")

    def __init__(self, holidays: set[int], irregular: set[int], delta: dict[int, int]) -> None:
        self.holidays = frozenset(holidays)
        self.irregular = frozenset(irregular)
        self.delta = delta  # day -> exact business time minus the weekday's nominal time
        self.days = sorted(delta)
        self.prefix = [0, *accumulate(delta[d] for d in self.days)]


class _Timeline:
    """The arithmetic, on integer microseconds since the Unix epoch and on date ordinals."""

    def __init__(
        self, zone: ZoneInfo, week: tuple[tuple[Window, ...], ...], holidays: tuple[Holiday, ...]
    ) -> None:
        self.zone = zone
        self.windows = tuple(tuple(w._bounds for w in day) for day in week)
        self.nominal = tuple(sum(e - s for s, e in day) for day in self.windows)
        self.week = sum(self.nominal)
        # cum[w][j]: nominal business time of the j days starting on weekday w.
        self.cum = tuple(
            tuple(accumulate((self.nominal[(w + i) % 7] for i in range(7)), initial=0))
            for w in range(7)
        )
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
        b = n >> _BLOCK_BITS
        found = self.blocks.get(b)
        if found is None:
            found = self.blocks[b] = self._build(b)
        return found

    def irregular(self, n: int) -> bool:
        return n in self.block(n).irregular

    def total(self, n: int) -> int:
        """The exact business time of day ``n``."""
        if not _FIRST <= n <= _LAST:
            raise _out_of_range()
        return self.nominal[(n + 6) % 7] + self.block(n).delta.get(n, 0)

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

    def head(self, n: int) -> range:
        """The days whose open intervals may lie on either side of an instant of local date n.

        Near a clock change the instants of one local date can straddle the previous or next
        date's first instant, so those neighbours are looked at too.
        """
        here = self.irregular(n)
        first = n - 1 if here or self.irregular(n - 1) else n
        last = n + 1 if here or self.irregular(n + 1) else n
        return range(first, last + 1)

    # tables

    def _build(self, b: int) -> _Block:
        lo = max(b << _BLOCK_BITS, _FIRST)
        hi = min((b + 1) << _BLOCK_BITS, _LAST + 1)
        holidays: set[int] = set()
        i = bisect_left(self.single, lo)
        while i < len(self.single) and self.single[i] < hi:
            holidays.add(self.single[i])
            i += 1
        for first, last in self.ranges:
            holidays.update(range(max(first, lo), min(last + 1, hi)))
        for rule in self.rules:
            holidays.update(_rule_days(rule, lo, hi))
        irregular = self._transition_days(lo, hi)
        delta = {}
        for n in holidays | irregular:
            exact = 0 if n in holidays else sum(e - s for s, e in self._exact_spans(n))
            if exact != self.nominal[(n + 6) % 7]:
                delta[n] = exact - self.nominal[(n + 6) % 7]
        return _Block(holidays, irregular, delta)

    def _transition_days(self, lo: int, hi: int) -> set[int]:
        """Days in [lo, hi) within a day of a UTC-offset change.

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
                days.update(range(max(min(walls) - 1, lo), min(max(walls) + 2, hi)))
                before = after
            u += _DAY
        return days

    def correction(self, n0: int, n1: int) -> int:
        """Exact minus nominal business time over the days [n0, n1)."""
        total = 0
        for b in range(n0 >> _BLOCK_BITS, ((n1 - 1) >> _BLOCK_BITS) + 1):
            block = self.block(b << _BLOCK_BITS)
            total += block.prefix[bisect_left(block.days, n1)]
            total -= block.prefix[bisect_left(block.days, n0)]
        return total

    def nominal_span(self, n: int, m: int) -> int:
        """Nominal business time of the ``m`` days from day ``n``."""
        q, j = divmod(m, 7)
        return q * self.week + self.cum[(n + 6) % 7][j]

    def whole_days(self, n: int, m: int) -> int:
        """Exact business time of the ``m`` > 0 days from day ``n``."""
        if n + m > _LAST + 1:
            raise _out_of_range()
        return self.nominal_span(n, m) + self.correction(n, n + m)

    def days_before(self, n: int, r: int) -> int:
        """The most days from day ``n`` whose nominal business time stays below ``r`` > 0."""
        cum = self.cum[(n + 6) % 7]
        q, rest = divmod(r, self.week)
        if not rest:
            q, rest = q - 1, self.week
        return 7 * q + bisect_left(cum, rest) - 1

    # operations

    def is_open(self, u: int, n: int) -> bool:
        return any(s <= u < e for d in self.head(n) for s, e in self.spans(d))

    def next_open(self, u: int, n: int) -> int:
        head = self.head(n)
        for d in head:
            for s, e in self.spans(d):
                if e > u:
                    return max(s, u)
        n, closed = head[-1] + 1, 0
        while not self.total(n):
            closed += 1
            _check_closed(closed, n)
            n += 1
        return self.spans(n)[0][0]

    def add(self, u: int, n: int, r: int) -> int:
        head = self.head(n)
        for d in head:
            for s, e in self.spans(d):
                if e > u:
                    s = max(s, u)
                    if r <= e - s:
                        return s + r
                    r -= e - s
        n, closed = head[-1] + 1, 0
        while True:
            # Skip the days the nominal week says are not enough, corrected exactly for the
            # holidays and DST days among them. DST can make them more than enough: halve.
            m = self.days_before(n, r)
            while m:
                got = self.whole_days(n, m)
                if got < r:
                    n, r = n + m, r - got
                    closed = closed + m if not got else 0
                    _check_closed(closed, n)
                    break
                m //= 2
            total = self.total(n)
            if r <= total:
                break
            r -= total
            closed = closed + 1 if not total else 0
            _check_closed(closed, n)
            n += 1
        for s, e in self.spans(n):
            if r <= e - s:
                return s + r
            r -= e - s
        raise AssertionError("day totals and open intervals disagree")  # pragma: no cover

    def between(self, ua: int, na: int, ub: int, nb: int) -> int:
        first, last = self.head(na), self.head(nb)
        if last[0] <= first[-1] + 1:
            return self._clipped(
                range(min(first[0], last[0]), max(first[-1], last[-1]) + 1), ua, ub
            )
        middle = first[-1] + 1
        return (
            self._clipped(first, ua, ub)
            + self.whole_days(middle, last[0] - middle)
            + self._clipped(last, ua, ub)
        )

    def _clipped(self, days: range, ua: int, ub: int) -> int:
        total = 0
        for d in days:
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
