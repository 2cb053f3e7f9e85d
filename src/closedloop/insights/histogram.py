"""A histogram of durations in constant memory, for percentiles over any number of cases."""

from __future__ import annotations

import math
from datetime import timedelta

__all__ = ["Histogram"]

_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_FINE_UNTIL = 2 * _DAY  # to the minute under two days
_HOURS_UNTIL = 60 * _DAY  # to the hour under sixty days, to the day after
_LAST = 3650 * _DAY  # anything longer counts as ten years


class Histogram:
    """Durations counted in buckets: one minute wide under two days, one hour wide under
    sixty days, one day wide after. At most a few thousand buckets, however many
    durations are added, so a percentile is exact to its bucket's width."""

    __slots__ = ("_counts", "count")

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}
        self.count = 0

    def add(self, duration: timedelta) -> None:
        """Count one duration (negative ones count as zero)."""
        seconds = min(max(int(duration.total_seconds()), 0), _LAST)
        if seconds < _FINE_UNTIL:
            width = _MINUTE
        elif seconds < _HOURS_UNTIL:
            width = _HOUR
        else:
            width = _DAY
        start = seconds - seconds % width
        self._counts[start] = self._counts.get(start, 0) + 1
        self.count += 1

    def quantile(self, q: float) -> timedelta | None:
        """The nearest-rank ``q`` quantile (0 < q <= 1), as the start of its bucket; None
        when nothing was added."""
        if not 0 < q <= 1:
            raise ValueError(f"q must be in (0, 1], got {q!r}")
        if not self.count:
            return None
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for start in sorted(self._counts):
            seen += self._counts[start]
            if seen >= rank:
                return timedelta(seconds=start)
        raise AssertionError("unreachable: the counts add up to count")  # pragma: no cover
