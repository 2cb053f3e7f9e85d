"""Case priority."""

from __future__ import annotations

import enum

__all__ = ["Priority"]


class Priority(enum.Enum):
    """How urgent a case is; ordered from LOW to URGENT."""

    LOW = "low"
    """Rank 0."""
    NORMAL = "normal"
    """Rank 1, the default."""
    HIGH = "high"
    """Rank 2."""
    URGENT = "urgent"
    """Rank 3."""

    @property
    def rank(self) -> int:
        """0 for LOW up to 3 for URGENT."""
        return _RANK[self]

    def raised(self) -> Priority:
        """One level more urgent (URGENT stays URGENT)."""
        return _ORDER[min(self.rank + 1, len(_ORDER) - 1)]


_ORDER = tuple(Priority)
_RANK = {p: i for i, p in enumerate(_ORDER)}
