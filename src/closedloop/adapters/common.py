"""Helpers every store shares, so each adapter refuses bad input the same way.

Adapter authors may use them too: they are part of the public API.
"""

from __future__ import annotations

from collections.abc import Sequence

from closedloop.domain.change import Change
from closedloop.domain.checks import instant
from closedloop.domain.errors import ValidationError

__all__ = ["check_batch", "check_limit", "check_tenant", "instant"]


def check_tenant(tenant: object) -> str:
    """A tenant is a non-empty string."""
    if not isinstance(tenant, str) or not tenant.strip():
        raise ValidationError(f"tenant must be a non-empty string, got {tenant!r}")
    return tenant


def check_limit(limit: object) -> int:
    """A query limit is a positive whole number."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError(f"limit must be a whole number of at least 1, got {limit!r}")
    return limit


def check_batch(changes: Sequence[Change]) -> None:
    """A batch changes each case at most once (fold several steps into one change)."""
    seen: set[str] = set()
    for change in changes:
        if change.case.id in seen:
            raise ValidationError(
                f"a batch may change case {change.case.id!r} only once; "
                f"commit its latest state as one change"
            )
        seen.add(change.case.id)
