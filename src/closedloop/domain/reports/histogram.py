"""A histogram of durations in fixed memory, for percentiles over any number of cases."""

from __future__ import annotations

import bisect
import itertools
import math
from array import array
from datetime import timedelta

__all__ = ["Histogram", "bucket"]

_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_FINE = 2 * 24 * 60  # minute buckets under two days
_HOURS = 58 * 24  # then hour buckets up to sixty days
_DAYS = 365 - 60  # then day buckets up to a year; longer counts as a year
_SIZE = _FINE + _HOURS + _DAYS


def bucket(seconds: int) -> int:
    """The bucket counting a duration of ``seconds`` (negative ones count as zero)."""
    seconds = max(seconds, 0)
    if seconds < 2 * _DAY:
        return seconds // _MINUTE
    if seconds < 60 * _DAY:
        return _FINE + (seconds - 2 * _DAY) // _HOUR
    return min(_FINE + _HOURS + (seconds - 60 * _DAY) // _DAY, _SIZE - 1)


def _start(index: int) -> int:
    if index < _FINE:
        return index * _MINUTE
    if index < _FINE + _HOURS:
        return 2 * _DAY + (index - _FINE) * _HOUR
    return 60 * _DAY + (index - _FINE - _HOURS) * _DAY


class Histogram:
    """Durations counted in buckets: one minute wide under two days, one hour wide under
    sixty days, one day wide up to a year (longer counts as a year). Its memory is fixed
    (a few thousand counters) however many durations are added, and a percentile is exact
    to its bucket's width."""

    __slots__ = ("_counts", "count")

    def __init__(self) -> None:
        self._counts = array("I", bytes(4 * _SIZE))
        self.count = 0
        """How many durations were added."""

    def add(self, duration: timedelta) -> None:
        """Count one duration (negative ones count as zero)."""
        self.add_bucket(bucket(int(duration.total_seconds())))

    def add_bucket(self, index: int, n: int = 1) -> None:
        """Count ``n`` durations in bucket ``index`` (from :func:`bucket`)."""
        self._counts[index] += n
        self.count += n

    def quantile(self, q: float) -> timedelta | None:
        """The nearest-rank ``q`` quantile (0 < q <= 1), as the start of its bucket; None
        when nothing was added."""
        if not 0 < q <= 1:
            raise ValueError(f"q must be in (0, 1], got {q!r}")
        if not self.count:
            return None
        rank = max(1, math.ceil(q * self.count))
        # The first bucket whose running total reaches the rank (accumulate and bisect run
        # in C: a report asks this of every standard in every section).
        index = bisect.bisect_left(list(itertools.accumulate(self._counts)), rank)
        return timedelta(seconds=_start(index))
