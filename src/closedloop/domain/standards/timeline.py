"""Business-time arithmetic behind :class:`~closedloop.domain.standards.calendar.BusinessCalendar`.

Everything here works on integer microseconds since the Unix epoch and on date ordinals. It is
exact to the microsecond, and its cost does not grow with the duration: a :class:`Timeline`
keeps tables of 512 days each (a :class:`Block`, built when first needed): the running total of
each day's business time, which is its weekday's nominal time except on holidays (found by
bisecting the sorted dates and ranges and by ``rrule.between``) and on days next to a change of
UTC offset (found by comparing offsets a day apart and bisecting, then computed exactly).
Placing a duration is one bisection per table crossed; measuring a stretch is one subtraction
per table. The tables are a cache: they change no result and never read the clock.

Not public API: the calendar validates its windows and holidays before it hands them over, the
windows as microseconds of the day.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Final
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulebase

from closedloop.domain.checks import require_aware
from closedloop.domain.errors import ValidationError

__all__ = ["DAY", "US", "Block", "Timeline"]

US: Final = timedelta(microseconds=1)
DAY: Final = 86_400_000_000  # microseconds in a day without a clock change
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORD: Final = date(1970, 1, 1).toordinal()
_FIRST: Final = date(2, 1, 1).toordinal()
_LAST: Final = date(9998, 12, 31).toordinal()
_BLOCK_BITS: Final = 9
_BLOCK: Final = 1 << _BLOCK_BITS  # days per table
_MAX_CLOSED_DAYS: Final = 3653


def _out_of_range(field: str | None = None) -> ValidationError:
    """The error for an instant (the argument ``field``, or else the result) out of range."""
    error = ValidationError(
        "business-time arithmetic is supported from year 2 to year 9998; the instant or the "
        "result lies outside"
    )
    error.field = field
    return error


class Block:
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


class Timeline:
    """One calendar's windows and holidays, the arithmetic over them and its tables."""

    def __init__(
        self,
        zone: ZoneInfo,
        windows: tuple[tuple[tuple[int, int], ...], ...],
        holidays: tuple[date | tuple[date, date] | rrulebase, ...],
    ) -> None:
        """``windows``: per weekday, each window's start and end in microseconds of the day."""
        self.zone = zone
        self.windows = windows
        self.nominal = tuple(sum(e - s for s, e in day) for day in self.windows)
        self.always = not holidays and all(day == ((0, DAY),) for day in self.windows)
        self.single = sorted({h.toordinal() for h in holidays if isinstance(h, date)})
        self.ranges = [
            (h[0].toordinal(), h[1].toordinal()) for h in holidays if isinstance(h, tuple)
        ]
        self.rules = [h for h in holidays if isinstance(h, rrulebase)]
        self.blocks: dict[int, Block] = {}
        self.cache: dict[int, tuple[tuple[int, int], ...]] = {}

    # conversions

    def locate(self, field: str, instant: datetime) -> tuple[int, int]:
        """Microseconds since the epoch and the local date ordinal of an aware datetime."""
        require_aware(field, instant, bounded=False)
        try:
            n = instant.astimezone(self.zone).toordinal()
        except OverflowError:
            raise _out_of_range(field) from None
        if not _FIRST < n < _LAST:
            raise _out_of_range(field)
        return (instant - _EPOCH) // US, n

    def to_datetime(self, u: int) -> datetime:
        try:
            return (_EPOCH + timedelta(microseconds=u)).astimezone(self.zone)
        except OverflowError:
            raise _out_of_range() from None

    def _offset(self, u: int) -> int:
        offset = (_EPOCH + timedelta(microseconds=u)).astimezone(self.zone).utcoffset()
        assert offset is not None
        return offset // US

    def instant(self, n: int, t: int) -> int:
        """The first instant at which the local clock shows time ``t`` of day ``n`` or later."""
        wall = datetime.fromordinal(n) + timedelta(microseconds=t)
        u = (wall.replace(tzinfo=self.zone) - _EPOCH) // US  # fold=0: the first occurrence
        if (_EPOCH + timedelta(microseconds=u)).astimezone(self.zone).replace(tzinfo=None) == wall:
            return u
        # A skipped time: the clocks jump somewhere in (lo, hi]; find the jump.
        lo = (wall.replace(tzinfo=self.zone, fold=1) - _EPOCH) // US
        hi, after = u, self._offset(u)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._offset(mid) == after:
                hi = mid
            else:
                lo = mid
        return hi

    # days

    def block(self, n: int) -> Block:
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
            base = (n - _EPOCH_ORD) * DAY - offset // US
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

    def _build(self, b: int) -> Block:
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
        return Block(base, holidays, irregular, near, list(accumulate(totals, initial=0)))

    def _transition_days(self, lo: int, hi: int) -> set[int]:
        """Days in [lo - 1, hi + 1) within a day of a UTC-offset change.

        Offsets are compared a day apart, then the change is found by bisection; this assumes
        a zone never changes its offset twice within 24 hours.
        """
        days: set[int] = set()
        u = (max(lo - 3, _FIRST) - _EPOCH_ORD) * DAY
        stop = (min(hi + 3, _LAST) - _EPOCH_ORD) * DAY
        before = self._offset(u)
        while u < stop:
            after = self._offset(u + DAY)
            if after != before:
                a, z = u // 1_000_000, (u + DAY) // 1_000_000  # offsets change on whole seconds
                while z - a > 1:
                    mid = (a + z) // 2
                    if self._offset(mid * 1_000_000) == before:
                        a = mid
                    else:
                        z = mid
                jump = z * 1_000_000
                walls = (jump + before) // DAY + _EPOCH_ORD, (jump + after) // DAY + _EPOCH_ORD
                days.update(range(max(min(walls) - 1, lo - 1), min(max(walls) + 2, hi + 1)))
                before = after
            u += DAY
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
    first = datetime.fromordinal(lo - 2)
    last = datetime.fromordinal(hi + 1)
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
